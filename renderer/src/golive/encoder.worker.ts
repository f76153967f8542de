/**
 * The Go Live encoder worker: reads raw frames (a transferred MediaStreamTrackProcessor
 * readable), encodes them with WebCodecs off the main thread, and sends the chunks to the engine.
 * One worker per track.
 */
import type { FromWorker, ToWorker } from "./protocol";
import { MediaSink } from "./sink";

// Typed by hand: pulling lib.webworker into the one tsconfig would clash with the DOM typings.
const scope = self as unknown as { postMessage(msg: FromWorker): void; onmessage: ((ev: MessageEvent<ToWorker>) => void) | null };
const post = (msg: FromWorker) => scope.postMessage(msg);
const sink = new MediaSink();
sink.onError = (message) => post({ type: "error", message });
let stopped = false;
let encoded = 0;
let videoEncoder: VideoEncoder | undefined;
let videoConfig: VideoEncoderConfig | undefined;
let reader: ReadableStreamDefaultReader<VideoFrame | AudioData> | undefined;
// Timestamps start at 0 for each broadcast: capture clocks start anywhere.
let epochUs: number | undefined;

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
	epochUs ??= chunk.timestamp;
	const data = new Uint8Array(chunk.byteLength);
	chunk.copyTo(data);
	encoded++;
	sink.push(data, Math.max(0, chunk.timestamp - epochUs), chunk.type === "key");
}

async function pump(read: ReadableStreamDefaultReader<VideoFrame | AudioData>, encode: (frame: VideoFrame | AudioData) => void): Promise<void> {
	for (;;) {
		const { value, done } = await read.read();
		if (done || stopped) {
			value?.close();
			break;
		}
		try {
			encode(value);
		} finally {
			value.close();
		}
	}
}

setInterval(() => post({ type: "stats", encoded, ...sink.stats }), 1000);

scope.onmessage = async (ev: MessageEvent<ToWorker>) => {
	const msg = ev.data;
	try {
		switch (msg.type) {
			case "start-video": {
				videoConfig = msg.config;
				const encoder = new VideoEncoder({ output, error: (e) => post({ type: "error", message: e.message }) });
				encoder.configure(msg.config);
				videoEncoder = encoder;
				let count = 0;
				let lastTimestamp = -Infinity;
				reader = msg.readable.getReader();
				await pump(reader, (frame) => {
					// Drop raw frames while the encoder is saturated rather than queueing them, and
					// repeats of a capture time (a stalled source re-delivers its last frame).
					if (encoder.encodeQueueSize > 2 || frame.timestamp <= lastTimestamp) return;
					lastTimestamp = frame.timestamp;
					encoder.encode(frame as VideoFrame, { keyFrame: count++ % msg.keyframeInterval === 0 });
				});
				await encoder.flush().catch(() => {});
				encoder.close();
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
					}
					encoder.encode(audio);
				});
				if (encoder.state === "configured") await encoder.flush().catch(() => {});
				encoder.close();
				post({ type: "ended" });
				break;
			}
			case "attach":
				sink.attach(msg.target);
				break;
			case "bitrate":
				if (videoEncoder && videoConfig && videoEncoder.state === "configured" && videoConfig.bitrate !== msg.bitrate) {
					videoConfig = { ...videoConfig, bitrate: msg.bitrate };
					videoEncoder.configure(videoConfig);
				}
				break;
			case "stop":
				stopped = true;
				await reader?.cancel().catch(() => {});
				sink.close();
				break;
		}
	} catch (err) {
		post({ type: "error", message: err instanceof Error ? err.message : String(err) });
	}
};
