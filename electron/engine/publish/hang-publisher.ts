/**
 * Publishes encoded media as a hang broadcast into a `@moq/net` `Broadcast.Producer`:
 * `catalog.json` plus one track per rendition, legacy container frames, one group per GOP for
 * video and one group per frame for audio (what `<moq-publish>` does, so `<moq-watch>` plays it).
 *
 * It takes already-encoded chunks, so the file publisher and the Go Live path (WebCodecs in the
 * renderer) share it. The caller owns the broadcast producer and attaches it to sessions/origins.
 */
import * as Moq from "@moq/net";
import { StudioError } from "../../../shared/errors";
import {
	type AudioRendition,
	type CatalogInput,
	CATALOG_TRACK,
	CatalogProducer,
	encodeLegacyFrame,
	PRIORITY,
	TrackFanout,
	type VideoRendition,
} from "../hang";

/**
 * How long (ms) the publisher keeps non-latest media groups for late subscribers and relays;
 * hang's `LATENCY_MAX` (30 s), long enough for a recorder or relay to catch up after a stall.
 * Each track's cache is also capped in bytes (`MEDIA_CACHE_MAX_BYTES`, hang/cache-budget.ts).
 */
export const MEDIA_LATENCY_MAX_MS = 30_000;

/** One encoded chunk, as a WebCodecs encoder or a demuxer produces it. */
export interface EncodedChunk {
	/** Codec payload (for H.264 with an avcC description: length-prefixed NAL units). Not copied until written. */
	data: Uint8Array;
	/** Presentation timestamp in microseconds; non-negative integer. */
	timestampUs: number;
	/** True for a keyframe (random access point). */
	keyframe: boolean;
}

/** Counters of one published track. */
export interface TrackStats {
	kind: "video" | "audio";
	codec: string;
	/** Frames written. */
	frames: number;
	/** Payload bytes written (excluding the container's timestamp varint). */
	bytes: number;
	/** Groups opened. */
	groups: number;
	/** Chunks dropped because a video track must start with a keyframe. */
	dropped: number;
	/** Timestamp of the last frame written, in microseconds. */
	lastTimestampUs: number | undefined;
}

/** Rendition config without the container, which this publisher always sets to legacy. */
export type VideoConfig = Omit<VideoRendition, "container">;
/** Rendition config without the container, which this publisher always sets to legacy. */
export type AudioConfig = Omit<AudioRendition, "container">;

/**
 * Writes encoded chunks of one rendition into its MoQ track.
 * Guarantees: every video group starts with a keyframe (delta chunks before the first keyframe
 * are dropped and counted); payload bytes are carried unchanged.
 */
export class MediaTrackWriter {
	readonly name: string;
	/** @internal The track's outputs (the publisher's request loop attaches late subscribers). */
	readonly fanout: TrackFanout;
	readonly #stats: TrackStats;
	#inGroup = false;
	#closed = false;

	/** @internal Created by {@link HangBroadcastPublisher}. */
	constructor(name: string, fanout: TrackFanout, kind: "video" | "audio", codec: string) {
		this.name = name;
		this.fanout = fanout;
		this.#stats = { kind, codec, frames: 0, bytes: 0, groups: 0, dropped: 0, lastTimestampUs: undefined };
	}

	/** True while someone (a relay, a local reader) subscribes to this track. */
	get subscribed(): boolean {
		return this.fanout.subscribed;
	}

	/** A snapshot of this track's counters. */
	get stats(): TrackStats {
		return { ...this.#stats };
	}

	/**
	 * Writes one chunk. Video: a keyframe closes the current group and opens a new one. Audio: each
	 * frame is its own group, so a late joiner can start on any frame. Returns false when dropped.
	 * Throws CLOSED after {@link close}, INVALID_ARGUMENT for a negative/fractional timestamp.
	 */
	write(chunk: EncodedChunk): boolean {
		if (this.#closed) throw new StudioError("CLOSED", `track ${this.name} is closed`);
		const payload = encodeLegacyFrame(chunk.data, chunk.timestampUs);
		const frame = { payload, timestamp: Moq.Time.Timestamp.fromMicros(chunk.timestampUs) };
		if (this.#stats.kind === "audio") {
			this.fanout.writeSingle(frame);
			this.#stats.groups++;
		} else {
			if (chunk.keyframe) {
				this.fanout.openGroup();
				this.#inGroup = true;
				this.#stats.groups++;
			} else if (!this.#inGroup) {
				this.#stats.dropped++;
				return false;
			}
			this.fanout.writeFrame(frame);
		}
		this.#stats.frames++;
		this.#stats.bytes += chunk.data.byteLength;
		this.#stats.lastTimestampUs = chunk.timestampUs;
		return true;
	}

	/** Closes the open group and the track (subscribers see a clean end). Idempotent. */
	close(abort?: Error): void {
		if (this.#closed) return;
		this.#closed = true;
		this.fanout.close(abort);
	}
}

/**
 * A hang broadcast under construction: add renditions, publish the catalog, write chunks.
 * The catalog is only published by {@link publishCatalog}, so a consumer never sees a partial
 * catalog (say video without the audio about to be added).
 */
export class HangBroadcastPublisher {
	readonly broadcast: Moq.Broadcast.Producer;
	readonly #catalog: CatalogProducer;
	readonly #video = new Map<string, { writer: MediaTrackWriter; config: VideoConfig }>();
	readonly #audio = new Map<string, { writer: MediaTrackWriter; config: AudioConfig }>();
	/** Requests for names not (yet) published, answered once the track is added or at close. */
	readonly #pending = new Map<string, Moq.Track.Request[]>();
	#closed = false;

	/**
	 * Creates `catalog.json` on `broadcast` and starts answering its track requests (the caller
	 * keeps ownership of the producer, but this publisher must be the only reader of
	 * `broadcast.requested()`).
	 */
	constructor(broadcast: Moq.Broadcast.Producer) {
		this.broadcast = broadcast;
		this.#catalog = new CatalogProducer(broadcast);
		void this.#serve();
	}

	/**
	 * Answers subscriptions that arrived before their track existed (see {@link TrackFanout}):
	 * known tracks get the request's producer attached; others wait until added, or are rejected
	 * when the publisher closes. Known tracks are still answered after {@link close}, while the
	 * caller keeps the broadcast up: a subscription that arrives after the end gets the groups the
	 * track retains, then the end, instead of an error and nothing.
	 */
	async #serve(): Promise<void> {
		for (;;) {
			let request: Moq.Track.Request | undefined;
			try {
				request = await this.broadcast.requested();
			} catch {
				return; // the broadcast was closed with an error
			}
			if (!request) return;
			this.#answer(request);
		}
	}

	#answer(request: Moq.Track.Request): void {
		if (request.name === CATALOG_TRACK) {
			this.#catalog.attach(request.accept(this.#catalog.fanout.info), request.subscription.startGroup);
			return;
		}
		const entry = this.#video.get(request.name) ?? this.#audio.get(request.name);
		if (entry) {
			entry.writer.fanout.attach(request.accept(entry.writer.fanout.info), request.subscription.startGroup);
			return;
		}
		if (this.#closed) {
			request.reject(new Error(`unknown track: ${request.name}`));
			return;
		}
		const list = this.#pending.get(request.name) ?? [];
		list.push(request);
		this.#pending.set(request.name, list);
	}

	/** Adds a video rendition track (priority 60, µs timescale). ALREADY_EXISTS for a taken name. */
	addVideo(name: string, config: VideoConfig): MediaTrackWriter {
		return this.#add(name, "video", config.codec, () => this.#video, config);
	}

	/** Adds an audio rendition track (priority 80, µs timescale). ALREADY_EXISTS for a taken name. */
	addAudio(name: string, config: AudioConfig): MediaTrackWriter {
		return this.#add(name, "audio", config.codec, () => this.#audio, config);
	}

	#add<C>(name: string, kind: "video" | "audio", codec: string, map: () => Map<string, { writer: MediaTrackWriter; config: C }>, config: C): MediaTrackWriter {
		if (this.#closed) throw new StudioError("CLOSED", "broadcast publisher is closed");
		if (this.#video.has(name) || this.#audio.has(name) || name === CATALOG_TRACK) {
			throw new StudioError("ALREADY_EXISTS", `track ${name} already exists`);
		}
		const fanout = new TrackFanout(this.broadcast, name, {
			priority: PRIORITY[kind],
			timescale: Moq.Time.Timescale.MICRO,
			latencyMax: MEDIA_LATENCY_MAX_MS,
		});
		const writer = new MediaTrackWriter(name, fanout, kind, codec);
		map().set(name, { writer, config });
		for (const request of this.#pending.get(name) ?? []) fanout.attach(request.accept(fanout.info), request.subscription.startGroup);
		this.#pending.delete(name);
		return writer;
	}

	/** Removes a rendition: closes its track and drops it from the next catalog. */
	remove(name: string): void {
		const entry = this.#video.get(name) ?? this.#audio.get(name);
		if (!entry) return;
		entry.writer.close();
		this.#video.delete(name);
		this.#audio.delete(name);
		this.broadcast.removeTrack(name);
	}

	/** The catalog describing the current renditions. */
	catalog(): CatalogInput {
		const out: CatalogInput = {};
		if (this.#video.size > 0) {
			out.video = { renditions: {} };
			for (const [name, { config }] of this.#video) out.video.renditions[name] = { ...config, container: { kind: "legacy" } };
		}
		if (this.#audio.size > 0) {
			out.audio = { renditions: {} };
			for (const [name, { config }] of this.#audio) out.audio.renditions[name] = { ...config, container: { kind: "legacy" } };
		}
		return out;
	}

	/** Publishes the current catalog as a new snapshot. Throws MEDIA if a config fails hang's schema. */
	publishCatalog(): void {
		if (this.#closed) throw new StudioError("CLOSED", "broadcast publisher is closed");
		this.#catalog.update(this.catalog());
	}

	/** Counters per track name. */
	stats(): Record<string, TrackStats> {
		const out: Record<string, TrackStats> = {};
		for (const [name, { writer }] of [...this.#video, ...this.#audio]) out[name] = writer.stats;
		return out;
	}

	/** Closes every track and the catalog; the broadcast producer itself stays the caller's. Idempotent. */
	close(abort?: Error): void {
		if (this.#closed) return;
		this.#closed = true;
		for (const { writer } of [...this.#video.values(), ...this.#audio.values()]) writer.close(abort);
		this.#catalog.close();
		for (const [name, requests] of this.#pending) for (const r of requests) r.reject(new Error(`unknown track: ${name}`));
		this.#pending.clear();
	}
}
