/**
 * A monitor's decode worker (one per tile): reads the media channel, decodes video with a
 * `VideoDecoder` onto the tile's transferred `OffscreenCanvas` and audio with an `AudioDecoder`
 * into the tile's audio worklet, and meters the audio (peak and RMS per channel, dBFS) whether it
 * is heard or not.
 *
 * Painting keeps only the newest decoded frame and paints it once per animation frame; older
 * ones are closed unpainted, so a slow page costs frames, never latency. After a discontinuity or
 * a new config the decoders are reset and video waits for a keyframe.
 */
import { MonitorConfig, type MonitorMessage } from "../../../shared/monitor";
import { MonitorChannel } from "./channel";
import type { ChannelLevel, DecoderStats, FromDecoder, FromWorklet, ToDecoder, ToWorklet } from "./protocol";

// Typed by hand: pulling lib.webworker into the one tsconfig would clash with the DOM typings.
const scope = self as unknown as {
	postMessage(msg: FromDecoder): void;
	onmessage: ((ev: MessageEvent<ToDecoder>) => void) | null;
	requestAnimationFrame?: (cb: () => void) => number;
};
const post = (msg: FromDecoder) => scope.postMessage(msg);

/**
 * Decoded video this far behind the newest frame received makes the player skip to the next
 * keyframe: the backlog queued in the decoder is dropped and decoding restarts there. A bound in
 * time, not frames, so a tile that decodes at 8 fps lags at most about this plus one GOP, never
 * seconds (bench/monitor-tiles at 9 tiles measured 3–7 s before this).
 */
const MAX_VIDEO_LAG_MS = 500;
/** Chunks queued in the decoder beyond this also count as behind, before any output says so. */
const MAX_DECODE_QUEUE = 12;
const LEVELS_EVERY_MS = 50;
const STATS_EVERY_MS = 500;

const wallMs = () => performance.timeOrigin + performance.now();

function fromHex(hex: string | undefined): Uint8Array | undefined {
	if (!hex) return undefined;
	const out = new Uint8Array(hex.length >> 1);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

const stats: DecoderStats = {
	video: { decoded: 0, errors: 0, waitedOut: 0, skipped: 0, bufferedMs: 0, painted: 0, paintDelayMs: null, paintDelayAvgMs: null, width: 0, height: 0 },
	audio: { decoded: 0, errors: 0, waitedOut: 0, bufferedMs: 0 },
	messages: 0,
	epoch: null,
};

let config: MonitorConfig | null = null;
let stopped = false;

// ---- video ----

let canvas: OffscreenCanvas | undefined;
let ctx: OffscreenCanvasRenderingContext2D | null = null;
let visible = true;
/** The tile's displayed size in device pixels (0 until known): the most worth painting. */
let shown = { width: 0, height: 0 };
let videoDecoder: VideoDecoder | undefined;
let videoWaitKey = true;
/** Set when decoding fell behind between keyframes: the next keyframe starts a fresh decoder run. */
let videoResetAtKey = false;
let latest: VideoFrame | undefined;
/** Engine arrival (ms) per media timestamp of frames in the decoder, for the paint delay. */
const arrivals = new Map<number, number>();
let newestReceivedUs = 0;
/** The presentation time of the decoder's latest output: how far decoding has got. */
let outputUs = 0;
/**
 * performance.now() when each chunk still inside the decoder was handed to it, oldest first. A
 * decoder can hold seconds of frames it accepted without counting them in `decodeQueueSize`
 * (a loaded machine: the full test suite showed a picture 2 s behind what had arrived).
 */
const inDecoder: number[] = [];
let paintedUs = 0;
let paintDelaySum = 0;
let paintDelayCount = 0;

/** performance.now() of the last paint: animation frames can starve on a loaded machine. */
let lastPaintAt = 0;
/** Without an animation frame for this long, a decoded frame is painted as it comes out. */
const PAINT_STARVED_MS = 100;

/** Where decoded pictures also go (a compositor's source port), if anywhere. */
let framesPort: MessagePort | null = null;

function videoOutput(frame: VideoFrame): void {
	stats.video.decoded++;
	if (framesPort) {
		const copy = frame.clone();
		framesPort.postMessage(copy, [copy as unknown as Transferable]);
	}
	outputUs = frame.timestamp;
	inDecoder.shift();
	latest?.close();
	latest = frame;
	// A page starved of animation frames (a busy machine, a throttled renderer) would show a
	// picture seconds old while decoding keeps up: paint from here until they come back.
	if (performance.now() - lastPaintAt > PAINT_STARVED_MS) paint();
}

/** Earliest time (performance.now()) a failed decoder is replaced: a config the platform cannot decode fails again at once. */
const RETRY_MS = 1000;
let videoRetryAt: number | null = null;
let audioRetryAt: number | null = null;

function videoError(err: DOMException): void {
	stats.video.errors++;
	post({ type: "error", message: `video decoder: ${err.message}` });
	// A decoder that reported an error is closed; a fresh one starts at a keyframe after a pause.
	videoDecoder = undefined;
	videoRetryAt = performance.now() + RETRY_MS;
}

/**
 * (Re)configures the video decoder for the current config and waits for a keyframe. `fresh`
 * replaces the decoder instead of resetting it: used when it fell behind, since a decoder that
 * stopped producing output cannot be trusted to recover from a reset.
 */
function configureVideo(fresh = false): void {
	const video = config?.video;
	if (!video || fresh) {
		if (videoDecoder && videoDecoder.state !== "closed") videoDecoder.close();
		videoDecoder = undefined;
		if (!video) return;
	}
	if (!videoDecoder || videoDecoder.state === "closed") {
		videoDecoder = new VideoDecoder({ output: videoOutput, error: videoError });
	} else videoDecoder.reset();
	try {
		videoDecoder.configure({
			codec: video.config.codec,
			description: fromHex(video.config.description),
			codedWidth: video.config.codedWidth,
			codedHeight: video.config.codedHeight,
			displayAspectWidth: video.config.displayAspectWidth,
			displayAspectHeight: video.config.displayAspectHeight,
			optimizeForLatency: true,
		});
	} catch (err) {
		stats.video.errors++;
		videoRetryAt = performance.now() + RETRY_MS;
		post({ type: "error", message: `video decoder: ${err instanceof Error ? err.message : String(err)}` });
	}
	arrivals.clear();
	newestReceivedUs = 0;
	outputUs = 0;
	inDecoder.length = 0;
	paintedUs = 0;
	videoWaitKey = true;
	videoResetAtKey = false;
}

/** True when decoding fell behind what arrived (see {@link MAX_VIDEO_LAG_MS}). */
function videoBehind(decoder: VideoDecoder): boolean {
	if (decoder.decodeQueueSize > MAX_DECODE_QUEUE) return true;
	const oldest = inDecoder[0];
	if (oldest !== undefined && performance.now() - oldest > MAX_VIDEO_LAG_MS) return true;
	// Before the first output of a run there is nothing to compare; a looping source restarts its
	// timestamps at a keyframe, which makes the difference negative, not behind.
	return outputUs > 0 && (newestReceivedUs - outputUs) / 1000 > MAX_VIDEO_LAG_MS;
}

function decodeVideo(m: MonitorMessage): void {
	if (m.discontinuity || (videoRetryAt !== null && m.keyframe && performance.now() >= videoRetryAt)) {
		videoRetryAt = null;
		configureVideo();
	}
	if (!videoDecoder || videoDecoder.state !== "configured") return;
	if (!videoWaitKey && videoBehind(videoDecoder)) {
		// Behind: skip to a keyframe. At one, drop the decoder's backlog and start again there;
		// between two, stop feeding deltas until the next.
		stats.video.skipped++;
		if (m.keyframe) configureVideo(true);
		else {
			videoWaitKey = true;
			// The backlog goes at that keyframe: a decoder that stopped producing output would
			// otherwise be fed keyframe after keyframe behind it and never catch up.
			videoResetAtKey = true;
		}
		if (!videoDecoder || videoDecoder.state !== "configured") return;
	}
	if (videoResetAtKey && m.keyframe) {
		configureVideo(true);
		if (!videoDecoder || videoDecoder.state !== "configured") return;
	}
	if (videoWaitKey && !m.keyframe) {
		stats.video.waitedOut++;
		return;
	}
	videoWaitKey = false;
	// The newest timestamp since the last keyframe: decode order is not presentation order (B-frames),
	// and a looping or restarted source starts its timestamps over at a keyframe.
	newestReceivedUs = m.keyframe ? m.timestampUs : Math.max(newestReceivedUs, m.timestampUs);
	arrivals.set(m.timestampUs, m.arrivalMs);
	if (arrivals.size > 300) arrivals.delete(arrivals.keys().next().value!);
	try {
		videoDecoder.decode(new EncodedVideoChunk({ type: m.keyframe ? "key" : "delta", timestamp: m.timestampUs, data: m.payload }));
		inDecoder.push(performance.now());
	} catch (err) {
		stats.video.errors++;
		videoWaitKey = true;
		post({ type: "error", message: `video decode: ${err instanceof Error ? err.message : String(err)}` });
	}
}

function paint(): void {
	const frame = latest;
	latest = undefined;
	if (!frame) return;
	lastPaintAt = performance.now();
	if (canvas && visible) {
		// Never larger than shown (the page would only scale it down), never larger than decoded.
		const fit = shown.width > 0 && shown.height > 0 ? Math.min(1, shown.width / frame.displayWidth, shown.height / frame.displayHeight) : 1;
		const width = Math.max(1, Math.round(frame.displayWidth * fit));
		const height = Math.max(1, Math.round(frame.displayHeight * fit));
		if (canvas.width !== width || canvas.height !== height) {
			canvas.width = width;
			canvas.height = height;
			ctx = canvas.getContext("2d", { alpha: false });
		}
		ctx?.drawImage(frame, 0, 0, canvas.width, canvas.height);
		stats.video.painted++;
		stats.video.width = frame.displayWidth;
		stats.video.height = frame.displayHeight;
		const arrival = arrivals.get(frame.timestamp);
		if (arrival !== undefined) {
			const delay = wallMs() - arrival;
			stats.video.paintDelayMs = delay;
			paintDelaySum += delay;
			paintDelayCount++;
		}
	}
	paintedUs = frame.timestamp;
	arrivals.delete(frame.timestamp);
	frame.close();
}

function paintLoop(): void {
	if (stopped) return;
	paint();
	// Workers get animation frames when they own an OffscreenCanvas of a visible page.
	if (scope.requestAnimationFrame) scope.requestAnimationFrame(paintLoop);
	else setTimeout(paintLoop, 16);
}

// ---- audio ----

let audioDecoder: AudioDecoder | undefined;
let audioPort: MessagePort | undefined;
let audioFormat = "";
let audioBufferedFrames = 0;
let audioRate = 48_000;
/** Per channel since the last level report: peak |x|, sum of squares, samples. */
let meter: { peak: number; sum: number; n: number }[] = [];

function toWorklet(msg: ToWorklet, transfer: Transferable[] = []): void {
	audioPort?.postMessage(msg, transfer);
}

function audioOutput(data: AudioData): void {
	try {
		stats.audio.decoded++;
		const channels = data.numberOfChannels;
		const frames = data.numberOfFrames;
		const planes: Float32Array[] = [];
		for (let c = 0; c < channels; c++) {
			const plane = new Float32Array(frames);
			data.copyTo(plane, { planeIndex: c, format: "f32-planar" });
			planes.push(plane);
			const m = (meter[c] ??= { peak: 0, sum: 0, n: 0 });
			for (let i = 0; i < frames; i++) {
				const x = plane[i]!;
				const a = x < 0 ? -x : x;
				if (a > m.peak) m.peak = a;
				m.sum += x * x;
			}
			m.n += frames;
		}
		if (audioPort) toWorklet({ type: "samples", planes }, planes.map((p) => p.buffer));
	} finally {
		data.close();
	}
}

function audioError(err: DOMException): void {
	stats.audio.errors++;
	post({ type: "error", message: `audio decoder: ${err.message}` });
	audioDecoder = undefined;
	audioRetryAt = performance.now() + RETRY_MS;
}

function configureAudio(): void {
	const audio = config?.audio;
	if (!audio) {
		if (audioDecoder && audioDecoder.state !== "closed") audioDecoder.close();
		audioDecoder = undefined;
		return;
	}
	if (!audioDecoder || audioDecoder.state === "closed") audioDecoder = new AudioDecoder({ output: audioOutput, error: audioError });
	else audioDecoder.reset();
	try {
		audioDecoder.configure({
			codec: audio.config.codec,
			sampleRate: audio.config.sampleRate,
			numberOfChannels: audio.config.numberOfChannels,
			description: fromHex(audio.config.description),
		});
	} catch (err) {
		stats.audio.errors++;
		audioRetryAt = performance.now() + RETRY_MS;
		post({ type: "error", message: `audio decoder: ${err instanceof Error ? err.message : String(err)}` });
	}
	toWorklet({ type: "flush" });
	const format = `${audio.config.sampleRate}/${audio.config.numberOfChannels}`;
	if (format !== audioFormat) {
		// The main thread builds an audio graph at this rate and sends its worklet's port.
		audioFormat = format;
		audioRate = audio.config.sampleRate;
		meter = [];
		post({ type: "audio-format", sampleRate: audio.config.sampleRate, channels: audio.config.numberOfChannels });
	}
}

function decodeAudio(m: MonitorMessage): void {
	if (m.discontinuity || (audioRetryAt !== null && performance.now() >= audioRetryAt)) {
		audioRetryAt = null;
		configureAudio();
	}
	if (!audioDecoder || audioDecoder.state !== "configured") return;
	try {
		audioDecoder.decode(new EncodedAudioChunk({ type: "key", timestamp: m.timestampUs, data: m.payload }));
	} catch (err) {
		stats.audio.errors++;
		post({ type: "error", message: `audio decode: ${err instanceof Error ? err.message : String(err)}` });
	}
}

function dbfs(x: number): number {
	return x > 0 ? 20 * Math.log10(x) : -Infinity;
}

setInterval(() => {
	if (meter.length === 0) return;
	const levels: ChannelLevel[] = meter.map((m) => ({ peakDb: dbfs(m.peak), rmsDb: m.n > 0 ? dbfs(Math.sqrt(m.sum / m.n)) : -Infinity }));
	for (const m of meter) {
		m.peak = 0;
		m.sum = 0;
		m.n = 0;
	}
	post({ type: "levels", levels });
}, LEVELS_EVERY_MS);

// ---- channel ----

function onConfig(m: MonitorMessage): void {
	let json: unknown;
	try {
		json = JSON.parse(new TextDecoder().decode(m.payload));
	} catch {
		post({ type: "error", message: "a monitor config that is not JSON" });
		return;
	}
	const parsed = MonitorConfig.safeParse(json);
	if (!parsed.success) {
		post({ type: "error", message: `a malformed monitor config: ${parsed.error.issues[0]?.message ?? "invalid"}` });
		return;
	}
	config = parsed.data;
	stats.epoch = config.epoch;
	videoRetryAt = null;
	audioRetryAt = null;
	configureVideo();
	configureAudio();
}

let channel: MonitorChannel | undefined;

function onMessage(m: MonitorMessage): void {
	stats.messages++;
	if (m.type === "config") return onConfig(m);
	// Frames of another epoch than the config in use wait for that epoch's config.
	if (!config || m.epoch !== config.epoch) {
		if (m.type === "video") stats.video.waitedOut++;
		else stats.audio.waitedOut++;
		return;
	}
	if (m.type === "video") decodeVideo(m);
	else decodeAudio(m);
}

setInterval(() => {
	// Nothing painted yet in this run (after a reset or a skip): nothing buffered to speak of.
	stats.video.bufferedMs = paintedUs > 0 ? Math.max(0, (newestReceivedUs - paintedUs) / 1000) : 0;
	stats.video.paintDelayAvgMs = paintDelayCount > 0 ? paintDelaySum / paintDelayCount : stats.video.paintDelayMs;
	paintDelaySum = 0;
	paintDelayCount = 0;
	stats.audio.bufferedMs = (audioBufferedFrames / audioRate) * 1000;
	post({ type: "stats", stats });
}, STATS_EVERY_MS);

// A rejected promise nobody awaited would die silently inside the worker (uncaught exceptions
// already reach the page's worker.onerror; rejections do not).
self.addEventListener("unhandledrejection", (ev) => {
	const reason: unknown = (ev as PromiseRejectionEvent).reason;
	post({ type: "error", message: `monitor decoder: ${reason instanceof Error ? reason.message : String(reason)}` });
});

scope.onmessage = (ev: MessageEvent<ToDecoder>) => {
	const msg = ev.data;
	switch (msg.type) {
		case "canvas":
			canvas = msg.canvas;
			ctx = canvas.getContext("2d", { alpha: false });
			paintLoop();
			break;
		case "attach":
			channel = new MonitorChannel({
				onMessage,
				onClose: (reason) => post({ type: "closed", reason }),
				onError: (message) => post({ type: "error", message }),
			});
			channel.attach(msg.target);
			break;
		case "audio-port":
			audioPort?.close();
			audioPort = msg.port;
			audioBufferedFrames = 0;
			audioPort.onmessage = (m: MessageEvent<FromWorklet>) => {
				audioBufferedFrames = m.data.frames;
			};
			break;
		case "visible":
			visible = msg.visible;
			break;
		case "size":
			shown = { width: msg.width, height: msg.height };
			break;
		case "frames":
			framesPort?.close();
			framesPort = msg.port;
			break;
		case "stop":
			stopped = true;
			// Null, not only closed: a frame the decoder still outputs would be posted to a closed
			// port and dropped unclosed ("A VideoFrame was garbage collected without being closed").
			framesPort?.close();
			framesPort = null;
			channel?.close();
			latest?.close();
			latest = undefined;
			if (videoDecoder && videoDecoder.state !== "closed") videoDecoder.close();
			if (audioDecoder && audioDecoder.state !== "closed") audioDecoder.close();
			audioPort?.close();
			break;
	}
};
