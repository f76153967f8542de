/**
 * Go Live in the contract: how the renderer describes the tracks it encodes, and the binary
 * frame each encoded chunk travels in on its media channel (a MessagePort in Electron, a binary
 * WebSocket in the web host). Media never rides the request/response channel.
 */
import { z } from "zod";
import { OriginId } from "./models";

/** A video track as the renderer's encoder produces it (a WebCodecs decoder config plus bitrate). */
export const LiveVideoSpec = z
	.object({
		codec: z.string().min(1).max(64),
		/** The decoder description (avcC for H.264) as hex, when the codec has one. */
		description: z.string().regex(/^[0-9a-f]*$/i).max(4096).optional(),
		codedWidth: z.number().int().min(16).max(7680),
		codedHeight: z.number().int().min(16).max(4320),
		framerate: z.number().min(1).max(240),
		bitrate: z.number().int().min(50_000).max(100_000_000),
		/** Bounds for bandwidth adaptation; default bitrate/4 to bitrate. */
		minBitrate: z.number().int().min(50_000).optional(),
		maxBitrate: z.number().int().max(100_000_000).optional(),
	})
	.strict();
/** @see LiveVideoSpec */
export type LiveVideoSpec = z.infer<typeof LiveVideoSpec>;

/** An audio track as the renderer's encoder produces it. */
export const LiveAudioSpec = z
	.object({
		codec: z.string().min(1).max(64),
		description: z.string().regex(/^[0-9a-f]*$/i).max(4096).optional(),
		sampleRate: z.number().int().min(8000).max(192_000),
		numberOfChannels: z.number().int().min(1).max(8),
		bitrate: z.number().int().min(6000).max(1_000_000),
	})
	.strict();
/** @see LiveAudioSpec */
export type LiveAudioSpec = z.infer<typeof LiveAudioSpec>;

/** Arguments of `golive.start`. */
export const GoLiveStartArgs = z
	.object({
		originId: OriginId,
		/** The broadcast path, e.g. `live/me.hang`. */
		path: z.string().min(1).max(512).regex(/^[^\s]+$/, "a broadcast path has no spaces"),
		video: LiveVideoSpec.optional(),
		/**
		 * Simulcast (issue 16): further renditions of the same picture as `video` (usually smaller),
		 * each its own track in the one catalog (`video` is rendition 0, these 1, 2), each with its
		 * own bitrate bounds adapted on its own.
		 */
		renditions: z.array(LiveVideoSpec).max(2).optional(),
		audio: LiveAudioSpec.optional(),
	})
	.strict()
	.refine((a) => a.video || a.audio, "go live needs a video or an audio track")
	.refine((a) => !a.renditions?.length || a.video, "simulcast renditions need a video track");

/** One media channel: where the renderer sends a track's chunks. */
export const MediaChannel = z.object({
	/** Opaque, unguessable channel id. */
	channel: z.string(),
	track: z.string(),
	kind: z.enum(["video", "audio"]),
	/** Video only: which rendition this channel carries (0 = `video`, 1.. = `renditions[i - 1]`). */
	rendition: z.number().int().nonnegative().optional(),
});
/** @see MediaChannel */
export type MediaChannel = z.infer<typeof MediaChannel>;

/**
 * Why a live broadcast ended: `stopped` by its page, `orphaned` (its page or every media
 * channel went away and the grace period passed), or `replaced` (a new Go Live took over its path
 * while it was orphaned).
 */
export const LiveEndReason = z.enum(["stopped", "orphaned", "replaced"]);
/** @see LiveEndReason */
export type LiveEndReason = z.infer<typeof LiveEndReason>;

/** A live broadcast's state and counters. */
export const LiveBroadcastInfo = z.object({
	id: z.string(),
	path: z.string(),
	originId: z.string(),
	startedAt: z.number(),
	channels: z.array(MediaChannel),
	tracks: z.array(
		z.object({
			name: z.string(),
			kind: z.enum(["video", "audio"]),
			frames: z.number(),
			bytes: z.number(),
			groups: z.number(),
			/** Chunks the engine could not use (a video delta before any keyframe). */
			dropped: z.number(),
			/** Bits per second received from the encoder, smoothed. */
			bitrate: z.number(),
			/** The bitrate the engine asks the encoder for (video), following bandwidth. */
			targetBitrate: z.number().nullable(),
			/**
			 * Chunks that arrived on the media channel, used or not (`frames` + `dropped` once written):
			 * what the page's sink sent minus what is still on the way.
			 */
			received: z.number().optional(),
			/**
			 * Chunks per second arriving on the media channel, measured over the last few seconds: the
			 * frame rate that really reaches the studio, to set beside the rate the page says it sends.
			 */
			fps: z.number().optional(),
		}),
	),
	/** Every session this broadcast goes out through, with its link state. */
	destinations: z.array(
		z.object({ sessionId: z.string(), url: z.string(), phase: z.string(), bitrateOut: z.number(), queuedBytes: z.number() }),
	),
	/**
	 * Absent while live. Set on the last `golive.stats` event of a broadcast, sent once when it
	 * ends for any reason; after it the id is unknown to `golive.stop` / `golive.list`.
	 */
	ended: z.object({ at: z.number(), reason: LiveEndReason }).optional(),
});
/** @see LiveBroadcastInfo */
export type LiveBroadcastInfo = z.infer<typeof LiveBroadcastInfo>;

/** The bytes before the payload in a media frame. */
export const MEDIA_HEADER_BYTES = 14;
const VERSION = 1;

/** One encoded chunk on a media channel. */
export interface MediaFrame {
	/** Increasing per channel; the engine acknowledges it (credit-based backpressure). */
	sequence: number;
	keyframe: boolean;
	/** Presentation timestamp in microseconds. */
	timestampUs: number;
	payload: Uint8Array;
}

/** Serialises a chunk: version u8, flags u8 (bit 0 keyframe), sequence u32, timestamp u64 (µs), payload. */
export function encodeMediaFrame(frame: MediaFrame): ArrayBuffer {
	const buffer = new ArrayBuffer(MEDIA_HEADER_BYTES + frame.payload.byteLength);
	const view = new DataView(buffer);
	view.setUint8(0, VERSION);
	view.setUint8(1, frame.keyframe ? 1 : 0);
	view.setUint32(2, frame.sequence >>> 0);
	view.setBigUint64(6, BigInt(Math.max(0, Math.round(frame.timestampUs))));
	new Uint8Array(buffer, MEDIA_HEADER_BYTES).set(frame.payload);
	return buffer;
}

/** Parses a media frame; throws an Error saying what is wrong with a malformed one. The payload is a view, not a copy. */
export function decodeMediaFrame(data: ArrayBuffer | ArrayBufferView): MediaFrame {
	const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	if (bytes.byteLength < MEDIA_HEADER_BYTES) throw new Error(`media frame too short (${bytes.byteLength} bytes)`);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (view.getUint8(0) !== VERSION) throw new Error(`unknown media frame version ${view.getUint8(0)}`);
	const flags = view.getUint8(1);
	if ((flags & ~1) !== 0) throw new Error("unknown media frame flags");
	const timestamp = view.getBigUint64(6);
	if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("media frame timestamp out of range");
	return {
		keyframe: (flags & 1) === 1,
		sequence: view.getUint32(2),
		timestampUs: Number(timestamp),
		payload: bytes.subarray(MEDIA_HEADER_BYTES),
	};
}

/** The engine's acknowledgement on a media channel: every chunk up to `ack` was taken. */
export const MediaAck = z.object({ ack: z.number().int().nonnegative() });

/** A screen or window the desktop host can capture. */
export const CaptureSource = z.object({
	id: z.string(),
	name: z.string(),
	kind: z.enum(["screen", "window"]),
	/** A small PNG thumbnail as a data: URL, when the host has one. */
	thumbnail: z.string().nullable(),
});
/** @see CaptureSource */
export type CaptureSource = z.infer<typeof CaptureSource>;
