/**
 * The Go Live encoder worker: reads raw frames (a transferred MediaStreamTrackProcessor
 * readable), encodes them with WebCodecs off the main thread, and sends the chunks to the engine.
 * One worker per track.
 */
import { FrameRateMeter } from "../../../shared/frame-rate";
import type { FromWorker, PipelineStats, ToWorker } from "./protocol";
import { MediaSink } from "./sink";
import { framesFromPort } from "./compositor/frame-port";
import { RenditionEncoder } from "./rendition-encoder";

// Typed by hand: pulling lib.webworker into the one tsconfig would clash with the DOM typings.
const scope = self as unknown as { postMessage(msg: FromWorker): void; onmessage: ((ev: MessageEvent<ToWorker>) => void) | null };
const post = (msg: FromWorker) => scope.postMessage(msg);
const sink = new MediaSink();
sink.onError = (message) => post({ type: "error", message });
let stopped = false;
// Every frame's fate, counted where it happens (protocol.ts PipelineStats): issue 14 found 18–20
// of 30 fps reaching the relay while nothing was counted as dropped.
const counts = { captureSkipped: 0, read: 0, encoderBusy: 0, repeated: 0, submitted: 0, encoderDropped: 0, encoded: 0 };
/** Video only: timestamps handed to the encoder and not output yet, oldest first. */
const inEncoder: number[] = [];
let encodeQueueSize: () => number = () => 0;
const sentRate = new FrameRateMeter();
const capturedRate = new FrameRateMeter();
let videoEncoder: VideoEncoder | undefined;
let videoConfig: VideoEncoderConfig | undefined;
let reader: ReadableStreamDefaultReader<VideoFrame | AudioData> | undefined;
// Timestamps start at 0 for each broadcast: capture clocks start anywhere.
let epochUs: number | undefined;
/** Simulcast renditions 1.. (issue 16), fed the frames read for rendition 0. */
const renditions: RenditionEncoder[] = [];

function toHex(buffer: AllowSharedBufferSource | undefined): string | undefined {
	if (!buffer) return undefined;
	const bytes = buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
	return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function output(chunk: EncodedVideoChunk | EncodedAudioChunk, meta: EncodedVideoChunkMetadata | EncodedAudioChunkMetadata | undefined): void {
	const config = meta?.decoderConfig;
	if (config) {
		post({
			type: "decoder-config",
			codec: config.codec,
			description: toHex(config.description),
			...("codedWidth" in config ? { codedWidth: config.codedWidth, codedHeight: config.codedHeight } : {}),
			...("sampleRate" in config ? { sampleRate: config.sampleRate, numberOfChannels: config.numberOfChannels } : {}),
		});
	}
	if (chunk instanceof EncodedVideoChunk) {
		// A realtime video encoder outputs in input order (no B-frames) with the input's timestamp,
		// so frames submitted before this chunk's and never output were dropped by the encoder.
		while (inEncoder.length > 0 && inEncoder[0]! < chunk.timestamp) {
			inEncoder.shift();
			counts.encoderDropped++;
		}
		if (inEncoder[0] === chunk.timestamp) inEncoder.shift();
	}
	epochUs ??= chunk.timestamp;
	const data = new Uint8Array(chunk.byteLength);
	chunk.copyTo(data);
	counts.encoded++;
	sink.push(data, Math.max(0, chunk.timestamp - epochUs), chunk.type === "key");
}

async function pump(read: ReadableStreamDefaultReader<VideoFrame | AudioData>, encode: (frame: VideoFrame | AudioData) => void): Promise<void> {
	for (;;) {
		const { value, done } = await read.read();
		if (done || stopped) {
			value?.close();
			break;
		}
		counts.read++;
		try {
			encode(value);
		} finally {
			value.close();
		}
	}
}

/** A consistent snapshot of the counters (one thread, taken at once, so they add up). */
function stats(): PipelineStats {
	sentRate.sample(sink.stats.sent);
	capturedRate.sample(counts.read + counts.captureSkipped);
	return {
		...counts,
		captured: counts.read + counts.captureSkipped,
		capturedFps: capturedRate.perSecond(),
		encodeQueue: encodeQueueSize(),
		inEncoder: inEncoder.length,
		...sink.stats,
		sentFps: sentRate.perSecond(),
	};
}

setInterval(() => {
	post({ type: "stats", ...stats() });
	for (const r of renditions) r.report();
}, 1000);

scope.onmessage = async (ev: MessageEvent<ToWorker>) => {
	const msg = ev.data;
	try {
		switch (msg.type) {
			case "start-video": {
				videoConfig = msg.config;
				const encoder = new VideoEncoder({ output, error: (e) => post({ type: "error", message: e.message }) });
				encoder.configure(msg.config);
				videoEncoder = encoder;
				msg.renditions?.forEach((r, i) => renditions.push(new RenditionEncoder(i + 1, r.config, r.keyframeInterval, post)));
				encodeQueueSize = () => (encoder.state === "configured" ? encoder.encodeQueueSize : 0);
				let count = 0;
				let lastTimestamp = -Infinity;
				// Program frames the encoder fell too far behind to take count as skipped before it.
				const readable = msg.frames ? framesFromPort(msg.frames, () => counts.captureSkipped++) : msg.readable;
				if (!readable) throw new Error("no video input");
				reader = readable.getReader();
				await pump(reader, (frame) => {
					// The track processor keeps only the newest frame or so and discards the others while
					// this loop is behind, telling no one: without track statistics (the controller's
					// count), a steady source's timestamp gaps count them.
					if (msg.frameIntervalUs && lastTimestamp > -Infinity && frame.timestamp > lastTimestamp) {
						counts.captureSkipped += Math.max(0, Math.round((frame.timestamp - lastTimestamp) / msg.frameIntervalUs) - 1);
					}
					// Drop repeats of a capture time (a stalled source re-delivers its last frame), and raw
					// frames while the encoder is saturated rather than queueing them.
					if (frame.timestamp <= lastTimestamp) {
						counts.repeated++;
						return;
					}
					lastTimestamp = frame.timestamp;
					// Each rendition decides on its own whether its encoder can take the frame.
					for (const r of renditions) r.offer(frame as VideoFrame);
					if (encoder.encodeQueueSize > 2) {
						counts.encoderBusy++;
						return;
					}
					counts.submitted++;
					inEncoder.push(frame.timestamp);
					encoder.encode(frame as VideoFrame, { keyFrame: count++ % msg.keyframeInterval === 0 });
				});
				await encoder.flush().catch(() => {});
				// Flushed: whatever it still holds it will never output.
				counts.encoderDropped += inEncoder.splice(0).length;
				encoder.close();
				await Promise.all(renditions.map((r) => r.flush()));
				post({ type: "stats", ...stats() });
				for (const r of renditions) r.report();
				post({ type: "ended" });
				break;
			}
			case "start-audio": {
				const encoder = new AudioEncoder({ output, error: (e) => post({ type: "error", message: e.message }) });
				reader = msg.readable.getReader();
				await pump(reader, (data) => {
					const audio = data as AudioData;
					// Configure from the first buffer: a capture may deliver another rate or channel
					// count than it was asked for, and the encoder must match its input exactly.
					if (encoder.state === "unconfigured") {
						encoder.configure({ ...msg.config, sampleRate: audio.sampleRate, numberOfChannels: audio.numberOfChannels });
						encodeQueueSize = () => (encoder.state === "configured" ? encoder.encodeQueueSize : 0);
					}
					counts.submitted++;
					encoder.encode(audio);
				});
				if (encoder.state === "configured") await encoder.flush().catch(() => {});
				encoder.close();
				post({ type: "stats", ...stats() });
				post({ type: "ended" });
				break;
			}
			case "attach":
				if (msg.rendition) renditions.find((r) => r.rendition === msg.rendition)?.attach(msg.target);
				else sink.attach(msg.target);
				break;
			case "bitrate":
				if (msg.rendition) renditions.find((r) => r.rendition === msg.rendition)?.setBitrate(msg.bitrate);
				else if (videoEncoder && videoConfig && videoEncoder.state === "configured" && videoConfig.bitrate !== msg.bitrate) {
					videoConfig = { ...videoConfig, bitrate: msg.bitrate };
					videoEncoder.configure(videoConfig);
				}
				break;
			case "stop":
				stopped = true;
				await reader?.cancel().catch(() => {});
				sink.close();
				for (const r of renditions) r.close();
				break;
		}
	} catch (err) {
		post({ type: "error", message: err instanceof Error ? err.message : String(err) });
	}
};
