/**
 * Monitor in the contract: watch any announced broadcast. The engine owns the MoQ subscription,
 * reads the catalog and forwards the chosen renditions' frames to the renderer on a media channel
 * (the Go Live machinery in the other direction: a MessagePort in Electron, the web host's binary
 * `/media` WebSocket). The renderer acknowledges what it took; when it falls behind, the engine
 * skips to the next group instead of queueing, and counts what it skipped.
 */
import { z } from "zod";
import { OriginId } from "./models";

const ErrorInfo = z.object({ code: z.number(), name: z.string(), message: z.string() });

/** A rendition (track name) to watch: a name, `null` for none of this kind, absent for the engine's pick. */
const RenditionChoice = z.string().min(1).max(256).nullable().optional();

/** Arguments of `monitor.open`: watch a broadcast of an origin (waiting for it if it is not announced yet). */
export const MonitorOpenArgs = z
	.object({
		originId: OriginId,
		path: z.string().min(1).max(512),
		video: RenditionChoice,
		audio: RenditionChoice,
	})
	.strict();
/** @see MonitorOpenArgs */
export type MonitorOpenArgs = z.infer<typeof MonitorOpenArgs>;

/** Arguments of `monitor.select`: switch renditions (absent keeps the current choice). */
export const MonitorSelectArgs = z.object({ id: z.string().max(64), video: RenditionChoice, audio: RenditionChoice }).strict();

/**
 * Where a monitor stands: `waiting` for the broadcast's first announcement, `live` (its catalog is
 * read and frames arrive), `stalled` (announced but no frame for {@link MONITOR_STALL_MS}, or the
 * session's connection dropped and the monitor waits for it to come back), `ended` (the publisher
 * ended it; the monitor stays open and resumes if it is announced again), `failed` (a catalog it
 * cannot use; `error` says why).
 */
export const MonitorState = z.enum(["waiting", "live", "stalled", "ended", "failed"]);
/** @see MonitorState */
export type MonitorState = z.infer<typeof MonitorState>;

/** No frame for this long on an announced broadcast makes a monitor `stalled`. */
export const MONITOR_STALL_MS = 2000;

/** One rendition of the catalog, flattened for display. */
export const MonitorRendition = z.object({
	/** The track name. */
	name: z.string(),
	kind: z.enum(["video", "audio"]),
	codec: z.string(),
	/** `legacy`, `cmaf`, `loc` or the unknown kind's name. */
	container: z.string(),
	/** Delivery priority the studio subscribes with. */
	priority: z.number(),
	width: z.number().nullable(),
	height: z.number().nullable(),
	framerate: z.number().nullable(),
	bitrate: z.number().nullable(),
	sampleRate: z.number().nullable(),
	channels: z.number().nullable(),
	/** False when the studio's player cannot play it (an unsupported container). */
	playable: z.boolean(),
});
/** @see MonitorRendition */
export type MonitorRendition = z.infer<typeof MonitorRendition>;

/** Live numbers of one forwarded track, over the last second unless said otherwise. */
export const MonitorTrackStats = z.object({
	name: z.string(),
	kind: z.enum(["video", "audio"]),
	/** Totals since the monitor opened. */
	frames: z.number(),
	bytes: z.number(),
	groups: z.number(),
	/** Bits per second. */
	bitrate: z.number(),
	fps: z.number(),
	/** Groups started per second. */
	groupRate: z.number(),
	/** Seconds between the last two group starts (the keyframe interval for video), or null. */
	keyframeIntervalS: z.number().nullable(),
	frameBytesAvg: z.number(),
	frameBytesMax: z.number(),
	/**
	 * Arrival in the engine against the media timestamp, in ms, after removing the offset
	 * estimated from the first frames (the smallest difference seen): how much later than its
	 * best this frame came. Null before the first frame.
	 */
	latencyMs: z.number().nullable(),
	/** Mean absolute change of that latency between consecutive frames, in ms. */
	jitterMs: z.number().nullable(),
	/** Groups (video) or frames (audio) the engine did not forward because the renderer fell behind. */
	skippedGroups: z.number(),
	skippedFrames: z.number(),
	/** `Date.now()` of the last frame, or null. */
	lastFrameAt: z.number().nullable(),
});
/** @see MonitorTrackStats */
export type MonitorTrackStats = z.infer<typeof MonitorTrackStats>;

/** A monitor's state, catalog and numbers; the `monitor.state` event carries it on every change and about twice a second. */
export const MonitorInfo = z.object({
	id: z.string(),
	/** The media channel the renderer opens to receive frames (opaque, unguessable). */
	channel: z.string(),
	originId: z.string(),
	path: z.string(),
	state: MonitorState,
	/** Increases each time the broadcast is (re)announced and followed again; 0 before the first. */
	epoch: z.number(),
	openedAt: z.number(),
	/** The latest catalog as the publisher wrote it (raw JSON), or null before the first. */
	catalog: z.unknown(),
	renditions: z.array(MonitorRendition),
	/** The renditions being forwarded, or null for none of that kind. */
	video: z.string().nullable(),
	audio: z.string().nullable(),
	tracks: z.array(MonitorTrackStats),
	error: ErrorInfo.nullable(),
	/** Set on the last event of a monitor, once it is closed; after it the id is unknown. */
	closed: z.boolean().optional(),
});
/** @see MonitorInfo */
export type MonitorInfo = z.infer<typeof MonitorInfo>;

// ---- The monitor media channel (engine to renderer), binary ----

/** The bytes before the payload of a monitor channel message. */
export const MONITOR_HEADER_BYTES = 32;
const MONITOR_VERSION = 1;

/** What a monitor channel message carries. */
export type MonitorMessageType = "video" | "audio" | "config";
const TYPES: readonly MonitorMessageType[] = ["video", "audio", "config"];

/** One message on a monitor channel. */
export interface MonitorMessage {
	type: MonitorMessageType;
	/** Increasing per channel; the renderer acknowledges it (`{ ack }`, as on Go Live channels). */
	sequence: number;
	/** The first frame of a group (a keyframe for video). */
	keyframe: boolean;
	/** Frames were skipped before this one (backpressure or a new epoch): reset the decoder's expectations. */
	discontinuity: boolean;
	epoch: number;
	/** The MoQ group sequence (0 for config). */
	group: number;
	/** Media timestamp in microseconds (0 for config). */
	timestampUs: number;
	/** Engine wall clock (ms since the epoch, fractional) when the frame arrived from the relay. */
	arrivalMs: number;
	/** The codec payload, or for `config` the UTF-8 JSON of a {@link MonitorConfig}. A view, not a copy. */
	payload: Uint8Array;
}

/**
 * Serialises a monitor message: version u8, type u8, flags u8 (bit 0 keyframe, bit 1
 * discontinuity), reserved u8, sequence u32, epoch u32, group u32, timestamp f64 (µs), arrival
 * f64 (ms), payload.
 */
export function encodeMonitorMessage(m: MonitorMessage): ArrayBuffer {
	const buffer = new ArrayBuffer(MONITOR_HEADER_BYTES + m.payload.byteLength);
	const view = new DataView(buffer);
	view.setUint8(0, MONITOR_VERSION);
	view.setUint8(1, TYPES.indexOf(m.type));
	view.setUint8(2, (m.keyframe ? 1 : 0) | (m.discontinuity ? 2 : 0));
	view.setUint32(4, m.sequence >>> 0);
	view.setUint32(8, m.epoch >>> 0);
	view.setUint32(12, m.group >>> 0);
	view.setFloat64(16, m.timestampUs);
	view.setFloat64(24, m.arrivalMs);
	new Uint8Array(buffer, MONITOR_HEADER_BYTES).set(m.payload);
	return buffer;
}

/** Parses a monitor message; throws an Error saying what is wrong with a malformed one. */
export function decodeMonitorMessage(data: ArrayBuffer | ArrayBufferView): MonitorMessage {
	const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	if (bytes.byteLength < MONITOR_HEADER_BYTES) throw new Error(`monitor message too short (${bytes.byteLength} bytes)`);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (view.getUint8(0) !== MONITOR_VERSION) throw new Error(`unknown monitor message version ${view.getUint8(0)}`);
	const type = TYPES[view.getUint8(1)];
	if (!type) throw new Error(`unknown monitor message type ${view.getUint8(1)}`);
	const flags = view.getUint8(2);
	if ((flags & ~3) !== 0) throw new Error("unknown monitor message flags");
	return {
		type,
		keyframe: (flags & 1) === 1,
		discontinuity: (flags & 2) === 2,
		sequence: view.getUint32(4),
		epoch: view.getUint32(8),
		group: view.getUint32(12),
		timestampUs: view.getFloat64(16),
		arrivalMs: view.getFloat64(24),
		payload: bytes.subarray(MONITOR_HEADER_BYTES),
	};
}

/** A video decoder configuration as the catalog gives it (description as hex). */
export const MonitorVideoConfig = z.object({
	codec: z.string(),
	description: z.string().optional(),
	codedWidth: z.number().optional(),
	codedHeight: z.number().optional(),
	displayAspectWidth: z.number().optional(),
	displayAspectHeight: z.number().optional(),
	optimizeForLatency: z.boolean().optional(),
});

/** An audio decoder configuration as the catalog gives it (description as hex). */
export const MonitorAudioConfig = z.object({
	codec: z.string(),
	description: z.string().optional(),
	sampleRate: z.number(),
	numberOfChannels: z.number(),
});

/**
 * What the renderer's player needs to decode what follows on the channel, sent in-band (a
 * `config` message) before the first frame of every epoch and after every rendition switch.
 */
export const MonitorConfig = z.object({
	epoch: z.number(),
	video: z.object({ track: z.string(), config: MonitorVideoConfig }).nullable(),
	audio: z.object({ track: z.string(), config: MonitorAudioConfig }).nullable(),
});
/** @see MonitorConfig */
export type MonitorConfig = z.infer<typeof MonitorConfig>;
