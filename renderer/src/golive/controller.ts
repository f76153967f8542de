/**
 * Going live from the renderer: capture, one encoder worker per track, `golive.start` with the
 * encoders' decoder configs, media channels to the engine, bitrate targets back to the encoder.
 */
import type { StudioApi } from "../../../shared/api";
import type { LiveBroadcastInfo, LiveEndReason } from "../../../shared/media";
import type { FromWorker, PipelineStats, ToWorker } from "./protocol";
import { FrameRateMeter } from "../../../shared/frame-rate";
import { chooseAudioConfig, chooseVideoConfig, type VideoPreset } from "./presets";
import { mediaTarget, targetTransfer } from "./targets";
import type { Program } from "./compositor/program";
import { planRenditions, renditionConfigs, renditionSpec, renditionTargets, waitForRenditions, type RenditionCount, type RenditionOutput, type RenditionPlan } from "./simulcast";

/** What to capture. */
export type VideoSource =
	| { kind: "camera"; deviceId?: string }
	| { kind: "screen" }
	/** The compositor's program (issue 16): its frames, not a capture, feed the video encoder. */
	| { kind: "scene"; program: Program }
	| { kind: "none" };
/** Which microphone, if any. */
export type AudioSource =
	| { kind: "microphone"; deviceId?: string }
	/** A track made elsewhere (the audio mixer's program, issue 16); the session stops it when it ends. */
	| { kind: "track"; track: MediaStreamTrack }
	| { kind: "none" };

/** Options for {@link goLive}. */
export interface GoLiveOptions {
	originId: string;
	path: string;
	video: VideoSource;
	audio: AudioSource;
	preset: VideoPreset;
	/** Simulcast (issue 16): how many video renditions to encode; 1 when absent. */
	renditions?: RenditionCount;
}

/** Per-track counters the workers report about once a second, from capture to the media channel. */
export type EncoderStats = PipelineStats;

/** A running Go Live session in this window. */
export interface LiveSession {
	/** The captured stream, for the local preview. */
	stream: MediaStream;
	info: LiveBroadcastInfo;
	/** The codec actually used for video, e.g. avc1.640028. */
	videoCodec: string | null;
	/**
	 * The frame rate the video source settled on (its track settings), which may be below the
	 * preset's: a camera that runs at 20 fps sends 20 fps, and that is no loss (issue 14).
	 */
	sourceFramerate: number | null;
	encoders: Map<"video" | "audio", EncoderStats>;
	/** Simulcast: the renditions encoded (one without simulcast), largest first. */
	renditionPlans: RenditionPlan[];
	/** Simulcast: counters of renditions 1.. by rendition (rendition 0's are `encoders.get("video")`). */
	renditionEncoders: Map<number, EncoderStats>;
	/** Called with fresh counters. */
	onStats: (() => void) | undefined;
	/** Called when something fails after start (an encoder error, a closed channel). */
	onError: ((message: string) => void) | undefined;
	/**
	 * Called once when the engine ended the broadcast without this window asking (stopped from
	 * another window, its media channels were lost, or another Go Live took over the path);
	 * capture and encoders are already stopped when it runs.
	 */
	onEnded: ((reason: LiveEndReason) => void) | undefined;
	stop(): Promise<void>;
}

/** Chromium's Insertable Streams processor; on the main thread only (DESIGN.md §4), not in the DOM typings. */
type TrackProcessor = new <T>(init: { track: MediaStreamTrack }) => { readonly readable: ReadableStream<T> };

/** `MediaStreamTrack.stats` (video), newer than the DOM typings. */
interface VideoTrackStats {
	readonly deliveredFrames: number;
	readonly discardedFrames: number;
}

/** Frames the track delivered or discarded itself so far, or undefined when the browser does not say. */
function trackFrames(track: MediaStreamTrack): number | undefined {
	const stats = (track as MediaStreamTrack & { stats?: VideoTrackStats }).stats;
	return stats && typeof stats.deliveredFrames === "number" ? stats.deliveredFrames + (stats.discardedFrames ?? 0) : undefined;
}

/**
 * Counts the video frames the capture produced but the worker never read (issue 14). The track
 * processor discards frames silently while the worker is behind; only the track's statistics,
 * visible on this thread, know how many frames there were. Read as each worker snapshot arrives,
 * so both describe (nearly) the same moment; the worker's own estimate stands without them.
 */
function captureCounter(track: MediaStreamTrack): (stats: PipelineStats) => PipelineStats {
	const base = trackFrames(track);
	const rate = new FrameRateMeter();
	return (stats) => {
		const frames = trackFrames(track);
		if (base === undefined || frames === undefined) return stats;
		// A frame delivered after the worker's snapshot may already be read: never below `read`.
		const captured = Math.max(frames - base, stats.read);
		rate.sample(captured);
		return { ...stats, captured, captureSkipped: captured - stats.read, capturedFps: rate.perSecond() };
	};
}

function trackProcessor(): TrackProcessor {
	const ctor = (globalThis as unknown as { MediaStreamTrackProcessor?: TrackProcessor }).MediaStreamTrackProcessor;
	if (!ctor) throw new Error("this browser cannot read raw frames from a capture (no MediaStreamTrackProcessor)");
	return ctor;
}

async function capture(opts: GoLiveOptions): Promise<MediaStream> {
	const stream = new MediaStream();
	const { preset } = opts;
	if (opts.video.kind === "screen") {
		const display = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: preset.framerate }, audio: false });
		display.getVideoTracks().forEach((t) => stream.addTrack(t));
	}
	if (opts.audio.kind === "track") stream.addTrack(opts.audio.track);
	const wantCamera = opts.video.kind === "camera";
	const wantMic = opts.audio.kind === "microphone";
	if (wantCamera || wantMic) {
		const user = await navigator.mediaDevices.getUserMedia({
			video: wantCamera
				? { deviceId: opts.video.kind === "camera" && opts.video.deviceId ? { exact: opts.video.deviceId } : undefined, width: { ideal: preset.width }, height: { ideal: preset.height }, frameRate: { ideal: preset.framerate } }
				: false,
			audio: wantMic
				? { deviceId: opts.audio.kind === "microphone" && opts.audio.deviceId ? { exact: opts.audio.deviceId } : undefined, sampleRate: 48_000, echoCancellation: false, noiseSuppression: false, autoGainControl: false }
				: false,
		});
		user.getTracks().forEach((t) => stream.addTrack(t));
	}
	return stream;
}

function waitFor<T extends FromWorker["type"]>(worker: Worker, type: T, ms: number): Promise<Extract<FromWorker, { type: T }>> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`the encoder produced no ${type} within ${ms / 1000} s`)), ms);
		const onMessage = (ev: MessageEvent<FromWorker>) => {
			if (ev.data.type === "error") {
				clearTimeout(timer);
				worker.removeEventListener("message", onMessage);
				reject(new Error(ev.data.message));
			} else if (ev.data.type === type) {
				clearTimeout(timer);
				worker.removeEventListener("message", onMessage);
				resolve(ev.data as Extract<FromWorker, { type: T }>);
			}
		};
		worker.addEventListener("message", onMessage);
	});
}

function startWorker(message: ToWorker, transfer: Transferable[]): Worker {
	const worker = new Worker(new URL("./encoder.worker.ts", import.meta.url), { type: "module", name: message.type });
	worker.postMessage(message, transfer);
	return worker;
}

/** Goes live; rejects with a readable Error when capture, encoding or the engine refuses. */
export async function goLive(api: StudioApi, opts: GoLiveOptions): Promise<LiveSession> {
	const stream = await capture(opts);
	const workers = new Map<"video" | "audio", Worker>();
	let detachProgram: (() => void) | undefined;
	const cleanup = () => {
		detachProgram?.();
		for (const w of workers.values()) w.terminate();
		stream.getTracks().forEach((t) => t.stop());
	};
	let started: string | undefined;
	try {
		const videoTrack = stream.getVideoTracks()[0];
		const audioTrack = stream.getAudioTracks()[0];
		let videoCodec: string | null = null;
		let sourceFramerate: number | null = null;
		let countCapture: ((stats: PipelineStats) => PipelineStats) | undefined;
		let videoConfig: VideoEncoderConfig | undefined;
		// Simulcast (simulcast.ts): the planned renditions and their configs, rendition 0 first.
		const simulcast = opts.renditions && opts.renditions > 1 ? opts.renditions : undefined;
		let plans: RenditionPlan[] = [];
		let configs: VideoEncoderConfig[] = [];
		const extraRenditions = () => (configs.length > 1 ? configs.slice(1).map((config, i) => ({ config, keyframeInterval: plans[i + 1]!.keyframeInterval })) : undefined);
		if (videoTrack) {
			const settings = videoTrack.getSettings();
			sourceFramerate = settings.frameRate ?? null;
			// Encode what the source really delivers (even dimensions, as encoders require).
			const width = (settings.width ?? opts.preset.width) & ~1;
			const height = (settings.height ?? opts.preset.height) & ~1;
			if (simulcast) {
				plans = planRenditions({ width, height }, opts.preset, simulcast);
				configs = await renditionConfigs(plans);
				videoConfig = configs[0]!;
			} else videoConfig = await chooseVideoConfig({ width, height, framerate: opts.preset.framerate, bitrate: opts.preset.bitrate });
			videoCodec = videoConfig.codec;
			const Processor = trackProcessor();
			countCapture = captureCounter(videoTrack);
			const processor = new Processor<VideoFrame>({ track: videoTrack });
			// Without track statistics, a camera's steady rate lets the worker count the frames capture
			// skipped from timestamp gaps; a screen delivers only what changed, and gaps mean nothing.
			const steady = opts.video.kind === "camera" && settings.frameRate && trackFrames(videoTrack) === undefined;
			const frameIntervalUs = steady ? Math.round(1e6 / settings.frameRate!) : undefined;
			workers.set(
				"video",
				startWorker(
					{ type: "start-video", readable: processor.readable, config: videoConfig, keyframeInterval: opts.preset.keyframeInterval, frameIntervalUs, renditions: extraRenditions() },
					[processor.readable as unknown as Transferable],
				),
			);
		} else if (opts.video.kind === "scene") {
			const { program } = opts.video;
			const { width, height } = program.format;
			if (simulcast) {
				plans = planRenditions({ width: width & ~1, height: height & ~1 }, { ...opts.preset, framerate: program.format.framerate }, simulcast);
				configs = await renditionConfigs(plans);
				videoConfig = configs[0]!;
			} else videoConfig = await chooseVideoConfig({ width: width & ~1, height: height & ~1, framerate: program.format.framerate, bitrate: opts.preset.bitrate });
			videoCodec = videoConfig.codec;
			sourceFramerate = program.format.framerate;
			const frames = program.attachEncoder();
			// Once: the cleanup half a second after a stop must not detach the encoder of a session
			// started since (the program feeds one encoder port at a time).
			detachProgram = () => {
				detachProgram = undefined;
				program.detachEncoder();
			};
			workers.set("video", startWorker({ type: "start-video", frames, config: videoConfig, keyframeInterval: opts.preset.keyframeInterval, renditions: extraRenditions() }, [frames]));
		}
		let audioConfig: AudioEncoderConfig | undefined;
		if (audioTrack) {
			audioConfig = await chooseAudioConfig(Math.min(2, audioTrack.getSettings().channelCount ?? 1));
			const Processor = trackProcessor();
			const processor = new Processor<AudioData>({ track: audioTrack });
			workers.set("audio", startWorker({ type: "start-audio", readable: processor.readable, config: audioConfig }, [processor.readable as unknown as Transferable]));
		}
		if (workers.size === 0) throw new Error("choose a video or an audio source");

		let renditionOuts: RenditionOutput[] = [];
		const [videoOut, audioOut] = await Promise.all([
			workers.has("video") ? (configs.length > 1 ? waitForRenditions(workers.get("video")!, configs.length, 10_000).then((outs) => ((renditionOuts = outs), outs[0])) : waitFor(workers.get("video")!, "decoder-config", 10_000)) : undefined,
			workers.has("audio") ? waitFor(workers.get("audio")!, "decoder-config", 10_000) : undefined,
		]);
		const info = await api.invoke("golive.start", {
			originId: opts.originId,
			path: opts.path,
			video:
				videoOut && videoConfig
					? {
							codec: videoOut.codec,
							description: videoOut.description,
							codedWidth: videoOut.codedWidth ?? videoConfig.width,
							codedHeight: videoOut.codedHeight ?? videoConfig.height,
							framerate: opts.preset.framerate,
							bitrate: opts.preset.bitrate,
						}
					: undefined,
			renditions: renditionOuts.length > 1 ? renditionOuts.slice(1).map((out, i) => renditionSpec(plans[i + 1]!, configs[i + 1]!, out)) : undefined,
			audio:
				audioOut && audioConfig
					? { codec: audioOut.codec, description: audioOut.description, sampleRate: audioOut.sampleRate ?? 48_000, numberOfChannels: audioOut.numberOfChannels ?? audioConfig.numberOfChannels, bitrate: audioConfig.bitrate ?? 128_000 }
					: undefined,
		});

		started = info.id;
		const session: LiveSession = {
			stream,
			info,
			videoCodec,
			sourceFramerate,
			encoders: new Map(),
			renditionPlans: plans.length > 0 ? plans : videoConfig ? [{ width: videoConfig.width, height: videoConfig.height, framerate: opts.preset.framerate, bitrate: opts.preset.bitrate, keyframeInterval: opts.preset.keyframeInterval }] : [],
			renditionEncoders: new Map(),
			onStats: undefined,
			onError: undefined,
			onEnded: undefined,
			stop: async () => {
				stopEvents();
				detachProgram?.();
				for (const w of workers.values()) w.postMessage({ type: "stop" } satisfies ToWorker);
				await api.invoke("golive.stop", { id: info.id }).catch(() => {});
				setTimeout(cleanup, 500);
			},
		};
		// Subscribed before the channels attach, so an end while they do is not missed. The engine
		// adapts the target to the destinations' bandwidth; the encoder follows.
		const stopEvents = api.on("golive.stats", (update) => {
			if (update.id !== info.id) return;
			session.info = update;
			if (update.ended) {
				stopEvents();
				detachProgram?.();
				for (const w of workers.values()) w.postMessage({ type: "stop" } satisfies ToWorker);
				setTimeout(cleanup, 500);
				session.onEnded?.(update.ended.reason);
				return;
			}
			// Every rendition follows its own target (simulcast-adapt.ts in the engine).
			for (const { rendition, bitrate } of renditionTargets(update)) {
				workers.get("video")?.postMessage({ type: "bitrate", bitrate, rendition: rendition || undefined } satisfies ToWorker);
			}
			session.onStats?.();
		});
		for (const channel of info.channels) {
			const worker = workers.get(channel.kind);
			if (!worker) continue;
			const target = await mediaTarget(channel.channel);
			// A MessagePort can reach the worker only in the transfer list (a copy throws DataCloneError).
			const rendition = channel.rendition ?? 0;
			worker.postMessage({ type: "attach", target, rendition: rendition || undefined } satisfies ToWorker, targetTransfer(target));
			worker.addEventListener("message", (ev: MessageEvent<FromWorker>) => {
				// One listener per channel; simulcast renditions share the video worker: each takes its own.
				if (ev.data.type === "stats" && (ev.data.rendition ?? 0) === rendition) {
					const { type: _t, rendition: _r, ...stats } = ev.data;
					if (rendition > 0) session.renditionEncoders.set(rendition, stats);
					else session.encoders.set(channel.kind, channel.kind === "video" && countCapture ? countCapture(stats) : stats);
					session.onStats?.();
				} else if (ev.data.type === "error" && rendition === 0) session.onError?.(ev.data.message);
			});
		}
		return session;
	} catch (err) {
		// Started but failed to attach: end it here, or it would hold the path until the page goes.
		if (started) void api.invoke("golive.stop", { id: started }).catch(() => {});
		cleanup();
		throw err;
	}
}
