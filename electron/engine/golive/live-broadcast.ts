/**
 * One Go Live broadcast: chunks encoded in the renderer arrive on media channels and are written
 * as a hang broadcast into an origin, so they go out through every session that publishes it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as Moq from "@moq/net";
import { StudioError } from "../../../shared/errors";
import { decodeMediaFrame, type LiveAudioSpec, type LiveVideoSpec, type MediaChannel } from "../../../shared/media";
import { audioTrackName, videoTrackName } from "../hang";
import { LocalBroadcast } from "../origins/broadcast";
import type { OriginRegistry } from "../origins/registry";
import { HangBroadcastPublisher, type MediaTrackWriter } from "../publish";
import { drainOrigin, SERVED_DRAIN_TIMEOUT_MS } from "../sessions/drain";
import type { SessionManager } from "../sessions/manager";
import { RateMeter } from "../sessions/rate";
import { FrameRateMeter } from "../../../shared/frame-rate";

/** What to publish. */
export interface LiveSpec {
	originId: string;
	path: string;
	video?: LiveVideoSpec;
	/** Simulcast: further renditions of `video`, published as `video1`, `video2` in the same catalog. */
	renditions?: LiveVideoSpec[];
	audio?: LiveAudioSpec;
}

/** One video rendition's adaptation state, as {@link LiveBroadcast.renditionBounds} reports it. */
export interface RenditionBounds {
	track: string;
	min: number;
	max: number;
	target: number;
	/** True while someone (a relay, a local reader) subscribes to the track: only then does it load a link. */
	subscribed: boolean;
}

interface ChannelState {
	info: MediaChannel;
	writer: MediaTrackWriter;
	rate: RateMeter;
	/** Payload bytes received. */
	received: number;
	/** Chunks received, written or dropped by the writer: what the page sent, minus what is on the way. */
	chunks: number;
	fps: FrameRateMeter;
	lastSequence: number;
	/** Bitrate bounds and current target for video adaptation. */
	bounds?: { min: number; max: number; target: number };
}

/** A live broadcast fed by media channels. */
export class LiveBroadcast {
	readonly id = randomUUID();
	readonly startedAt = Date.now();
	readonly path: string;
	readonly originId: string;
	readonly #producer = new Moq.Broadcast.Producer();
	readonly #publisher: HangBroadcastPublisher;
	readonly #channels = new Map<string, ChannelState>();
	readonly #origins: OriginRegistry;
	readonly #local: LocalBroadcast;
	readonly #sessions: SessionManager | undefined;
	/** Cuts a running drain short (see {@link end}). */
	readonly #drainAbort = new AbortController();
	#stopped = false;
	#ended = false;
	#stopping: Promise<void> | undefined;

	/**
	 * Publishes the catalog and enters the origin; ALREADY_EXISTS / NOT_FOUND from the origin.
	 * `sessions` are what {@link stop} waits on to drain the tail; without them it ends at once.
	 */
	constructor(spec: LiveSpec, origins: OriginRegistry, sessions?: SessionManager) {
		this.path = spec.path;
		this.originId = spec.originId;
		this.#origins = origins;
		this.#sessions = sessions;
		this.#publisher = new HangBroadcastPublisher(this.#producer);
		const videos = spec.video ? [spec.video, ...(spec.renditions ?? [])] : [];
		videos.forEach((spec, rendition) => {
			const { minBitrate, maxBitrate, ...video } = spec;
			const name = videoTrackName(rendition);
			const writer = this.#publisher.addVideo(name, { ...video, description: video.description?.toLowerCase() });
			const max = maxBitrate ?? video.bitrate;
			this.#open(name, "video", writer, { min: Math.min(max, minBitrate ?? Math.round(video.bitrate / 4)), max, target: video.bitrate }, rendition);
		});
		if (spec.audio) {
			const name = audioTrackName(0);
			const writer = this.#publisher.addAudio(name, { ...spec.audio, description: spec.audio.description?.toLowerCase() });
			this.#open(name, "audio", writer);
		}
		this.#publisher.publishCatalog();
		this.#local = new LocalBroadcast(spec.path, this.#producer);
		try {
			origins.addBroadcast(spec.originId, this.#local);
		} catch (err) {
			this.#publisher.close();
			this.#producer.close();
			throw err;
		}
	}

	#open(track: string, kind: "video" | "audio", writer: MediaTrackWriter, bounds?: ChannelState["bounds"], rendition?: number): void {
		// 128 bits of randomness: a channel id is a capability for writing into this broadcast.
		const channel = randomBytes(16).toString("base64url");
		const info: MediaChannel = rendition === undefined ? { channel, track, kind } : { channel, track, kind, rendition };
		this.#channels.set(channel, { info, writer, rate: new RateMeter(), received: 0, chunks: 0, fps: new FrameRateMeter(), lastSequence: -1, bounds });
	}

	/** The channels to open, one per track. */
	get channels(): MediaChannel[] {
		return [...this.#channels.values()].map((c) => c.info);
	}

	/** True when `channel` belongs to this broadcast. */
	owns(channel: string): boolean {
		return this.#channels.has(channel);
	}

	/**
	 * Writes one media frame from `channel`. Returns the sequence to acknowledge. PROTOCOL for a
	 * malformed frame or a sequence that goes backwards, CLOSED after stop.
	 */
	ingest(channel: string, data: ArrayBuffer | ArrayBufferView): number {
		const state = this.#channels.get(channel);
		if (!state) throw new StudioError("NOT_FOUND", "unknown media channel");
		if (this.#stopped) throw new StudioError("CLOSED", "the broadcast has stopped");
		let frame;
		try {
			frame = decodeMediaFrame(data);
		} catch (err) {
			throw new StudioError("PROTOCOL", `malformed media frame: ${(err as Error).message}`);
		}
		if (frame.sequence <= state.lastSequence) throw new StudioError("PROTOCOL", "media frame sequence went backwards");
		state.lastSequence = frame.sequence;
		state.writer.write({ data: frame.payload, timestampUs: frame.timestampUs, keyframe: frame.keyframe });
		state.received += frame.payload.byteLength;
		state.chunks++;
		state.rate.sample(state.received);
		return frame.sequence;
	}

	/** Sets the video target bitrate within its bounds; returns the value applied, or null without video. */
	retarget(bitsPerSecond: number): number | null {
		for (const state of this.#channels.values()) {
			if (!state.bounds) continue;
			state.bounds.target = Math.round(Math.min(state.bounds.max, Math.max(state.bounds.min, bitsPerSecond)));
			return state.bounds.target;
		}
		return null;
	}

	/** The current video target and bounds, if there is video (the first rendition's under simulcast). */
	get videoBounds(): { min: number; max: number; target: number } | undefined {
		for (const state of this.#channels.values()) if (state.bounds) return { ...state.bounds };
		return undefined;
	}

	/** Every video rendition's bounds, target and subscription, in rendition order. */
	renditionBounds(): RenditionBounds[] {
		return [...this.#channels.values()].flatMap((c) => (c.bounds ? [{ track: c.info.track, ...c.bounds, subscribed: c.writer.subscribed }] : []));
	}

	/**
	 * Sets one rendition's target bitrate within its own bounds (simulcast: each rendition adapts
	 * on its own); returns the value applied, or null for a track that is not a video rendition.
	 */
	retargetTrack(track: string, bitsPerSecond: number): number | null {
		for (const state of this.#channels.values()) {
			if (!state.bounds || state.info.track !== track) continue;
			state.bounds.target = Math.round(Math.min(state.bounds.max, Math.max(state.bounds.min, bitsPerSecond)));
			return state.bounds.target;
		}
		return null;
	}

	/** Per-track counters. */
	trackStats() {
		const stats = this.#publisher.stats();
		return [...this.#channels.values()].map((c) => {
			c.rate.sample(c.received);
			c.fps.sample(c.chunks);
			const s = stats[c.info.track];
			return {
				name: c.info.track,
				kind: c.info.kind,
				frames: s?.frames ?? 0,
				bytes: s?.bytes ?? 0,
				groups: s?.groups ?? 0,
				dropped: s?.dropped ?? 0,
				bitrate: c.rate.bitsPerSecond(),
				targetBitrate: c.bounds?.target ?? null,
				received: c.chunks,
				fps: c.fps.perSecond(),
			};
		});
	}

	/**
	 * Ends the broadcast without cutting its tail off. At once: ingest refuses further chunks
	 * (CLOSED) and every track closes, so subscribers see each track's end after its last frame.
	 * Then it waits until every session publishing the origin has served those tails (its
	 * subscriptions finished, its socket queue empty; see `sessions/drain.ts`), giving up once that
	 * made no progress for `timeoutMs` so a dead relay cannot hold the stop, and only then ends the broadcast and
	 * leaves the origin, which unannounces it. Ending first would let the unannounce overtake the
	 * last groups. Idempotent: every call returns the first call's promise, which never rejects.
	 */
	stop(timeoutMs = SERVED_DRAIN_TIMEOUT_MS): Promise<void> {
		if (!this.#stopping) {
			this.#closeTracks();
			this.#stopping = this.#drain(timeoutMs).then(() => this.end());
		}
		return this.#stopping;
	}

	/**
	 * Ends the broadcast now, skipping (the rest of) the drain {@link stop} does: the path is free
	 * in the origin when it returns. For taking a path over; idempotent.
	 */
	end(): void {
		this.#closeTracks();
		if (this.#ended) return;
		this.#ended = true;
		this.#drainAbort.abort();
		this.#producer.close();
		this.#origins.removeBroadcast(this.originId, this.#local);
	}

	#closeTracks(): void {
		if (this.#stopped) return;
		this.#stopped = true;
		this.#publisher.close();
	}

	async #drain(timeoutMs: number): Promise<void> {
		const sessions = this.#sessions;
		if (!sessions || this.#ended) return;
		await drainOrigin(sessions, this.originId, this.path, timeoutMs, this.#drainAbort.signal);
	}
}
