/**
 * The monitor's audio worklet: plays the planar samples its decode worker sends on a port, with
 * a small cushion against jitter. It never queues more than {@link MAX_QUEUE_S} (a suspended
 * context, a muted tab): older samples are dropped so the monitor stays close to live.
 *
 * Loaded with `?worker&url` (bundled as its own module under 'self', which the strict CSP allows).
 */
import type { FromWorklet, ToWorklet } from "./protocol";

// The AudioWorkletGlobalScope is not in the DOM typings; only what is used here is declared.
declare const sampleRate: number;
declare class AudioWorkletProcessor {
	readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new (options: { processorOptions?: unknown }) => AudioWorkletProcessor): void;

/** Playback starts (and restarts after an underrun) once this much is queued. */
const START_S = 0.06;
/** More than this queued drops the oldest samples. */
const MAX_QUEUE_S = 0.4;

class MonitorAudioProcessor extends AudioWorkletProcessor {
	#queue: Float32Array[][] = [];
	#offset = 0; // frames of queue[0] already played
	#frames = 0; // frames queued
	#playing = false;
	#underruns = 0;
	#reported = 0;
	#source: MessagePort | undefined;

	constructor(_options: { processorOptions?: unknown }) {
		super();
		// The node's own port only ever brings the decode worker's port.
		this.port.onmessage = (ev: MessageEvent<{ port?: MessagePort }>) => {
			const port = ev.data.port;
			if (!port) return;
			this.#source?.close();
			this.#source = port;
			port.onmessage = (m: MessageEvent<ToWorklet>) => this.#onMessage(m.data);
		};
	}

	#onMessage(msg: ToWorklet): void {
		if (msg.type === "flush") {
			this.#queue = [];
			this.#offset = 0;
			this.#frames = 0;
			this.#playing = false;
			return;
		}
		const planes = msg.planes;
		if (!planes[0] || planes[0].length === 0) return;
		this.#queue.push(planes);
		this.#frames += planes[0].length;
		const max = MAX_QUEUE_S * sampleRate;
		while (this.#frames > max && this.#queue.length > 1) {
			const dropped = this.#queue.shift()!;
			this.#frames -= dropped[0]!.length - this.#offset;
			this.#offset = 0;
		}
	}

	process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
		const out = outputs[0];
		if (!out || !out[0]) return true;
		const need = out[0].length;
		if (!this.#playing && this.#frames >= START_S * sampleRate) this.#playing = true;
		if (this.#playing) {
			let written = 0;
			while (written < need && this.#queue.length > 0) {
				const planes = this.#queue[0]!;
				const length = planes[0]!.length;
				const n = Math.min(need - written, length - this.#offset);
				for (let c = 0; c < out.length; c++) {
					// Mono sources feed every output channel; extra source channels are left out.
					const plane = planes[Math.min(c, planes.length - 1)]!;
					out[c]!.set(plane.subarray(this.#offset, this.#offset + n), written);
				}
				written += n;
				this.#offset += n;
				this.#frames -= n;
				if (this.#offset >= length) {
					this.#queue.shift();
					this.#offset = 0;
				}
			}
			if (written < need) {
				// Ran dry: the rest of the quantum stays silent and playback waits for a cushion again.
				this.#playing = false;
				this.#underruns++;
			}
		}
		if (this.#source && currentFrame() - this.#reported >= sampleRate / 10) {
			this.#reported = currentFrame();
			this.#source.postMessage({ type: "buffered", frames: this.#frames, underruns: this.#underruns } satisfies FromWorklet);
		}
		return true;
	}
}

/** `currentFrame` of the worklet scope, read through globalThis so this module also loads elsewhere. */
function currentFrame(): number {
	return (globalThis as unknown as { currentFrame?: number }).currentFrame ?? 0;
}

registerProcessor("moq-monitor-audio", MonitorAudioProcessor);
