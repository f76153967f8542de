/**
 * A media file (MP4/MOV, MKV, WebM, ...) opened with mediabunny and read as encoded packets,
 * without decoding or re-encoding, plus the hang rendition config each track maps to.
 */
import { stat } from "node:fs/promises";
import {
	ALL_FORMATS,
	EncodedPacketSink,
	FilePathSource,
	Input,
	type InputAudioTrack,
	type InputTrack,
	type InputVideoTrack,
} from "mediabunny";
import { StudioError } from "../../../shared/errors";
import { toHex } from "../hang";
import type { AudioConfig, VideoConfig } from "./hang-publisher";

/** One encoded packet read from a file, in decode order. */
export interface SourcePacket {
	/** Codec payload exactly as stored in the file. */
	data: Uint8Array;
	/** Presentation timestamp in microseconds (may be negative, e.g. Opus pre-skip in MP4). */
	timestampUs: number;
	/** Duration in microseconds as the container states it. */
	durationUs: number;
	keyframe: boolean;
}

/** A track of a media file that can be published as a hang rendition. */
export type SourceTrack =
	| { kind: "video"; id: number; config: VideoConfig; packets(): AsyncGenerator<SourcePacket> }
	| { kind: "audio"; id: number; config: AudioConfig; packets(): AsyncGenerator<SourcePacket> };

/** A media file opened for reading. Call {@link MediaFile.close} when done. */
export interface MediaFile {
	/** Container name as mediabunny reports it (`MP4`, `Matroska`, `WebM`, ...). */
	format: string;
	/** Publishable tracks, videos first. Tracks with codecs hang cannot carry are left out. */
	tracks: SourceTrack[];
	/** Smallest first timestamp over the tracks, in microseconds (negative with pre-skip). */
	startUs: number;
	/** Largest end timestamp over the tracks, in microseconds. */
	endUs: number;
	/** Track ids (`InputTrack.id`) that were skipped and why. */
	skipped: { id: number; reason: string }[];
	/** Releases the file handle. Idempotent. */
	close(): void;
}

function bytesOf(source: AllowSharedBufferSource | undefined): Uint8Array | undefined {
	if (!source) return undefined;
	if (source instanceof Uint8Array) return source;
	if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
	return new Uint8Array(source);
}

/** Wraps a mediabunny failure as MEDIA (unreadable media) unless it is a filesystem error. */
function mediaError(err: unknown, file: string, what: string): StudioError {
	if (err instanceof StudioError) return err;
	const code = (err as { code?: unknown } | null)?.code;
	if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
		return new StudioError("IO", `${what} ${file}: ${(err as Error).message}`, { cause: err });
	}
	const message = err instanceof Error ? err.message : String(err);
	return new StudioError("MEDIA", `${what} ${file}: ${message}`, { cause: err });
}

/**
 * Opens `file` and describes its tracks. Throws IO when the file cannot be read, MEDIA when it is
 * not a supported container, is truncated before its track headers, or has no publishable track.
 */
export async function openMediaFile(file: string): Promise<MediaFile> {
	try {
		const info = await stat(file);
		if (!info.isFile()) throw new StudioError("IO", `${file} is not a regular file`);
	} catch (err) {
		throw mediaError(err, file, "cannot read");
	}
	const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS });
	let closed = false;
	const close = () => {
		if (closed) return;
		closed = true;
		input.dispose();
	};
	try {
		if (!(await input.canRead())) throw new StudioError("MEDIA", `${file} is not a supported media file (MP4, MKV or WebM)`);
		const format = (await input.getFormat()).name;
		const tracks: SourceTrack[] = [];
		const skipped: { id: number; reason: string }[] = [];
		let startUs = Number.POSITIVE_INFINITY;
		let endUs = 0;
		const all = await input.getTracks();
		// Videos first, so video0/audio0 naming is stable whatever the file's track order.
		const ordered = [...all.filter((t) => t.type === "video"), ...all.filter((t) => t.type === "audio")];
		for (const track of ordered) {
			const described = await describe(track);
			if ("reason" in described) {
				skipped.push({ id: track.id, reason: described.reason });
				continue;
			}
			tracks.push(described);
			startUs = Math.min(startUs, Math.round((await track.getFirstTimestamp()) * 1e6));
			endUs = Math.max(endUs, Math.round((await track.computeDuration()) * 1e6));
		}
		if (tracks.length === 0) {
			const why = skipped.map((s) => s.reason).join("; ");
			throw new StudioError("MEDIA", `${file} has no track that can be published${why ? `: ${why}` : ""}`);
		}
		return { format, tracks, startUs: Number.isFinite(startUs) ? startUs : 0, endUs, skipped, close };
	} catch (err) {
		close();
		throw mediaError(err, file, "cannot open");
	}

	async function describe(track: InputTrack): Promise<SourceTrack | { reason: string }> {
		if (track.type === "video") {
			const video = track as InputVideoTrack;
			const cfg = await video.getDecoderConfig();
			if (!cfg) return { reason: `video track ${track.id}: unknown codec` };
			const stats = await video.computePacketStats(120);
			const description = bytesOf(cfg.description);
			const config: VideoConfig = {
				codec: cfg.codec,
				codedWidth: await video.getCodedWidth(),
				codedHeight: await video.getCodedHeight(),
				...(description ? { description: toHex(description) } : {}),
				...(stats.averagePacketRate > 0 ? { framerate: Math.round(stats.averagePacketRate * 1000) / 1000 } : {}),
				...(stats.averageBitrate > 0 ? { bitrate: Math.round(stats.averageBitrate) } : {}),
			};
			return { kind: "video", id: track.id, config, packets: () => readPackets(track) };
		}
		if (track.type === "audio") {
			const audio = track as InputAudioTrack;
			const cfg = await audio.getDecoderConfig();
			if (!cfg) return { reason: `audio track ${track.id}: unknown codec` };
			const description = bytesOf(cfg.description);
			const bitrate = await audio.getAverageBitrate();
			const config: AudioConfig = {
				codec: cfg.codec,
				sampleRate: cfg.sampleRate,
				numberOfChannels: cfg.numberOfChannels,
				...(description ? { description: toHex(description) } : {}),
				...(bitrate && bitrate > 0 ? { bitrate: Math.round(bitrate) } : {}),
			};
			return { kind: "audio", id: track.id, config, packets: () => readPackets(track) };
		}
		return { reason: `${track.type} track ${track.id} is not audio or video` };
	}

	async function* readPackets(track: InputTrack): AsyncGenerator<SourcePacket> {
		const sink = new EncodedPacketSink(track);
		let count = 0;
		try {
			for await (const p of sink.packets()) {
				count++;
				if (p.byteLength !== p.data.byteLength) throw new StudioError("MEDIA", `${file}: packet at ${p.timestamp}s is truncated`);
				yield {
					data: p.data,
					timestampUs: Math.round(p.timestamp * 1e6),
					durationUs: Math.round(p.duration * 1e6),
					keyframe: p.type === "key",
				};
			}
			// mediabunny ends iteration quietly at EOF; a file cut short of what its index lists is
			// corrupt, and publishing it silently would hide that.
			const expected = (await track.computePacketStats()).packetCount;
			if (count < expected) throw new StudioError("MEDIA", `${file} is truncated: ${track.type} track ${track.id} has ${count} of ${expected} packets`);
		} catch (err) {
			throw mediaError(err, file, "cannot read media from");
		}
	}
}
