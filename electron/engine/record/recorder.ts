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
	StreamTarget,
	type StreamTargetChunk,
} from "mediabunny";
import { StudioError, type StudioErrorInfo } from "../../../shared/errors";
import type { Log } from "../log/logger";
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
import { numbered, recordingFileName, resolveInFolder } from "./paths";
import { FileRecordingSink, type RecordingSink } from "./sink";

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
	 * A track that receives nothing for this long (ms) while others do is ended in the file, so the
	 * muxer's interleaving does not hold the other tracks in memory. Default 10 s.
	 */
	stallMs?: number;
	/** Fragment (MP4) / cluster (MKV) minimum duration in seconds: the most a crash can lose. Default 1. */
	fragmentDurationS?: number;
	/** Called at most every 200 ms while recording, and once at the end. */
	onProgress?: (progress: RecordingProgress) => void;
	log?: Log;
	/** Start time used for the default file name. Default: now. */
	startedAt?: Date;
	/** Opens the byte sink for a path; for tests and custom storage. Default: an exclusive file. */
	openSink?: (path: string) => Promise<RecordingSink>;
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
	/** True once the track has ended in the file (stalled, duration reached, or finished). */
	ended: boolean;
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
	/** Output timestamp → fingerprint of the last {@link RECENT_PACKETS} packets written. */
	recent: Map<number, number>;
}

/** How long (µs of media) audio frames are held to put out-of-order arrivals back in order. */
const AUDIO_REORDER_US = 300_000;

/** The timestamp of a legacy frame, or undefined when it is not one. */
function peekTimestamp(bytes: Uint8Array): number | undefined {
	try {
		return decodeLegacyFrame(bytes).timestampUs;
	} catch {
		return undefined;
	}
}

/** How many recent packets per track are remembered to recognise a replay after a reconnect. */
const RECENT_PACKETS = 4096;

/** A cheap fingerprint of a payload: its length and an FNV-1a hash of its first 256 bytes. */
function fingerprint(payload: Uint8Array): number {
	let h = 0x811c9dc5;
	const n = Math.min(payload.byteLength, 256);
	for (let i = 0; i < n; i++) h = Math.imul(h ^ (payload[i] as number), 0x01000193);
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
		const recorder = new Recorder(opts);
		await resolveInFolder(opts.folder, recorder.#fileName());
		return recorder;
	}

	#fileName(): string {
		return this.#opts.fileName ?? recordingFileName(this.#opts.broadcast, this.#startedAt, this.#format === "mp4" ? ".mp4" : ".mkv");
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
			tracks[t.name] = { kind: t.kind, codec: t.codec, frames: t.frames, bytes: t.bytes, dropped: t.dropped, durationS: d / 1e6, ended: t.ended };
		}
		return { path: this.#path, bytes: this.#sink?.bytes ?? 0, durationS: durationUs / 1e6, epochs: this.#epochs, tracks };
	}

	/**
	 * Records from `consumer` until its tracks end, it fails, `signal` aborts, the duration is
	 * reached, or another call replaces it (a reconnect: the old consumer's part stops first).
	 * Never rejects for consumer-side failures (they come back as `reason: "error"`); rejects
	 * with the StudioError when the recording itself cannot go on: no/garbage catalog on the first
	 * consumer (MEDIA/TIMEOUT/PROTOCOL), nothing recordable (MEDIA), the file failing (IO).
	 */
	async record(consumer: Moq.Broadcast.Consumer, signal?: AbortSignal): Promise<EpochResult> {
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
		const done = this.#epoch(consumer, stop.signal).finally(() => signal?.removeEventListener("abort", onAbort));
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

	async #epoch(consumer: Moq.Broadcast.Consumer, stop: AbortSignal): Promise<EpochResult> {
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
		const subs = mapped.map(({ out, rendition }) => ({
			out,
			sub: consumer.track(rendition).subscribe({ priority: PRIORITY[out.kind], ordered: true, latencyMax: 30_000 }),
		}));
		const closeAll = () => {
			for (const { sub } of subs) sub.close();
		};
		stop.addEventListener("abort", closeAll, { once: true });
		const errors: StudioError[] = [];
		await Promise.all(
			subs.map(async ({ out, sub }) => {
				try {
					await this.#runTrack(out, sub, stop);
				} catch (err) {
					const error = StudioError.from(err, "PROTOCOL");
					if (error.codeName === "IO" || error.codeName === "INTERNAL") this.#fail(error);
					else if (!stop.aborted) errors.push(error);
				} finally {
					sub.close();
				}
			}),
		);
		stop.removeEventListener("abort", closeAll);
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

		const fragment = this.#opts.fragmentDurationS ?? 1;
		const format =
			this.#format === "mp4"
				? new Mp4OutputFormat({ fastStart: "fragmented", minimumFragmentDuration: fragment })
				: new MkvOutputFormat({ minimumClusterDuration: fragment });
		const { sink, path } = await this.#createSink();
		this.#sink = sink;
		this.#path = path;
		const writable = new WritableStream<StreamTargetChunk>({
			write: async (chunk) => {
				try {
					await sink.write(chunk.data, chunk.position);
				} catch (err) {
					const error = StudioError.from(err, "IO");
					this.#fail(error);
					throw error;
				}
			},
		});
		const output = new Output({ format, target: new StreamTarget(writable, { chunked: false }) });
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
				this.#tracks.push(this.#outTrack(name, "audio", r, source, { decoderConfig }, family === "opus" ? 20_000 : (1024 * 1e6) / r.sampleRate));
			}
			await output.start();
		} catch (err) {
			await sink.close();
			throw StudioError.from(err, "MEDIA");
		}
		this.#output = output;
		this.#opts.log?.info(`recording ${this.#tracks.map((t) => `${t.name} (${t.codec})`).join(", ")} to ${path}`);
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
		};
	}

	async #createSink(): Promise<{ sink: RecordingSink; path: string }> {
		const open = this.#opts.openSink ?? ((p: string) => FileRecordingSink.create(p));
		const name = this.#fileName();
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

	async #runTrack(out: OutTrack, sub: Moq.Track.Subscriber, stop: AbortSignal): Promise<void> {
		// Audio rides one group (one QUIC stream) per frame, so frames can arrive out of order; the
		// muxer needs them in order. Hold them briefly and release in timestamp order.
		const reorder: { ts: number; bytes: Uint8Array }[] = [];
		const release = async (all: boolean) => {
			const newest = reorder[reorder.length - 1]?.ts ?? 0;
			while (reorder.length > 0 && (all || (reorder[0] as { ts: number }).ts <= newest - AUDIO_REORDER_US)) {
				const next = reorder.shift() as { ts: number; bytes: Uint8Array };
				await this.#write(out, next.bytes, true, { skip: false, resume: false, floorUs: 0 });
			}
		};
		try {
			for (;;) {
				if (stop.aborted || out.ended) return;
				const group = await sub.recvGroup();
				if (!group) return;
				// Video: one group is one GOP, so the first frame is the keyframe. A group whose keyframe
				// does not move the track forward (a reconnect replaying what is already written, or an
				// out-of-order straggler) is skipped whole: splicing into it would not decode.
				const state = { index: 0, skip: false, resume: false, floorUs: out.lastOutUs };
				try {
					for (;;) {
						let frame: Moq.Group.Frame | undefined;
						try {
							frame = await group.readFrame();
						} catch (err) {
							if (stop.aborted) return;
							// Frames were evicted before we read them (Lagged) or the group was reset:
							// the rest of this GOP cannot decode, move on to the next group.
							this.#opts.log?.debug(`track ${out.name}: group ${group.sequence} cut short: ${(err as Error).message}`);
							break;
						}
						if (!frame) break;
						if (out.kind === "audio") {
							const ts = peekTimestamp(frame.payload);
							if (ts === undefined) await this.#write(out, frame.payload, true, state); // counts the drop
							else {
								let i = reorder.length;
								while (i > 0 && (reorder[i - 1] as { ts: number }).ts > ts) i--;
								reorder.splice(i, 0, { ts, bytes: frame.payload });
								await release(false);
							}
						} else {
							const key = state.index === 0;
							state.index++;
							await this.#write(out, frame.payload, key, state);
						}
						if (stop.aborted || out.ended) return;
					}
				} finally {
					group.close();
				}
			}
		} finally {
			if (!this.#fatal && !out.ended) await release(true);
		}
	}

	async #write(out: OutTrack, bytes: Uint8Array, key: boolean, group: { skip: boolean; resume: boolean; floorUs: number }): Promise<void> {
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
			const seen = out.recent.get(tsUs) === fingerprint(frame.payload);
			if (key) {
				// A keyframe already in the file: a reconnect replaying this GOP. The frames written
				// so far are a decode-order prefix of it, so the rest can follow them.
				group.resume = seen;
				group.skip = !seen && out.frames > 0 && tsUs <= out.lastOutUs;
				group.floorUs = out.lastOutUs;
			}
			// A presentation time already in the file (a repeated capture frame, a replayed packet)
			// cannot be muxed validly: players reject non-increasing timestamps.
			if (group.resume ? seen : group.skip || (out.frames === 0 && !key) || tsUs < group.floorUs || out.recent.has(tsUs)) {
				out.dropped++;
				return;
			}
			if (group.resume) key = false; // it continues the GOP already in the file
		} else if (out.frames > 0 && tsUs <= out.lastOutUs) {
			out.dropped++;
			return;
		}

		const packet = new EncodedPacket(frame.payload, key ? "key" : "delta", tsUs / 1e6, out.defaultDurationUs / 1e6);
		try {
			const added =
				out.kind === "video"
					? (out.source as EncodedVideoPacketSource).add(packet, out.sentMeta ? undefined : (out.meta as EncodedVideoChunkMetadata))
					: (out.source as EncodedAudioPacketSource).add(packet, out.sentMeta ? undefined : (out.meta as EncodedAudioChunkMetadata));
			// mediabunny's interleaver holds one track's add() until every other track has caught
			// up; when the others have ended upstream that wait never ends. A stopped part must not
			// wait for it: the packet stays queued, in order, and finish() closing the tracks flushes it.
			const stopped = this.#current?.stopped;
			await (stopped ? Promise.race([added, stopped]) : added);
			added.catch(() => undefined);
		} catch (err) {
			if (this.#fatal) throw this.#fatal;
			// mediabunny rejected the packet (e.g. a timestamp it cannot order): drop it, keep the file.
			out.dropped++;
			this.#opts.log?.debug(`track ${out.name}: packet at ${tsUs} µs rejected: ${(err as Error).message}`);
			return;
		}
		out.sentMeta = true;
		out.recent.set(tsUs, fingerprint(frame.payload));
		if (out.recent.size > RECENT_PACKETS) out.recent.delete(out.recent.keys().next().value as number);
		out.frames++;
		out.bytes += frame.payload.byteLength;
		out.firstOutUs ??= tsUs;
		out.lastOutUs = Math.max(out.lastOutUs, tsUs);
		out.endOutUs = Math.max(out.endOutUs, tsUs + out.defaultDurationUs);
		this.#timeline.endUs = Math.max(this.#timeline.endUs, out.endOutUs);
		this.#checkStalls(out, now);
		this.#emitProgress(false);
	}

	/** Ends tracks that received nothing for `stallMs` while `active` did (see {@link RecorderOptions.stallMs}). */
	#checkStalls(active: OutTrack, now: number): void {
		const stallMs = this.#opts.stallMs ?? 10_000;
		for (const t of this.#tracks) {
			if (t !== active && !t.ended && now - t.lastArrival > stallMs) this.#endTrack(t, `no data for ${Math.round((now - t.lastArrival) / 1000)} s`);
		}
	}

	#endTrack(t: OutTrack, why: string): void {
		if (t.ended) return;
		t.ended = true;
		t.source.close();
		this.#opts.log?.info(`track ${t.name} ended in the recording: ${why}`);
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
			for (const t of this.#tracks) t.ended = true;
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
			await recorder.record(source, opts.signal);
		} else {
			while (!opts.signal?.aborted && !recorder.complete) {
				const consumer = await source();
				if (!consumer) break;
				try {
					const result = await recorder.record(consumer, opts.signal);
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
