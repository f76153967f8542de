/**
 * Records a subscribed hang broadcast to a file any player opens, while it plays.
 *
 * Packets are muxed as they arrive, without re-encoding, into fragmented MP4 (default) or
 * Matroska with mediabunny, over a sink that writes straight to the file descriptor: a fragment
 * (about one GOP, >= 1 s) reaches the kernel as soon as it is complete, so a crash or SIGKILL
 * leaves a file that plays to its last complete fragment.
 *
 * A recording outlives connections: hand {@link Recorder.record} a new `Broadcast.Consumer`
 * after a reconnect and the same file continues, with timestamps that keep increasing.
 */
import type * as Moq from "@moq/net";
import {
	EncodedAudioPacketSource,
	EncodedPacket,
	EncodedVideoPacketSource,
	MkvOutputFormat,
	Mp4OutputFormat,
	Output,
} from "mediabunny";
import { StudioError, type StudioErrorInfo } from "../../../shared/errors";
import type { Log } from "../log/logger";
import { QUIET_TICK_MS, runningNow } from "../quiet-clock";
import { race } from "../transport/moq-net-leaks";
import {
	type AudioRendition,
	type Catalog,
	CatalogConsumer,
	audioCodecFamily,
	decodeLegacyFrame,
	fromHex,
	PRIORITY,
	synthesizeOpusHead,
	type VideoRendition,
	videoCodecFamily,
} from "../hang";
import { audioFrameDuration } from "./durations";
import { GroupOrder, type Release } from "./group-order";
import { installFragmentWriter } from "./mp4-fragments";
import { Mp4FragmentTracker, trimWrittenFragments } from "./mp4-index";
import { numbered, recordingFileName, resolveInFolder, timestampStem } from "./paths";
import { FileRecordingSink, type RecordingSink } from "./sink";
import { SinkTarget } from "./sink-target";

/** Container of the recording. */
export type RecordFormat = "mp4" | "mkv";

/** Options for {@link Recorder.open} and {@link recordBroadcast}. */
export interface RecorderOptions {
	/** The recordings folder (created if missing). The file is always created inside it. */
	folder: string;
	/** The broadcast path, for the default file name (`demo/show.hang` → `demo_show-20260101-120000.mp4`). */
	broadcast: string;
	/** A file name inside `folder` instead of the default; separators or `..` → FORBIDDEN. */
	fileName?: string;
	/** `mp4` (fragmented, default) or `mkv`. */
	format?: RecordFormat;
	/** `primary` (default): the largest video rendition and the first audio one; `all`: every rendition. */
	tracks?: "primary" | "all";
	/** Stop once this much media (seconds) is recorded. */
	durationS?: number;
	/** Give up waiting for catalog.json after this long (TIMEOUT). Default 10 s. */
	catalogTimeoutMs?: number;
	/**
	 * A track that receives nothing for this long (ms) while another track of the broadcast does is
	 * stalled: its subscription is closed and made again (see {@link TrackState}). Default 3 s.
	 */
	stallMs?: number;
	/**
	 * A track missing from the file for this long (ms) while others arrive is ended in the file:
	 * until then the muxer holds the other tracks' packets in memory (it interleaves by time), so
	 * nothing reaches the disk. Reported as state `ended`. Default 30 s, the relay's group cache
	 * for studio broadcasts, so a track that comes back within it loses nothing.
	 */
	trackGiveUpMs?: number;
	/** Called on every change of a track's state (never throws into the recording). */
	onTrackState?: (change: TrackStateChange) => void;
	/** Fragment (MP4) / cluster (MKV) minimum duration in seconds: the most a crash can lose. Default 1. */
	fragmentDurationS?: number;
	/** Called at most every 200 ms while recording, and once at the end. */
	onProgress?: (progress: RecordingProgress) => void;
	log?: Log;
	/** Start time used for the default file name. Default: now. */
	startedAt?: Date;
	/** Opens the byte sink for a path; for tests and custom storage. Default: an exclusive file. */
	openSink?: (path: string) => Promise<RecordingSink>;
	/**
	 * Rotates to a new file (a segment) once the current one holds this much: each segment is a
	 * complete file of its own that starts at a keyframe of the first video track (any packet of
	 * the first audio track when there is no video), named `<stem>-<YYYYMMDD-HHMMSS><ext>` after
	 * the wall-clock time it starts. Timestamps continue across segments (a segment starting
	 * 60 s in starts at 60 s). No packet is lost or duplicated at a boundary.
	 */
	segment?: RecordSegmentOptions;
}

/** When {@link RecorderOptions.segment} rotates: whichever limit comes first. */
export interface RecordSegmentOptions {
	/** Media seconds per segment. */
	seconds?: number;
	/** Bytes per segment (the file may exceed it by up to one GOP). */
	bytes?: number;
}

/** Counters of one recorded track. */
export interface RecordedTrack {
	kind: "video" | "audio";
	/** The WebCodecs codec string from the catalog. */
	codec: string;
	/** Packets written to the file. */
	frames: number;
	/** Payload bytes written to the file. */
	bytes: number;
	/** Packets not written (duplicates after a reconnect, out-of-order, undecodable frames). */
	dropped: number;
	/** Media time of the track in the file, first to last packet, in seconds. */
	durationS: number;
	/** True once the track has ended in the file (given up, duration reached, or finished). */
	ended: boolean;
	/** Where the track's subscription stands. */
	state: TrackState;
	/** Holes in the track's media time the recorder could not avoid (a timestamp jump beyond 1.5 frames). */
	gaps: number;
	/** Their total length, in seconds. */
	gapS: number;
	/** Groups the relay no longer held when the track was subscribed again. */
	skippedGroups: number;
	/** Times the track was subscribed again within one connection. */
	resubscribes: number;
}

/**
 * Where one track's subscription stands:
 * - `waiting`: subscribed, no frame yet;
 * - `recording`: frames arrive;
 * - `stalled`: no frames for {@link RecorderOptions.stallMs} while others arrive, or the relay
 *   closed/reset the subscription while the broadcast is still announced;
 * - `resubscribing`: subscribing again (after a backoff), from the next group not yet written;
 * - `ended`: no longer recorded (the publisher ended it, the duration was reached, it was given up).
 */
export type TrackState = "waiting" | "recording" | "stalled" | "resubscribing" | "ended";

/** One change of a track's state, as {@link RecorderOptions.onTrackState} reports it. */
export interface TrackStateChange {
	/** The catalog track name. */
	track: string;
	kind: "video" | "audio";
	state: TrackState;
	/**
	 * A group sequence: the first group received (`recording`), the last group completely read
	 * (`stalled`, `ended`), or the `startGroup` asked for (`resubscribing`; undefined = the latest).
	 */
	group: number | undefined;
	/** Why, in words. */
	reason: string;
	/** Counters at the time of the change. */
	resubscribes: number;
	gaps: number;
	gapS: number;
	skippedGroups: number;
}

/** A snapshot of a running recording. */
export interface RecordingProgress {
	/** Absolute path of the file, once created (after the first catalog). */
	path: string | undefined;
	/** Bytes in the file. */
	bytes: number;
	/** Media duration recorded, in seconds. */
	durationS: number;
	/** Consumers recorded from so far (1 + reconnects). */
	epochs: number;
	/** Per catalog track name. */
	tracks: Record<string, RecordedTrack>;
	/**
	 * Every file of the recording, oldest first: one, or the segments written so far (see
	 * {@link RecorderOptions.segment}); `path` is the last. `bytes` counts all of them.
	 */
	segments: string[];
}

/** Why a recording or one consumer's part of it ended. */
export type RecordingEnd = "ended" | "aborted" | "duration" | "replaced" | "error";

/** The outcome of a recording. */
export interface RecordingSummary extends RecordingProgress {
	/** ISO time the recording started and ended. */
	startedAt: string;
	endedAt: string;
	/** Why the last consumer's part ended. */
	reason: RecordingEnd;
	/** The error that ended it, when `reason` is `error`. */
	error?: StudioErrorInfo;
}

/** How {@link Recorder.record} subscribes one consumer's tracks. */
export interface RecordPartOptions {
	/**
	 * The broadcast was caught at its announcement (the recorder was waiting for it): subscribe
	 * every track from its first group (moq-lite SUBSCRIBE start group 0), so the groups the
	 * publisher wrote while the recorder read the catalog are recorded too; the relay serves the
	 * oldest it still holds. Otherwise (a broadcast already running, a reconnect) tracks start at
	 * the latest group, like any live subscriber: asking a long-running broadcast for its first
	 * group would replay the relay's whole cache (30 s) into the file.
	 */
	fromFirstGroup?: boolean;
}

/** How one call of {@link Recorder.record} ended. */
export interface EpochResult {
	reason: RecordingEnd;
	/** Set when the consumer failed (the connection dropped, a track was reset, bad catalog). */
	error?: StudioError;
}

interface OutTrack {
	name: string;
	kind: "video" | "audio";
	codec: string;
	description: string | undefined;
	source: EncodedVideoPacketSource | EncodedAudioPacketSource;
	meta: EncodedVideoChunkMetadata | EncodedAudioChunkMetadata;
	sentMeta: boolean;
	ended: boolean;
	frames: number;
	bytes: number;
	dropped: number;
	firstOutUs: number | undefined;
	lastOutUs: number;
	endOutUs: number;
	defaultDurationUs: number;
	lastArrival: number;
	/** Output timestamp → fingerprint of the last {@link RECENT_PACKETS} packets written (up to {@link RECENT_TRIM} more). */
	recent: Map<number, number>;
	/**
	 * The last packet handed to the muxer and not awaited yet, and how many were handed to it
	 * since the last wait (see {@link Recorder.#mux}).
	 */
	lastAdd: Promise<void> | undefined;
	unsettledAdds: number;
	state: TrackState;
	gaps: number;
	gapUs: number;
	skippedGroups: number;
	resubscribes: number;
	/** Smallest positive step between consecutive packets seen: the real frame duration. */
	minStepUs: number;
	/**
	 * The packet accepted last, not handed to the muxer yet: its duration is the distance to the
	 * next packet, unknown until that arrives (see {@link Recorder.#sampleDurationUs}).
	 */
	pending: PendingPacket | undefined;
	/** The codec's frame length for a packet, where the codec fixes or signals it (audio). */
	frameDurationUs: (payload: Uint8Array) => number | undefined;
	/** The last known frame step: the fallback duration of a track's last packet. */
	stepUs: number;
	/** The current GOP (video): packets, lowest and highest presentation time so far. */
	gop: { frames: number; minUs: number; maxUs: number };
	/**
	 * Group sequences completely read on the current connection: every group up to `contiguous`,
	 * plus `above` (read out of order). `contiguous + 1` is where a new subscription starts.
	 */
	groups: { contiguous: number; above: Set<number> } | undefined;
	/** Groups waiting for a lower sequence, per connection (see {@link GroupOrder}). */
	order: GroupOrder<Uint8Array> | undefined;
}

/** A packet accepted for the file and waiting for the next one to know its duration. */
interface PendingPacket {
	payload: Uint8Array;
	tsUs: number;
	key: boolean;
}

/** One track's subscription loop within one consumer's part. */
interface TrackRun {
	out: OutTrack;
	rendition: string;
	/** Aborted by the watchdog when the current subscription stalls. */
	attempt: AbortController | undefined;
	/** The subscription ended cleanly and the run waits to see whether the others go on. */
	idle: boolean;
	done: boolean;
}

/**
 * The subscription's maximum latency: how old a group may get before the relay may skip it for
 * this subscriber. Our relay (relay-track.ts) never skips for age: it subscribes upstream with
 * defaults and evicts only by the publisher's TRACK_INFO `latencyMax` (30 s for the studio's
 * broadcasts); other moq-lite relays skip groups older than the subscriber's value. A recording
 * wants every group the relay still holds, so it asks for more than any relay's cache.
 */
export const RECORD_LATENCY_MAX_MS = 120_000;
/** First and largest delay before subscribing to a track again. */
const RESUBSCRIBE_MIN_MS = 250;
const RESUBSCRIBE_MAX_MS = 5000;
/** Out-of-order groups remembered above the contiguous watermark before the lowest hole is given up. */
const MAX_GROUPS_ABOVE = 1500; // as many as audio may hold above a hole (AUDIO_HOLD_MAX_GROUPS)

/**
 * Audio rides one group per frame, each on its own stream, so groups overtake each other: a burst
 * (a backlog after a stall, a subscription starting at an old group) arrives out of order by
 * seconds of media. The recorder writes audio in group-sequence order (see {@link GroupOrder}):
 * a group above a missing one waits for it for up to this long after it arrived, in running time
 * (`runningNow`, quiet-clock.ts): counted in wall-clock time, a starved recorder gave up holes whose
 * groups sat unread in its own socket buffer.
 * The missing group is then a real hole, counted as a gap when the next frame is written.
 */
const AUDIO_HOLE_WAIT_MS = 2000;
/** Most audio groups held above a hole: 30 s of 20 ms frames, the relay's cache for a studio broadcast. */
const AUDIO_HOLD_MAX_GROUPS = 1500;
/** Most audio payload bytes held above a hole (30 s of 510 kb/s Opus, its maximum, is under 2 MiB). */
const AUDIO_HOLD_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Video groups (GOPs) overtake each other the same way in a backlog the relay serves newest
 * first; a GOP that reaches the file after a later one cannot be put before it, so whole GOPs
 * were dropped. They are ordered like audio: complete GOPs wait for a missing lower one for the
 * same hold, within these bounds (60 s of 30-frame GOPs; a few seconds of 4K).
 */
const VIDEO_HOLD_MAX_GROUPS = 60;
const VIDEO_HOLD_MAX_BYTES = 64 * 1024 * 1024;

/** The group order of a track of `kind` (see {@link GroupOrder}). */
function newOrder(kind: "video" | "audio"): GroupOrder<Uint8Array> {
	return kind === "audio"
		? new GroupOrder({ holdMs: AUDIO_HOLE_WAIT_MS, maxGroups: AUDIO_HOLD_MAX_GROUPS, maxBytes: AUDIO_HOLD_MAX_BYTES })
		: new GroupOrder({ holdMs: AUDIO_HOLE_WAIT_MS, maxGroups: VIDEO_HOLD_MAX_GROUPS, maxBytes: VIDEO_HOLD_MAX_BYTES });
}

/** How many recent packets per track are remembered to recognise a replay after a reconnect. */
const RECENT_PACKETS = 4096;
/** The oldest remembered packets are forgotten this many at a time (one walk of the map, not one per packet). */
const RECENT_TRIM = 256;

/**
 * Packets a track hands to the muxer before waiting for it (see {@link Recorder.#mux}): about a
 * GOP, so the wait (and what guards it) costs once per GOP rather than per packet, while a
 * track never runs more than this far ahead of its file.
 */
const ADDS_PER_WAIT = 32;

/**
 * A cheap fingerprint of a payload: its length and an FNV-1a-style hash of its first 256 bytes,
 * taken four bytes at a step (a quarter of the multiplications: it runs for every packet).
 * Fingerprints are compared only within one process, so the exact function is free to change.
 */
function fingerprint(payload: Uint8Array): number {
	let h = 0x811c9dc5;
	const n = Math.min(payload.byteLength, 256);
	const words = n & ~3;
	let i = 0;
	for (; i < words; i += 4) {
		const w = (payload[i] as number) | ((payload[i + 1] as number) << 8) | ((payload[i + 2] as number) << 16) | ((payload[i + 3] as number) << 24);
		h = Math.imul(h ^ w, 0x01000193);
	}
	for (; i < n; i++) h = Math.imul(h ^ (payload[i] as number), 0x01000193);
	return (h >>> 0) * 0x10000 + (payload.byteLength & 0xffff);
}

/**
 * Maps each consumer's timestamps onto the file's single timeline. The first consumer's first
 * packet becomes 0. A later consumer's first packet decides its mapping:
 * - it is a packet already written (same timestamp and bytes): the same publisher, reconnected,
 *   replaying its latest group; keep the mapping and let duplicates drop per track;
 * - it lands after that track's last packet but within 10 s of the file's end: the same timeline
 *   continuing after a short gap; keep the mapping;
 * - otherwise (the publisher restarted and its clock went back, or a long outage): re-anchor so
 *   the file continues seamlessly at its end.
 */
class Timeline {
	#offsetUs: number | undefined;
	#decided = false;
	/** Largest end (timestamp + duration) written on any track. */
	endUs = 0;
	static readonly MAX_GAP_US = 10_000_000;

	newEpoch(): void {
		this.#decided = false;
	}

	map(timestampUs: number, track: OutTrack, payload: Uint8Array): number {
		if (!this.#decided) {
			this.#decided = true;
			if (this.#offsetUs === undefined) this.#offsetUs = -timestampUs;
			else {
				const candidate = timestampUs + this.#offsetUs;
				const replay = track.recent.get(candidate) === fingerprint(payload);
				const continues = candidate > track.lastOutUs && candidate <= this.endUs + Timeline.MAX_GAP_US;
				if (!replay && !continues) this.#offsetUs = this.endUs - timestampUs;
			}
		}
		return timestampUs + (this.#offsetUs as number);
	}
}

/**
 * A recording in progress. Create with {@link Recorder.open}, feed consumers with
 * {@link Recorder.record}, end with {@link Recorder.finish}.
 */
export class Recorder {
	readonly #opts: RecorderOptions;
	readonly #startedAt: Date;
	readonly #format: RecordFormat;
	readonly #timeline = new Timeline();
	#path: string | undefined;
	#sink: RecordingSink | undefined;
	#output: Output | undefined;
	/** Files of finished segments, and their bytes. */
	#segments: string[] = [];
	#segmentBytes = 0;
	/** Where the current segment starts on the lead track (µs), once its first packet is muxed. */
	#segmentStartUs: number | undefined;
	/** Payload bytes booked on every track when the current segment started (see #rotationDue). */
	#segmentPayloadStart = 0;
	#tracks: OutTrack[] = [];
	#epochs = 0;
	#fatal: StudioError | undefined;
	#current: { stop: AbortController; done: Promise<EpochResult>; stopped: Promise<void> } | undefined;
	#durationReached = false;
	#finished = false;
	#lastReason: RecordingEnd = "ended";
	#lastError: StudioError | undefined;
	#lastProgress = 0;

	private constructor(opts: RecorderOptions) {
		this.#opts = opts;
		this.#startedAt = opts.startedAt ?? new Date();
		this.#format = opts.format ?? "mp4";
	}

	/**
	 * Validates the options and the recordings folder (creating it) without creating the file yet:
	 * the file appears with the first valid catalog, so a broadcast that never delivers one leaves
	 * nothing behind. Throws FORBIDDEN / INVALID_ARGUMENT for a bad file name, IO for a bad folder.
	 */
	static async open(opts: RecorderOptions): Promise<Recorder> {
		if (opts.format !== undefined && opts.format !== "mp4" && opts.format !== "mkv") {
			throw new StudioError("INVALID_ARGUMENT", `unknown recording format ${JSON.stringify(opts.format)}`);
		}
		if (opts.durationS !== undefined && !(opts.durationS > 0)) throw new StudioError("INVALID_ARGUMENT", "durationS must be positive");
		for (const [key, v] of Object.entries(opts.segment ?? {})) {
			if (v !== undefined && !(typeof v === "number" && v > 0)) throw new StudioError("INVALID_ARGUMENT", `segment ${key} must be a positive number`);
		}
		const recorder = new Recorder(opts);
		await resolveInFolder(opts.folder, recorder.#fileName());
		return recorder;
	}

	#fileName(at: Date = this.#startedAt): string {
		const ext = this.#format === "mp4" ? ".mp4" : ".mkv";
		if (!this.#segmenting()) return this.#opts.fileName ?? recordingFileName(this.#opts.broadcast, at, ext);
		// Segments carry their own start time; a given name gives its stem.
		const given = this.#opts.fileName;
		if (given === undefined) return recordingFileName(this.#opts.broadcast, at, ext);
		const dot = given.lastIndexOf(".");
		return `${dot > 0 ? given.slice(0, dot) : given}-${timestampStem(at)}${dot > 0 ? given.slice(dot) : ext}`;
	}

	#segmenting(): boolean {
		const s = this.#opts.segment;
		return s !== undefined && ((s.seconds ?? 0) > 0 || (s.bytes ?? 0) > 0);
	}

	/** The file's absolute path, once created. */
	get path(): string | undefined {
		return this.#path;
	}

	/** True once the requested duration has been recorded; further consumers are ignored. */
	get complete(): boolean {
		return this.#durationReached || this.#finished || this.#fatal !== undefined;
	}

	/** A snapshot of the counters. */
	progress(): RecordingProgress {
		const tracks: Record<string, RecordedTrack> = {};
		let durationUs = 0;
		for (const t of this.#tracks) {
			const d = t.firstOutUs === undefined ? 0 : t.endOutUs - t.firstOutUs;
			durationUs = Math.max(durationUs, d);
			tracks[t.name] = {
				kind: t.kind,
				codec: t.codec,
				frames: t.frames,
				bytes: t.bytes,
				dropped: t.dropped,
				durationS: d / 1e6,
				ended: t.ended,
				state: t.state,
				gaps: t.gaps,
				gapS: t.gapUs / 1e6,
				skippedGroups: t.skippedGroups,
				resubscribes: t.resubscribes,
			};
		}
		const segments = this.#path === undefined ? [...this.#segments] : [...this.#segments, this.#path];
		return { path: this.#path, bytes: this.#segmentBytes + (this.#sink?.bytes ?? 0), durationS: durationUs / 1e6, epochs: this.#epochs, tracks, segments };
	}

	/**
	 * Records from `consumer` until its tracks end, it fails, `signal` aborts, the duration is
	 * reached, or another call replaces it (a reconnect: the old consumer's part stops first).
	 * Never rejects for consumer-side failures (they come back as `reason: "error"`); rejects
	 * with the StudioError when the recording itself cannot go on: no/garbage catalog on the first
	 * consumer (MEDIA/TIMEOUT/PROTOCOL), nothing recordable (MEDIA), the file failing (IO).
	 */
	async record(consumer: Moq.Broadcast.Consumer, signal?: AbortSignal, part: RecordPartOptions = {}): Promise<EpochResult> {
		if (this.#finished) throw new StudioError("CLOSED", "recording is finished");
		if (this.#fatal) throw this.#fatal;
		if (this.#durationReached) return { reason: "duration" };
		if (this.#current) {
			this.#current.stop.abort("replaced");
			await this.#current.done;
		}
		const stop = new AbortController();
		const onAbort = () => stop.abort("aborted");
		signal?.addEventListener("abort", onAbort, { once: true });
		if (signal?.aborted) stop.abort("aborted");
		const done = this.#epoch(consumer, stop.signal, part.fromFirstGroup === true).finally(() => signal?.removeEventListener("abort", onAbort));
		const current = { stop, done, stopped: aborted(stop.signal) };
		this.#current = current;
		try {
			const result = await done;
			this.#lastReason = result.reason;
			this.#lastError = result.error;
			return result;
		} finally {
			if (this.#current === current) this.#current = undefined;
		}
	}

	async #epoch(consumer: Moq.Broadcast.Consumer, stop: AbortSignal, fromFirstGroup: boolean): Promise<EpochResult> {
		const first = this.#output === undefined;
		this.#epochs++;
		this.#timeline.newEpoch();
		const log = this.#opts.log;
		const catalogs = new CatalogConsumer(consumer);
		let catalog: Catalog | undefined;
		try {
			catalog = await catalogs.next({ timeoutMs: this.#opts.catalogTimeoutMs ?? 10_000, signal: stop });
		} catch (err) {
			const error = StudioError.from(err, "PROTOCOL");
			if (stop.aborted) return { reason: stopReason(stop) };
			if (first) throw error;
			log?.warn(`reconnected broadcast has no usable catalog: ${error.message}`);
			return { reason: "error", error };
		} finally {
			catalogs.close();
		}
		if (!catalog) return { reason: "ended" };
		if (first) await this.#start(catalog);

		const mapped = this.#map(catalog);
		const now = Date.now();
		for (const t of this.#tracks) t.lastArrival = now;
		const runs: TrackRun[] = mapped.map(({ out, rendition }) => ({ out, rendition, attempt: undefined, idle: false, done: false }));
		const stallMs = this.#stallMs();
		const watchdog = setInterval(() => this.#watch(runs), Math.max(50, Math.min(1000, stallMs / 4)));
		const errors: StudioError[] = [];
		await Promise.all(
			runs.map(async (run) => {
				try {
					await this.#superviseTrack(run, runs, consumer, stop, fromFirstGroup);
				} catch (err) {
					const error = StudioError.from(err, "PROTOCOL");
					if (error.codeName === "IO" || error.codeName === "INTERNAL") this.#fail(error);
					else if (!stop.aborted) errors.push(error);
				} finally {
					run.done = true;
				}
			}),
		);
		clearInterval(watchdog);
		this.#emitProgress(true);
		if (this.#fatal) throw this.#fatal;
		if (this.#durationReached) return { reason: "duration" };
		if (stop.aborted) return { reason: stopReason(stop) };
		if (errors[0]) return { reason: "error", error: errors[0] };
		return { reason: "ended" };
	}

	#fail(error: StudioError): void {
		this.#fatal ??= error;
		this.#current?.stop.abort("error");
	}

	/** Picks the renditions to record from the first catalog, creates the file and the muxer. */
	async #start(catalog: Catalog): Promise<void> {
		const all = this.#opts.tracks === "all";
		const videos = Object.entries(catalog.video?.renditions ?? {}).filter(([name, r]) => this.#usable(name, "video", r));
		const audios = Object.entries(catalog.audio?.renditions ?? {}).filter(([name, r]) => this.#usable(name, "audio", r));
		const pickedVideo = all ? videos : videos.sort(([, a], [, b]) => area(b) - area(a)).slice(0, 1);
		const pickedAudio = all ? audios : audios.slice(0, 1);
		if (pickedVideo.length === 0 && pickedAudio.length === 0) {
			throw new StudioError("MEDIA", "the broadcast's catalog has no rendition this recorder can write (legacy container, H.264/H.265/VP8/VP9/AV1, Opus/AAC/MP3/FLAC/Vorbis)");
		}

		const { sink, path } = await this.#createSink(this.#fileName());
		this.#sink = sink;
		this.#path = path;
		const output = this.#newOutput(sink, path);
		try {
			for (const [name, r] of pickedVideo) {
				const family = videoCodecFamily(r.codec);
				if (!family) continue;
				const source = new EncodedVideoPacketSource(family);
				output.addVideoTrack(source, { name });
				const description = r.description ? fromHex(r.description) : undefined;
				const decoderConfig: VideoDecoderConfig = { codec: r.codec, ...(r.codedWidth ? { codedWidth: r.codedWidth } : {}), ...(r.codedHeight ? { codedHeight: r.codedHeight } : {}), ...(description ? { description } : {}) };
				this.#tracks.push(this.#outTrack(name, "video", r, source, { decoderConfig }, r.framerate ? 1e6 / r.framerate : 33_333));
			}
			for (const [name, r] of pickedAudio) {
				const family = audioCodecFamily(r.codec);
				if (!family) continue;
				const source = new EncodedAudioPacketSource(family);
				output.addAudioTrack(source, { name });
				// Opus needs its OpusHead in the file; <moq-publish> omits it from the catalog.
				const description = r.description ? fromHex(r.description) : family === "opus" ? synthesizeOpusHead(r.numberOfChannels, r.sampleRate) : undefined;
				const decoderConfig: AudioDecoderConfig = { codec: r.codec, sampleRate: r.sampleRate, numberOfChannels: r.numberOfChannels, ...(description ? { description } : {}) };
				this.#tracks.push(this.#outTrack(name, "audio", r, source, { decoderConfig }, family === "opus" ? 20_000 : (1024 * 1e6) / r.sampleRate, audioFrameDuration(family, r.sampleRate)));
			}
			await output.start();
		} catch (err) {
			await sink.close();
			throw StudioError.from(err, "MEDIA");
		}
		this.#output = output;
		this.#opts.log?.info(`recording ${this.#tracks.map((t) => `${t.name} (${t.codec})`).join(", ")} to ${path}`);
	}

	/** A muxer writing into `sink` (fragmented MP4 or Matroska), cutting the file back to its last complete fragment on a failed write. */
	#newOutput(sink: RecordingSink, path: string): Output {
		const fragment = this.#opts.fragmentDurationS ?? 1;
		const format =
			this.#format === "mp4"
				? new Mp4OutputFormat({ fastStart: "fragmented", minimumFragmentDuration: fragment })
				: new MkvOutputFormat({ minimumClusterDuration: fragment });
		// Where the file's last complete fragment ends (MP4; a Matroska cluster has no size to follow).
		const fragments = this.#format === "mp4" ? new Mp4FragmentTracker() : undefined;
		const target = new SinkTarget(sink, {
			written: fragments ? (data, position) => fragments.written(data, position) : undefined,
			// Written fragments need no per-sample records any more (issue 18, see mp4-index.ts).
			flushed: () => trimWrittenFragments(output),
			failed: async (err) => {
				let error = StudioError.from(err, "IO");
				// A failed write (a full disk) leaves the fragment being written cut short, and
				// players read its moof into garbage: cut the file back to the last complete
				// fragment before the error is reported. Nothing is written after this: every
				// later flush fails with the same error and the output is cancelled.
				if (fragments && sink.truncate) {
					const keep = fragments.completeEnd;
					try {
						await sink.truncate(keep);
						error = new StudioError("IO", `${error.message}; the file keeps its complete fragments (${keep} bytes)`, { cause: err });
					} catch (cut) {
						this.#opts.log?.error(`could not cut ${path} back to its last complete fragment: ${StudioError.from(cut, "IO").message}`);
					}
				}
				this.#fail(error);
				return error;
			},
		});
		const output = new Output({ format, target });
		// The same fragments, serialized without mediabunny's per-field arrays (see mp4-fragments.ts).
		if (this.#format === "mp4") installFragmentWriter(output);
		return output;
	}

	/** Payload bytes of every packet booked for the file so far, all tracks. */
	#payloadBytes(): number {
		return this.#tracks.reduce((sum, t) => sum + t.bytes, 0);
	}

	/** The track whose key packets may start a segment: the first video track still recorded, else the first audio one. */
	#leadTrack(): OutTrack | undefined {
		return this.#tracks.find((t) => t.kind === "video" && !t.ended) ?? this.#tracks.find((t) => t.kind === "audio" && !t.ended);
	}

	/** True when `p` of `out` should start a new segment (see {@link RecorderOptions.segment}). */
	#rotationDue(out: OutTrack, p: PendingPacket): boolean {
		const limits = this.#opts.segment;
		if (!limits || !p.key || this.#finished || this.#fatal || out !== this.#leadTrack()) return false;
		if (this.#segmentStartUs === undefined) {
			this.#segmentStartUs = p.tsUs;
			return false;
		}
		// Payload booked rather than bytes written: the muxer writes a fragment only once the next
		// one starts, so the file lags the media by a GOP and would rotate a GOP late.
		const bySize = (limits.bytes ?? 0) > 0 && this.#payloadBytes() - this.#segmentPayloadStart >= limits.bytes!;
		const byTime = (limits.seconds ?? 0) > 0 && p.tsUs - this.#segmentStartUs >= limits.seconds! * 1e6;
		return bySize || byTime;
	}

	/**
	 * Starts a new segment at `p`: the next file and its muxer are made ready first, then every
	 * track switches to it at once (nothing is ever added to a closed source), then the previous
	 * file is finalized with its index. Packets other tracks added meanwhile stay in the previous file.
	 */
	async #rotate(p: PendingPacket): Promise<void> {
		const at = new Date();
		const { sink, path } = await this.#createSink(this.#fileName(at));
		const output = this.#newOutput(sink, path);
		const live = this.#tracks.filter((t) => !t.ended);
		let sources: (EncodedVideoPacketSource | EncodedAudioPacketSource)[];
		try {
			sources = live.map((t) => {
				if (t.kind === "video") {
					const source = new EncodedVideoPacketSource(videoCodecFamily(t.codec)!);
					output.addVideoTrack(source, { name: t.name });
					return source;
				}
				const source = new EncodedAudioPacketSource(audioCodecFamily(t.codec)!);
				output.addAudioTrack(source, { name: t.name });
				return source;
			});
			await output.start();
		} catch (err) {
			await sink.close();
			throw StudioError.from(err, "IO");
		}
		if (this.#fatal) {
			await output.cancel().catch(() => undefined);
			await sink.close().catch(() => undefined);
			throw this.#fatal;
		}
		const previous = { output: this.#output!, sink: this.#sink!, path: this.#path! };
		live.forEach((t, i) => {
			t.source.close();
			t.source = sources[i]!;
			t.sentMeta = false;
		});
		this.#output = output;
		this.#sink = sink;
		this.#path = path;
		this.#segmentStartUs = p.tsUs;
		this.#segmentPayloadStart = this.#payloadBytes();
		try {
			await previous.output.finalize();
		} catch (err) {
			this.#fail(StudioError.from(err, "IO"));
		}
		await previous.sink.close().catch((err: unknown) => this.#fail(StudioError.from(err, "IO")));
		this.#segments.push(previous.path);
		this.#segmentBytes += previous.sink.bytes;
		this.#opts.log?.info(`recording continues in a new segment ${path} at ${(p.tsUs / 1e6).toFixed(3)} s`);
		this.#emitProgress(true);
		if (this.#fatal) throw this.#fatal;
	}

	#usable(name: string, kind: "video" | "audio", r: VideoRendition | AudioRendition): boolean {
		const why =
			r.container.kind !== "legacy"
				? `container ${r.container.kind} is not supported`
				: r.broadcast !== undefined
					? "renditions in another broadcast are not supported"
					: (kind === "video" ? videoCodecFamily(r.codec) : audioCodecFamily(r.codec)) === undefined
						? `codec ${r.codec} is not supported`
						: undefined;
		if (why) this.#opts.log?.warn(`not recording ${kind} rendition ${name}: ${why}`);
		return why === undefined;
	}

	#outTrack(
		name: string,
		kind: "video" | "audio",
		r: VideoRendition | AudioRendition,
		source: EncodedVideoPacketSource | EncodedAudioPacketSource,
		meta: EncodedVideoChunkMetadata | EncodedAudioChunkMetadata,
		defaultDurationUs: number,
		frameDurationUs: (payload: Uint8Array) => number | undefined = () => undefined,
	): OutTrack {
		return {
			name,
			kind,
			codec: r.codec,
			description: r.description?.toLowerCase(),
			source,
			meta,
			sentMeta: false,
			ended: false,
			frames: 0,
			bytes: 0,
			dropped: 0,
			firstOutUs: undefined,
			lastOutUs: Number.NEGATIVE_INFINITY,
			endOutUs: 0,
			defaultDurationUs: Math.max(1, Math.round(defaultDurationUs)),
			lastArrival: Date.now(),
			recent: new Map(),
			lastAdd: undefined,
			unsettledAdds: 0,
			state: "waiting",
			gaps: 0,
			gapUs: 0,
			skippedGroups: 0,
			resubscribes: 0,
			minStepUs: Number.POSITIVE_INFINITY,
			pending: undefined,
			frameDurationUs,
			stepUs: Math.max(1, Math.round(defaultDurationUs)),
			gop: { frames: 0, minUs: 0, maxUs: 0 },
			groups: undefined,
			order: undefined,
		};
	}

	async #createSink(name: string): Promise<{ sink: RecordingSink; path: string }> {
		const open = this.#opts.openSink ?? ((p: string) => FileRecordingSink.create(p));
		for (let n = 0; n < 1000; n++) {
			const path = await resolveInFolder(this.#opts.folder, numbered(name, n));
			try {
				return { sink: await open(path), path };
			} catch (err) {
				// Never overwrite: an existing file (or planted symlink) moves us to the next name.
				if (err instanceof StudioError && err.codeName === "ALREADY_EXISTS") continue;
				throw StudioError.from(err, "IO");
			}
		}
		throw new StudioError("IO", `no free file name for ${name} in ${this.#opts.folder}`);
	}

	/** The file's tracks present in this consumer's catalog with the same codec and description. */
	#map(catalog: Catalog): { out: OutTrack; rendition: string }[] {
		const out: { out: OutTrack; rendition: string }[] = [];
		for (const t of this.#tracks) {
			if (t.ended) continue;
			const r: VideoRendition | AudioRendition | undefined = t.kind === "video" ? catalog.video?.renditions[t.name] : catalog.audio?.renditions[t.name];
			if (!r) {
				this.#opts.log?.warn(`track ${t.name} is missing from the broadcast's catalog`);
				continue;
			}
			if (r.codec !== t.codec || r.description?.toLowerCase() !== t.description || r.container.kind !== "legacy") {
				// The file's track was set up for the old decoder config; mixing would not decode.
				this.#opts.log?.warn(`track ${t.name} changed its codec configuration; it is not recorded any further`);
				continue;
			}
			out.push({ out: t, rendition: t.name });
		}
		return out;
	}

	#stallMs(): number {
		return this.#opts.stallMs ?? 3000;
	}

	/**
	 * Keeps one track subscribed for as long as this part lasts (the broadcast is announced on this
	 * connection): a subscription the relay resets, or one that stalls while other tracks arrive, is
	 * made again after a backoff, from the group after the last one completely read (moq-lite's
	 * subscribe `startGroup`), so nothing the relay still holds is skipped. A subscription that ends
	 * cleanly is the publisher finishing the track, unless the other tracks go on arriving: then it
	 * is the relay dropping ours, and it is made again from the latest group.
	 * Returns when the part stops, the track ends in the file, or the track is over; throws only
	 * when the broadcast itself is gone (subscribe refused) or the file fails.
	 */
	async #superviseTrack(run: TrackRun, runs: TrackRun[], consumer: Moq.Broadcast.Consumer, stop: AbortSignal, fromFirstGroup: boolean): Promise<void> {
		const out = run.out;
		out.groups = undefined; // sequences restart with every connection
		out.order = newOrder(out.kind);
		try {
			await this.#superviseAttempts(run, runs, consumer, stop, fromFirstGroup);
		} finally {
			// Whatever still waits for a hole is written now: this connection brings nothing more.
			const order = out.order;
			out.order = undefined;
			if (order && !this.#fatal && !out.ended) await this.#writeReleased(out, order.drain());
		}
	}

	async #superviseAttempts(run: TrackRun, runs: TrackRun[], consumer: Moq.Broadcast.Consumer, stop: AbortSignal, fromFirstGroup: boolean): Promise<void> {
		const out = run.out;
		let backoff = RESUBSCRIBE_MIN_MS;
		// Caught at its announcement: the first attempt asks for group 0, the track's first (hang
		// numbers groups from 0); a relay that no longer holds it starts at the oldest it has.
		let startGroup: number | undefined = fromFirstGroup ? 0 : undefined;
		let cleanEmpty = 0;
		for (let attempt = 0; ; attempt++) {
			if (stop.aborted || out.ended || this.#fatal) return;
			const control = new AbortController();
			run.attempt = control;
			const sub = consumer.track(run.rendition).subscribe({
				priority: PRIORITY[out.kind],
				ordered: true,
				latencyMax: RECORD_LATENCY_MAX_MS,
				...(startGroup !== undefined ? { startGroup } : {}),
			});
			// The library shares one upstream subscription per track and replays its cache to a new
			// subscriber: skip what this recorder already has.
			if (startGroup !== undefined) sub.startAt(startGroup);
			if (attempt > 0) out.resubscribes++;
			const first = attempt === 0 && fromFirstGroup;
			this.#setState(out, attempt === 0 ? "waiting" : "resubscribing", first ? "subscribed from the first group" : attempt === 0 ? "subscribed" : `subscribing again from ${startGroup === undefined ? "the latest group" : `group ${startGroup}`}`, startGroup);
			const close = () => sub.close();
			stop.addEventListener("abort", close, { once: true });
			control.signal.addEventListener("abort", close, { once: true });
			const counts = { groups: 0, first: undefined as number | undefined };
			let ending: { kind: "clean" } | { kind: "error"; message: string } = { kind: "clean" };
			try {
				// From the first group, the write position is not pinned to 0: nothing says this
				// broadcast's numbering starts there, so GroupOrder starts at group 0 when it comes,
				// else at the lowest group of the burst (and no group counts as skipped).
				await this.#runTrack(out, sub, stop, control.signal, first ? undefined : startGroup, counts);
			} catch (err) {
				const error = StudioError.from(err, "PROTOCOL");
				if (error.codeName === "IO" || error.codeName === "INTERNAL" || this.#fatal) throw this.#fatal ?? error;
				ending = { kind: "error", message: error.message };
			} finally {
				stop.removeEventListener("abort", close);
				control.signal.removeEventListener("abort", close);
				sub.close();
				run.attempt = undefined;
			}
			if (stop.aborted || out.ended || this.#fatal) return;
			const delivered = counts.groups > 0;
			const last = this.#lastGroup(out);
			let reason: string;
			if (control.signal.aborted) {
				reason = `no data for ${(this.#stallMs() / 1000).toFixed(1)} s while other tracks arrive`; // the watchdog reported it
			} else if (ending.kind === "error") {
				reason = `subscription reset: ${ending.message}`;
				this.#setState(out, "stalled", reason, last);
				this.#opts.log?.warn(`track ${out.name}: ${reason}; subscribing again`);
			} else {
				// Ended cleanly: the publisher finished it (the others end too), or the relay closed
				// ours (the others go on arriving). Wait to see which.
				this.#setState(out, "stalled", "the track ended", last);
				cleanEmpty = delivered ? 0 : cleanEmpty + 1;
				if (cleanEmpty >= 2) {
					// Subscribed again and it ended again with nothing: the publisher ended this track.
					this.#endTrack(out, "the publisher ended the track");
					return;
				}
				run.idle = true;
				const goesOn = await this.#othersGoOn(run, runs, stop);
				run.idle = false;
				if (!goesOn) {
					if (!stop.aborted) this.#setState(out, "ended", "the publisher ended the track", last);
					return;
				}
				reason = "the track ended while the others go on";
				this.#opts.log?.warn(`track ${out.name}: ${reason}; subscribing again`);
			}
			// From the next group not written, while the relay may still hold it; an attempt that
			// delivered nothing from there (the track restarted its numbering) retries at the latest.
			if (ending.kind === "clean" && !control.signal.aborted) startGroup = undefined; // the relay's track was made anew: its numbering may restart
			else if (last !== undefined && (delivered || startGroup === undefined)) startGroup = last + 1;
			else startGroup = undefined; // asked for a start and got nothing: the numbering restarted
			backoff = delivered ? RESUBSCRIBE_MIN_MS : Math.min(RESUBSCRIBE_MAX_MS, backoff * 2);
			this.#opts.log?.debug(`track ${out.name}: ${reason}`);
			await sleep(backoff, stop);
		}
	}

	/** The last group sequence completely read on this connection, if any. */
	#lastGroup(out: OutTrack): number | undefined {
		const g = out.groups;
		return g && g.contiguous >= 0 ? g.contiguous : undefined;
	}

	/**
	 * After `run`'s track ended cleanly: resolves true once another track has kept arriving for
	 * {@link RecorderOptions.stallMs} without this one (the relay dropped ours), false when every
	 * other track has ended or idles too (the publisher finished), or the part stops.
	 */
	async #othersGoOn(run: TrackRun, runs: TrackRun[], stop: AbortSignal): Promise<boolean> {
		const stallMs = this.#stallMs();
		const tick = Math.max(50, Math.min(1000, stallMs / 4));
		for (;;) {
			if (stop.aborted || run.out.ended) return false;
			const others = runs.filter((r) => r !== run && !r.done && !r.idle);
			if (others.length === 0) return false;
			const now = Date.now();
			if (now - run.out.lastArrival > stallMs && others.some((r) => now - r.out.lastArrival < stallMs)) return true;
			await sleep(tick, stop);
		}
	}

	/** The stall watchdog: a subscribed track silent for `stallMs` while another arrives is subscribed again. */
	#watch(runs: TrackRun[]): void {
		const stallMs = this.#stallMs();
		const now = Date.now();
		for (const run of runs) {
			const out = run.out;
			if (!run.attempt || run.attempt.signal.aborted || run.done || out.ended || now - out.lastArrival <= stallMs) continue;
			if (!runs.some((r) => r !== run && !r.done && !r.out.ended && now - r.out.lastArrival < stallMs)) continue;
			const reason = `no data for ${((now - out.lastArrival) / 1000).toFixed(1)} s while other tracks arrive`;
			this.#setState(out, "stalled", reason, this.#lastGroup(out));
			this.#opts.log?.warn(`track ${out.name}: ${reason}; subscribing again`);
			run.attempt.abort("stalled");
		}
	}

	#setState(out: OutTrack, state: TrackState, reason: string, group: number | undefined): void {
		if (out.ended && state !== "ended") return;
		out.state = state;
		// Progress first, so a listener of both sees counters that already hold the new state.
		this.#emitProgress(true);
		const cb = this.#opts.onTrackState;
		if (cb) {
			try {
				cb({ track: out.name, kind: out.kind, state, group, reason, resubscribes: out.resubscribes, gaps: out.gaps, gapS: out.gapUs / 1e6, skippedGroups: out.skippedGroups });
			} catch {
				// A failing listener must not break the recording.
			}
		}
	}

	/** Records that `sequence` was read completely, advancing the contiguous watermark. */
	#groupRead(out: OutTrack, sequence: number): void {
		const g = (out.groups ??= { contiguous: sequence - 1, above: new Set() });
		if (sequence <= g.contiguous) return;
		g.above.add(sequence);
		if (g.above.size > MAX_GROUPS_ABOVE) g.contiguous = Math.min(...g.above) - 1; // that hole is not coming
		while (g.above.delete(g.contiguous + 1)) g.contiguous++;
	}

	async #runTrack(
		out: OutTrack,
		sub: Moq.Track.Subscriber,
		stop: AbortSignal,
		stalled: AbortSignal,
		startGroup: number | undefined,
		counts: { groups: number; first: number | undefined },
	): Promise<void> {
		// Groups are written in group-sequence order (see AUDIO_HOLE_WAIT_MS, newOrder). A
		// resubscription from `startGroup` continues where this connection's writing stands.
		let order = (out.order ??= newOrder(out.kind));
		if (startGroup === undefined && order.next !== undefined) {
			// Subscribed at the latest group (first time, or the relay made the track anew and its
			// numbering may restart): nothing ties these sequences to what was written. Write what
			// waited and order this subscription's groups afresh.
			await this.#writeReleased(out, order.drain());
			order = out.order = newOrder(out.kind);
		}
		if (startGroup !== undefined) order.expect(startGroup);
		const cut = () => stop.aborted || stalled.aborted;
		// The receive in progress: kept across wake-ups for a hole's deadline, so no group is lost
		// to a race that the timer won.
		let pending: Promise<{ group: Moq.Group.Consumer | undefined }> | undefined;
		try {
			for (;;) {
				if (cut() || out.ended) return;
				// A hole past its wait is given up here, not only when the timer below wins its race:
				// groups that follow each other back to back (video: the next GOP opens as the last
				// one completes; audio every 20 ms) always win it, and a live subscription's start
				// hole then held every group until the memory bound (60 GOPs: a minute of video
				// missing from the file, and a duration reached only that much later).
				const deadline = order.deadline();
				if (deadline !== undefined && deadline <= runningNow()) {
					await this.#writeReleased(out, order.expire(runningNow()));
					continue;
				}
				pending ??= sub.recvGroup().then((group) => ({ group }));
				const received = deadline === undefined ? await pending : await this.#until(pending, deadline);
				if (!received) {
					// A hole may have stayed open past its deadline: write what waited behind it.
					await this.#writeReleased(out, order.expire(runningNow()));
					continue;
				}
				pending = undefined;
				const group = received.group;
				if (!group) {
					// The track ended cleanly: what still waits for a hole will not get it here.
					if (!cut()) await this.#writeReleased(out, order.drain());
					return;
				}
				if (cut()) {
					group.close();
					return;
				}
				if (counts.groups++ === 0) {
					counts.first = group.sequence;
					// Asked for a group the relay no longer holds: it resumed at the oldest it has.
					const skipped = startGroup !== undefined && group.sequence > startGroup ? group.sequence - startGroup : 0;
					out.skippedGroups += skipped;
					this.#setState(out, "recording", skipped > 0 ? `resumed at group ${group.sequence}; groups ${startGroup}-${group.sequence - 1} were no longer held` : `receiving from group ${group.sequence}`, group.sequence);
				}
				// Held until the group is complete and its turn comes (#writeReleased writes it: for
				// video one group is one GOP, skipped whole when its keyframe does not move the track
				// forward, since splicing into it would not decode).
				const frames: Uint8Array[] = [];
				let bytes = 0;
				let complete = false;
				let reset = false;
				try {
					for (;;) {
						let frame: Moq.Group.Frame | undefined;
						try {
							// A frame already buffered is taken without a promise (readFrame's own
							// first step, minus the await); a group that lost frames (Lagged) goes
							// through readFrame, which reports it.
							frame = group.skipped ? undefined : group.tryReadFrame();
							frame ??= await group.readFrame();
						} catch (err) {
							if (stop.aborted) return;
							// Frames were evicted before we read them (Lagged) or the group was reset:
							// the rest of this GOP cannot decode, move on to the next group.
							this.#opts.log?.debug(`track ${out.name}: group ${group.sequence} cut short: ${(err as Error).message}`);
							reset = true;
							break;
						}
						if (!frame) {
							// A subscription closed under us ends its open group cleanly: not complete.
							complete = !cut();
							break;
						}
						frames.push(frame.payload);
						bytes += frame.payload.byteLength;
						out.lastArrival = Date.now();
						if (stop.aborted || out.ended) return;
					}
				} finally {
					group.close();
				}
				// A reset group is over: its frames that arrived are all it will ever have.
				if (complete || (reset && frames.length > 0)) await this.#writeReleased(out, order.push(group.sequence, frames, bytes, runningNow()));
				else if (reset) await this.#writeReleased(out, order.skip(group.sequence));
				if (complete) this.#groupRead(out, group.sequence);
			}
		} finally {
			// A receive still in flight when this subscription ends: its group is not ours to read.
			void pending?.then(({ group }) => group?.close(), () => undefined);
		}
	}

	/** Resolves with `pending`'s result, or undefined after a tick or once {@link runningNow} reaches `deadline`. */
	async #until<T>(pending: Promise<T>, deadline: number): Promise<T | undefined> {
		let timer: ReturnType<typeof setTimeout> | undefined;
		const expired = new Promise<undefined>((resolve) => {
			// One tick at most: the running clock must be read that often (see runningNow).
			timer = setTimeout(() => resolve(undefined), Math.min(Math.max(0, deadline - runningNow()), QUIET_TICK_MS));
		});
		try {
			return await race([pending, expired]);
		} finally {
			clearTimeout(timer);
		}
	}

	/**
	 * Writes what a {@link GroupOrder} released, in order. A group arriving at or below the write
	 * position (a replay after a resubscribe, a straggler whose hole was given up) goes through
	 * {@link #write} too, which drops and counts it: its timestamp is not after the file's.
	 */
	async #writeReleased(out: OutTrack, release: Release<Uint8Array>): Promise<void> {
		if (release.holes > 0) this.#opts.log?.debug(`track ${out.name}: gave up ${release.holes} group(s) that never arrived`);
		// Audio frames are each a random access point; a video group is one GOP, whose first
		// frame is its keyframe and whose keyframe must move the track forward (see #write).
		const audio = { skip: false, resume: false, floorUs: 0 };
		for (const list of [release.late, release.ready]) {
			for (const g of list) {
				const state = out.kind === "video" ? { skip: false, resume: false, floorUs: out.lastOutUs } : audio;
				const frames = g.frames;
				for (let i = 0; i < frames.length; i++) {
					if (this.#fatal || out.ended) return;
					const wait = this.#write(out, frames[i]!, out.kind === "audio" || i === 0, state);
					if (wait) await wait;
				}
			}
		}
	}

	/**
	 * Books one frame for the file and hands the packet before it to the muxer. Returns a promise
	 * only when the track must wait for the muxer (see {@link #mux}): most frames cost no promise.
	 */
	#write(out: OutTrack, bytes: Uint8Array, key: boolean, group: { skip: boolean; resume: boolean; floorUs: number }): Promise<void> | undefined {
		if (this.#fatal) throw this.#fatal;
		let frame;
		try {
			frame = decodeLegacyFrame(bytes);
		} catch {
			out.dropped++;
			if (key) group.skip = true;
			return;
		}
		if (frame.payload.byteLength === 0) return; // a hang marker, not a sample
		const now = Date.now();
		out.lastArrival = now;
		const tsUs = this.#timeline.map(frame.timestampUs, out, frame.payload);

		if (this.#opts.durationS !== undefined && tsUs >= this.#opts.durationS * 1e6) {
			this.#endTrack(out, "duration reached");
			if (this.#tracks.every((t) => t.ended)) {
				this.#durationReached = true;
				this.#current?.stop.abort("duration");
			}
			return;
		}
		if (out.ended) return;
		if (out.kind === "video") {
			const known = out.recent.get(tsUs);
			const seen = known !== undefined && known === fingerprint(frame.payload);
			if (key) {
				// A keyframe already in the file: a reconnect replaying this GOP. The frames written
				// so far are a decode-order prefix of it, so the rest can follow them.
				group.resume = seen;
				group.skip = !seen && out.frames > 0 && tsUs <= out.lastOutUs;
				group.floorUs = out.lastOutUs;
			}
			// A presentation time already in the file (a repeated capture frame, a replayed packet)
			// cannot be muxed validly: players reject non-increasing timestamps.
			// (`known` is what `out.recent.has(tsUs)` would say: one map lookup per packet, not two.)
			if (group.resume ? seen : group.skip || (out.frames === 0 && !key) || tsUs < group.floorUs || known !== undefined) {
				out.dropped++;
				return;
			}
			if (group.resume) key = false; // it continues the GOP already in the file
		} else if (out.frames > 0 && tsUs <= out.lastOutUs) {
			out.dropped++;
			return;
		}

		this.#countGap(out, tsUs, key);
		// The packet before this one gets its duration from this one's timestamp, and is muxed now;
		// this one waits for the next (or the track's end). Counted as written from here on: the
		// duplicate and order checks above must see it.
		const previous = out.pending;
		const durationUs = previous ? this.#sampleDurationUs(out, previous, { tsUs, key }) : 0;
		this.#accept(out, { payload: frame.payload, tsUs, key });
		this.#checkStalls(out, now);
		const wait = previous ? this.#mux(out, previous, durationUs) : undefined;
		this.#emitProgress(false);
		return wait;
	}

	/** Books a packet as written (see {@link OutTrack.pending}) and makes it the track's pending one. */
	#accept(out: OutTrack, p: PendingPacket): void {
		if (out.kind === "audio") {
			const step = p.tsUs - out.lastOutUs;
			// A step across a hole is not a frame length.
			if (out.frames > 0 && step > 0 && step <= 1.5 * Math.min(out.defaultDurationUs, out.minStepUs)) out.stepUs = step;
		} else if (p.key) {
			// A GOP's frames span from its lowest presentation time to the next keyframe.
			const g = out.gop;
			if (g.frames > 0 && p.tsUs > g.minUs) out.stepUs = Math.max(1, Math.round((p.tsUs - g.minUs) / g.frames));
			out.gop = { frames: 1, minUs: p.tsUs, maxUs: p.tsUs };
		} else {
			const g = out.gop;
			g.frames++;
			g.minUs = Math.min(g.minUs, p.tsUs);
			g.maxUs = Math.max(g.maxUs, p.tsUs);
		}
		out.pending = p;
		out.recent.set(p.tsUs, fingerprint(p.payload));
		if (out.recent.size > RECENT_PACKETS + RECENT_TRIM) {
			let drop = out.recent.size - RECENT_PACKETS;
			for (const ts of out.recent.keys()) {
				if (drop-- <= 0) break;
				out.recent.delete(ts);
			}
		}
		out.frames++;
		out.bytes += p.payload.byteLength;
		out.firstOutUs ??= p.tsUs;
		out.lastOutUs = Math.max(out.lastOutUs, p.tsUs);
		out.endOutUs = Math.max(out.endOutUs, p.tsUs + (out.frameDurationUs(p.payload) ?? out.stepUs));
		this.#timeline.endUs = Math.max(this.#timeline.endUs, out.endOutUs);
	}

	/**
	 * The duration of `p` in the file: up to the next packet when there is one, else one codec
	 * frame (see durations.ts). In fragmented MP4 a sample's time is the sum of the durations
	 * before it in its fragment, so a duration that is not the real distance to the next sample
	 * shifts every later sample of the fragment (a hole after an audio packet, a 10 ms Opus frame
	 * given the nominal 20 ms, a capture frame rate off the catalog's). Video packets are in
	 * decode order with presentation times: the muxer derives the durations inside a GOP itself;
	 * what it cannot know is the last one's, from the GOP's highest presentation time (its last
	 * decode time) to the next keyframe.
	 */
	#sampleDurationUs(out: OutTrack, p: PendingPacket, next: { tsUs: number; key: boolean } | undefined): number {
		let d: number | undefined;
		if (next) d = out.kind === "audio" ? next.tsUs - p.tsUs : next.key ? next.tsUs - out.gop.maxUs : out.stepUs;
		else if (out.kind === "audio") d = out.frameDurationUs(p.payload);
		return d !== undefined && d > 0 ? d : out.stepUs;
	}

	/**
	 * Hands `p` to the muxer with its duration. A packet the muxer refuses is counted dropped.
	 *
	 * Not waited for one by one: the muxer takes packets in the order they are handed to it (one
	 * FIFO lock for all its tracks, which finalizing a file also waits on), so the track waits
	 * only every {@link ADDS_PER_WAIT} packets, and before a new segment, for the last one it
	 * handed over (and so for all before it). A refusal is booked back when it comes; a failed
	 * write has failed the recording by then (#fail), which the next packet throws.
	 */
	#mux(out: OutTrack, p: PendingPacket, durationUs: number): Promise<void> | undefined {
		if (this.#rotationDue(out, p)) return this.#rotateAndMux(out, p, durationUs);
		this.#handOver(out, p, durationUs);
		return ++out.unsettledAdds >= ADDS_PER_WAIT ? this.#settleAdds(out) : undefined;
	}

	/**
	 * {@link #mux} at a segment boundary. What any track handed the muxer before the switch is
	 * queued in the current file's muxer, which finalizing that file waits for; this track waits
	 * for its own first, as it always did before a rotation.
	 */
	async #rotateAndMux(out: OutTrack, p: PendingPacket, durationUs: number): Promise<void> {
		await this.#settleAdds(out);
		await this.#rotate(p);
		this.#handOver(out, p, durationUs);
		if (++out.unsettledAdds >= ADDS_PER_WAIT) await this.#settleAdds(out);
	}

	/** Hands `p` to the muxer without waiting for it; a refusal, now or later, is booked back. */
	#handOver(out: OutTrack, p: PendingPacket, durationUs: number): void {
		let added: Promise<void>;
		try {
			added = this.#add(out, p, durationUs);
		} catch (err) {
			this.#refused(out, p, err);
			return;
		}
		added.catch((err: unknown) => this.#refused(out, p, err));
		out.lastAdd = added;
	}

	/**
	 * Waits until the muxer took every packet `out` handed it (see {@link #mux}). mediabunny's
	 * interleaver holds one track's add() until every other track has caught up; when the others
	 * have ended upstream that wait never ends. A stopped part must not wait for it: the packets
	 * stay queued, in order, and finish() closing the tracks flushes them. Throws the recording's
	 * fatal error, if any.
	 */
	async #settleAdds(out: OutTrack): Promise<void> {
		const last = out.lastAdd;
		out.lastAdd = undefined;
		out.unsettledAdds = 0;
		if (last) {
			const settled = last.then(
				() => undefined,
				() => undefined,
			);
			const stopped = this.#current?.stopped;
			// `stopped` lives for the whole part: a native race per wait would pin every one (issue 18).
			await (stopped ? race([settled, stopped]) : settled);
		}
		if (this.#fatal) throw this.#fatal;
	}

	/** The muxer refused `p` (e.g. a timestamp it cannot order): drop it, keep the file. Nothing to undo after a fatal error. */
	#refused(out: OutTrack, p: PendingPacket, err: unknown): void {
		if (this.#fatal) return;
		this.#unbook(out, p);
		this.#opts.log?.debug(`track ${out.name}: packet at ${p.tsUs} µs rejected: ${(err as Error).message}`);
	}

	/** Calls the track source's `add` (the first call carries the decoder config); throws if the source refuses at once. */
	#add(out: OutTrack, p: PendingPacket, durationUs: number): Promise<void> {
		const packet = new EncodedPacket(p.payload, p.key ? "key" : "delta", p.tsUs / 1e6, durationUs / 1e6);
		const added =
			out.kind === "video"
				? (out.source as EncodedVideoPacketSource).add(packet, out.sentMeta ? undefined : (out.meta as EncodedVideoChunkMetadata))
				: (out.source as EncodedAudioPacketSource).add(packet, out.sentMeta ? undefined : (out.meta as EncodedAudioChunkMetadata));
		out.sentMeta = true;
		return added;
	}

	/** Takes back the booking of a packet the muxer refused. */
	#unbook(out: OutTrack, p: PendingPacket): void {
		out.dropped++;
		out.frames--;
		out.bytes -= p.payload.byteLength;
		out.recent.delete(p.tsUs);
	}

	/**
	 * Muxes the track's pending packet with its codec frame length, before the track closes.
	 * Not awaited: the interleaver may hold it until the other tracks catch up, and closing the
	 * track (queued behind it) or finalizing the file is what lets it through.
	 */
	#flushPending(out: OutTrack): void {
		const p = out.pending;
		out.pending = undefined;
		if (!p) return;
		try {
			this.#add(out, p, this.#sampleDurationUs(out, p, undefined)).catch((err: unknown) => {
				if (!this.#fatal) this.#opts.log?.debug(`track ${out.name}: last packet at ${p.tsUs} µs rejected: ${(err as Error).message}`);
			});
		} catch (err) {
			this.#unbook(out, p);
			this.#opts.log?.debug(`track ${out.name}: last packet at ${p.tsUs} µs not written: ${(err as Error).message}`);
		}
	}

	/**
	 * Counts a hole before a packet at `tsUs`: a jump beyond 1.5 frame durations after the track's
	 * last packet. Audio is checked at every packet; video only at keyframes, because B-frames put
	 * presentation times out of order inside a GOP (a closed GOP starts one frame after the last).
	 */
	#countGap(out: OutTrack, tsUs: number, key: boolean): void {
		if (out.frames === 0 || (out.kind === "video" && !key)) return;
		const step = tsUs - out.lastOutUs;
		if (step > 0 && out.kind === "audio") out.minStepUs = Math.min(out.minStepUs, step);
		// The previous packet's own length where the codec says it (Opus TOC): one short step (a
		// looped file's wrap overlapping by the encoder's pre-skip) must not make every later
		// 20 ms step a "gap".
		const previous = out.kind === "audio" && out.pending ? out.frameDurationUs(out.pending.payload) : undefined;
		const frameUs = previous ?? Math.min(out.defaultDurationUs, out.minStepUs);
		if (step > 1.5 * frameUs) {
			out.gaps++;
			out.gapUs += step - frameUs;
			this.#opts.log?.debug(`track ${out.name}: gap of ${((step - frameUs) / 1e6).toFixed(3)} s before ${(tsUs / 1e6).toFixed(3)} s`);
		}
	}

	/** Ends tracks missing for `trackGiveUpMs` while `active` arrives (see {@link RecorderOptions.trackGiveUpMs}). */
	#checkStalls(active: OutTrack, now: number): void {
		const giveUpMs = this.#opts.trackGiveUpMs ?? 30_000;
		for (const t of this.#tracks) {
			if (t !== active && !t.ended && now - t.lastArrival > giveUpMs) {
				this.#endTrack(t, `no data for ${Math.round((now - t.lastArrival) / 1000)} s; the file stops waiting for it`);
			}
		}
	}

	#endTrack(t: OutTrack, why: string): void {
		if (t.ended) return;
		t.ended = true;
		if (!this.#fatal) this.#flushPending(t);
		t.source.close();
		this.#setState(t, "ended", why, this.#lastGroup(t));
		// Expected when the duration is reached; anything else is a track missing from the rest of the file.
		if (this.#durationReached || why === "duration reached") this.#opts.log?.info(`track ${t.name} ended in the recording: ${why}`);
		else this.#opts.log?.warn(`track ${t.name} ended in the recording: ${why}`);
	}

	#emitProgress(force: boolean): void {
		const cb = this.#opts.onProgress;
		if (!cb) return;
		const now = Date.now();
		if (!force && now - this.#lastProgress < 200) return;
		this.#lastProgress = now;
		try {
			cb(this.progress());
		} catch {
			// A failing progress listener must not break the recording.
		}
	}

	/**
	 * Stops the current consumer (if any), writes the last fragment and the index, and closes the
	 * file. After a fatal IO error the file keeps every fragment written before it and this
	 * rejects with that error. Idempotent: later calls return the same summary shape.
	 */
	async finish(): Promise<RecordingSummary> {
		if (this.#current) {
			this.#current.stop.abort("aborted");
			await this.#current.done.catch(() => undefined);
		}
		if (!this.#finished) {
			this.#finished = true;
			for (const t of this.#tracks) {
				if (!t.ended && !this.#fatal) this.#flushPending(t);
				t.ended = true;
				t.state = "ended";
			}
			if (this.#output) {
				try {
					if (this.#fatal) await this.#output.cancel();
					else await this.#output.finalize();
				} catch (err) {
					this.#fatal ??= StudioError.from(err, "IO");
				}
			}
			await this.#sink?.close().catch((err: unknown) => {
				this.#fatal ??= StudioError.from(err, "IO");
			});
		}
		const error = this.#fatal ?? (this.#lastReason === "error" ? this.#lastError : undefined);
		const summary: RecordingSummary = {
			...this.progress(),
			startedAt: this.#startedAt.toISOString(),
			endedAt: new Date().toISOString(),
			reason: this.#fatal ? "error" : this.#durationReached ? "duration" : this.#lastReason,
			...(error ? { error: error.toInfo() } : {}),
		};
		this.#emitProgress(true);
		if (this.#fatal) throw this.#fatal;
		return summary;
	}
}

function area(r: VideoRendition): number {
	return (r.codedWidth ?? 0) * (r.codedHeight ?? 0);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted) return resolve();
		const done = () => {
			clearTimeout(timer);
			signal.removeEventListener("abort", done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal.addEventListener("abort", done, { once: true });
	});
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted) resolve();
		else signal.addEventListener("abort", () => resolve(), { once: true });
	});
}

function stopReason(stop: AbortSignal): RecordingEnd {
	const r: unknown = stop.reason;
	return r === "replaced" || r === "duration" || r === "error" ? r : "aborted";
}

/** A broadcast to record: a consumer, or a function returning a fresh one after each disconnect. */
export type ConsumerSource = Moq.Broadcast.Consumer | (() => Promise<Moq.Broadcast.Consumer | undefined>);

/** Options for {@link recordBroadcast}. */
export interface RecordBroadcastOptions extends RecorderOptions {
	/**
	 * What to record. With a function, it is called for the first consumer and again whenever a
	 * consumer ends (disconnect, publisher gone); returning `undefined` finishes the recording.
	 */
	consumer: ConsumerSource;
	/** Finishes the recording cleanly (the promise resolves with `reason: "aborted"`). */
	signal?: AbortSignal;
	/**
	 * The first consumer is a broadcast caught at its announcement: record it from its first
	 * group (see {@link RecordPartOptions.fromFirstGroup}). Later consumers (reconnects) start live.
	 */
	fromFirstGroup?: boolean;
}

/**
 * Records a broadcast into one file until it ends, `signal` aborts, or `durationS` is reached;
 * with a consumer function, across reconnects.
 * Resolves with the summary once the file is complete and closed. Rejects with a StudioError —
 * after closing the file, which keeps what was written — for a bad path (FORBIDDEN /
 * INVALID_ARGUMENT / IO), a missing or garbage first catalog (TIMEOUT / MEDIA / PROTOCOL),
 * nothing recordable (MEDIA), or a write failure such as a full disk (IO).
 */
export async function recordBroadcast(opts: RecordBroadcastOptions): Promise<RecordingSummary> {
	const recorder = await Recorder.open(opts);
	const source = opts.consumer;
	try {
		if (typeof source !== "function") {
			await recorder.record(source, opts.signal, { fromFirstGroup: opts.fromFirstGroup === true });
		} else {
			for (let part = 0; !opts.signal?.aborted && !recorder.complete; part++) {
				const consumer = await source();
				if (!consumer) break;
				try {
					const result = await recorder.record(consumer, opts.signal, { fromFirstGroup: part === 0 && opts.fromFirstGroup === true });
					if (result.error) opts.log?.warn(`broadcast interrupted: ${result.error.message}`);
				} finally {
					consumer.close();
				}
			}
		}
	} catch (err) {
		await recorder.finish().catch(() => undefined);
		throw StudioError.from(err, "INTERNAL");
	}
	return recorder.finish();
}
