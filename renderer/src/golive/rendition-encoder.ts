/**
 * One simulcast rendition's encoder inside the Go Live video worker (issue 16): its own
 * VideoEncoder at its own size, bitrate and group length, its own media channel with its own
 * credit (a congested rendition skips to its next keyframe without touching the others), and
 * its own counters. It encodes the frames the worker read for rendition 0; Chromium's encoder
 * scales a frame to its configured size itself (checked in Debian's Chromium: a 1280×720
 * frame into a 640×360 H.264 encoder gives 640×360 output), so no frame is copied or drawn.
 */
import { FrameRateMeter } from "../../../shared/frame-rate";
import type { FromWorker, PipelineStats, SinkTarget } from "./protocol";
import { MediaSink } from "./sink";

/** Frames waiting in an encoder beyond which a rendition skips frames rather than queue them. */
const MAX_ENCODE_QUEUE = 2;

/**
 * A rendition encoder. Guarantees: every chunk goes to this rendition's channel only; each
 * frame offered is counted exactly once (busy, submitted) and each submitted one as encoded,
 * dropped by the encoder, or still in it, so the counters add up as {@link PipelineStats} says.
 */
export class RenditionEncoder {
	readonly rendition: number;
	readonly #post: (msg: FromWorker) => void;
	readonly #encoder: VideoEncoder;
	readonly #sink = new MediaSink();
	readonly #keyframeInterval: number;
	readonly #counts = { captureSkipped: 0, read: 0, encoderBusy: 0, repeated: 0, submitted: 0, encoderDropped: 0, encoded: 0 };
	readonly #inEncoder: number[] = [];
	readonly #sentRate = new FrameRateMeter();
	readonly #offeredRate = new FrameRateMeter();
	#config: VideoEncoderConfig;
	#count = 0;
	#epochUs: number | undefined;
	#configSent = false;

	constructor(rendition: number, config: VideoEncoderConfig, keyframeInterval: number, post: (msg: FromWorker) => void) {
		this.rendition = rendition;
		this.#post = post;
		this.#config = config;
		this.#keyframeInterval = Math.max(1, keyframeInterval);
		this.#sink.onError = (message) => post({ type: "error", message: `rendition ${rendition}: ${message}` });
		this.#encoder = new VideoEncoder({
			output: (chunk, meta) => this.#output(chunk, meta),
			error: (e) => post({ type: "error", message: `rendition ${rendition} encoder: ${e.message}` }),
		});
		this.#encoder.configure(config);
	}

	/** Encodes `frame` (the caller keeps it and closes it), or skips it while this encoder is saturated. */
	offer(frame: VideoFrame): void {
		this.#counts.read++;
		if (this.#encoder.state !== "configured") return void this.#counts.encoderBusy++;
		if (this.#encoder.encodeQueueSize > MAX_ENCODE_QUEUE) return void this.#counts.encoderBusy++;
		this.#counts.submitted++;
		this.#inEncoder.push(frame.timestamp);
		this.#encoder.encode(frame, { keyFrame: this.#count++ % this.#keyframeInterval === 0 });
	}

	#output(chunk: EncodedVideoChunk, meta: EncodedVideoChunkMetadata | undefined): void {
		const config = meta?.decoderConfig;
		if (config && !this.#configSent) {
			this.#configSent = true;
			this.#post({ type: "decoder-config", codec: config.codec, description: toHex(config.description), codedWidth: config.codedWidth, codedHeight: config.codedHeight, rendition: this.rendition });
		}
		// Realtime encoders output in input order: anything older than this chunk was dropped.
		while (this.#inEncoder.length > 0 && this.#inEncoder[0]! < chunk.timestamp) {
			this.#inEncoder.shift();
			this.#counts.encoderDropped++;
		}
		if (this.#inEncoder[0] === chunk.timestamp) this.#inEncoder.shift();
		this.#epochUs ??= chunk.timestamp;
		const data = new Uint8Array(chunk.byteLength);
		chunk.copyTo(data);
		this.#counts.encoded++;
		this.#sink.push(data, Math.max(0, chunk.timestamp - this.#epochUs), chunk.type === "key");
	}

	/** Sends this rendition's chunks to `target` from now on (the GOP in progress first). */
	attach(target: SinkTarget): void {
		this.#sink.attach(target);
	}

	/** Follows the engine's target for this rendition. */
	setBitrate(bitrate: number): void {
		if (this.#encoder.state !== "configured" || this.#config.bitrate === bitrate) return;
		this.#config = { ...this.#config, bitrate };
		this.#encoder.configure(this.#config);
	}

	/** A consistent snapshot of this rendition's counters. */
	stats(): PipelineStats {
		const sink = this.#sink.stats;
		this.#sentRate.sample(sink.sent);
		this.#offeredRate.sample(this.#counts.read);
		return {
			...this.#counts,
			captured: this.#counts.read,
			capturedFps: this.#offeredRate.perSecond(),
			encodeQueue: this.#encoder.state === "configured" ? this.#encoder.encodeQueueSize : 0,
			inEncoder: this.#inEncoder.length,
			...sink,
			sentFps: this.#sentRate.perSecond(),
		};
	}

	/** Posts this rendition's counters to the main thread. */
	report(): void {
		this.#post({ type: "stats", rendition: this.rendition, ...this.stats() });
	}

	/** Encodes what it holds, then closes the encoder (not the channel: see {@link close}). */
	async flush(): Promise<void> {
		if (this.#encoder.state === "configured") await this.#encoder.flush().catch(() => {});
		this.#counts.encoderDropped += this.#inEncoder.splice(0).length;
		if (this.#encoder.state !== "closed") this.#encoder.close();
	}

	/** Closes the media channel. */
	close(): void {
		this.#sink.close();
	}
}

function toHex(buffer: AllowSharedBufferSource | undefined): string | undefined {
	if (!buffer) return undefined;
	const bytes = buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
	return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
