/**
 * Go Live's audio mixer worklet (issue 16): sums up to {@link MAX_MIXER_INPUTS} sources into the
 * stereo program, each with its gain, mute and solo, and meters every input and the program
 * (peak and RMS per channel, dBFS) on the audio thread, so every sample is counted.
 *
 * A gain change ramps over one render quantum (no clicks); once a mute's ramp is done its input
 * is multiplied by exactly 0, so a muted mix is digital silence, not a quiet one.
 *
 * Loaded with `?worker&url` (bundled as its own module under 'self', which the strict CSP allows).
 */
import type { ChannelLevel, FromWorklet, ToWorklet } from "../../monitor/protocol";
import { MAX_MIXER_INPUTS, REMOTE_INPUT_PROCESSOR, type FromMixerWorklet, type InputFader, type RemoteInputOptions, type ToMixerWorklet } from "./protocol";

// The AudioWorkletGlobalScope is not in the DOM typings; only what is used here is declared.
declare const sampleRate: number;
declare class AudioWorkletProcessor {
	readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new (options: { processorOptions?: unknown }) => AudioWorkletProcessor): void;

/** Levels are reported this often (seconds of audio). */
const REPORT_S = 0.05;

/** Peak |x| and sum of squares per channel since the last report. */
class Accumulator {
	peak: number[] = [];
	sum: number[] = [];
	n = 0;
	add(channel: number, x: Float32Array | number[], scale: number): void {
		let peak = this.peak[channel] ?? 0;
		let sum = this.sum[channel] ?? 0;
		for (let i = 0; i < x.length; i++) {
			const v = x[i]! * scale;
			const a = v < 0 ? -v : v;
			if (a > peak) peak = a;
			sum += v * v;
		}
		this.peak[channel] = peak;
		this.sum[channel] = sum;
	}
	take(): ChannelLevel[] {
		const n = this.n;
		const out = this.peak.map((p, c) => ({ peakDb: dbfs(p), rmsDb: n > 0 ? dbfs(Math.sqrt((this.sum[c] ?? 0) / n)) : -Infinity }));
		this.peak = [];
		this.sum = [];
		this.n = 0;
		return out;
	}
}

const dbfs = (x: number) => (x > 0 ? 20 * Math.log10(x) : -Infinity);

class MixerProcessor extends AudioWorkletProcessor {
	#faders = new Map<number, InputFader>();
	/** The gain each input ended the last quantum with (ramps start there). */
	#current = new Float32Array(MAX_MIXER_INPUTS);
	#meters = Array.from({ length: MAX_MIXER_INPUTS }, () => new Accumulator());
	#program = new Accumulator();
	#sinceReport = 0;

	constructor() {
		super();
		this.port.onmessage = (ev: MessageEvent<ToMixerWorklet>) => {
			if (ev.data.type !== "faders") return;
			this.#faders = new Map(ev.data.faders.map((f) => [f.input, f]));
		};
	}

	process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
		const out = outputs[0];
		if (!out || out.length === 0) return true;
		const frames = out[0]!.length;
		for (const channel of out) channel.fill(0);
		// Any strip soloed silences the others; a strip both soloed and muted stays silent and
		// solos nothing (muting is the stronger word).
		let soloed = false;
		for (const f of this.#faders.values()) soloed ||= f.solo && !f.muted;
		for (let i = 0; i < inputs.length && i < MAX_MIXER_INPUTS; i++) {
			const input = inputs[i]!;
			const fader = this.#faders.get(i);
			const meter = this.#meters[i]!;
			if (input.length === 0 || !fader) {
				// Unconnected (or not yet faded in): silent, and the ramp starts from 0 when it comes.
				this.#current[i] = 0;
				continue;
			}
			for (let c = 0; c < input.length; c++) meter.add(c, input[c]!, fader.gain);
			meter.n += frames;
			const target = fader.muted || (soloed && !fader.solo) ? 0 : fader.gain;
			const from = this.#current[i]!;
			this.#current[i] = target;
			if (from === 0 && target === 0) continue;
			for (let c = 0; c < out.length; c++) {
				// A mono source plays in every program channel; a wider one gives its first channels.
				const src = input[Math.min(c, input.length - 1)]!;
				const dst = out[c]!;
				if (from === target) {
					for (let k = 0; k < frames; k++) dst[k] = dst[k]! + src[k]! * target;
				} else {
					const step = (target - from) / frames;
					for (let k = 0; k < frames; k++) dst[k] = dst[k]! + src[k]! * (from + step * (k + 1));
				}
			}
		}
		for (let c = 0; c < out.length; c++) this.#program.add(c, out[c]!, 1);
		this.#program.n += frames;
		this.#sinceReport += frames;
		if (this.#sinceReport >= REPORT_S * sampleRate) {
			this.#sinceReport = 0;
			const msg: FromMixerWorklet = { type: "levels", inputs: this.#meters.map((m) => m.take()), program: this.#program.take() };
			this.port.postMessage(msg);
		}
		return true;
	}
}

registerProcessor("moq-golive-mixer", MixerProcessor);

/** A remote input starts (and restarts after running dry) once this much is queued. */
const REMOTE_START_S = 0.06;
/** More than this queued drops the oldest samples: the mix stays close to live. */
const REMOTE_MAX_S = 0.4;

/**
 * A remote source's sound as a mixer input (see {@link REMOTE_INPUT_PROCESSOR}): a ring of the
 * PCM its decode worker sends, read at the source's rate against the mixer's (linear
 * interpolation: a 44.1 kHz AAC guest plays at its pitch in the 48 kHz mix), with the monitor
 * worklet's cushion and bound, and the same `buffered` reports back so the decoder's counters
 * stay right.
 */
class RemoteInputProcessor extends AudioWorkletProcessor {
	readonly #ratio: number;
	readonly #capacity: number;
	#ring: Float32Array[] = [];
	/** Index of the oldest unread frame in the ring, and the fraction between it and the next. */
	#read = 0;
	#frac = 0;
	#count = 0;
	#playing = false;
	#underruns = 0;
	#sinceReport = 0;
	#source: MessagePort | undefined;

	constructor(options: { processorOptions?: unknown }) {
		super();
		const sourceRate = (options.processorOptions as RemoteInputOptions | undefined)?.sourceRate ?? sampleRate;
		this.#ratio = sourceRate / sampleRate;
		this.#capacity = Math.ceil(sourceRate * REMOTE_MAX_S) + 256;
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
			this.#count = 0;
			this.#frac = 0;
			this.#playing = false;
			return;
		}
		const planes = msg.planes;
		const n = planes[0]?.length ?? 0;
		if (n === 0) return;
		if (this.#ring.length !== planes.length) {
			// A new channel layout: start over with it.
			this.#ring = planes.map(() => new Float32Array(this.#capacity));
			this.#count = 0;
			this.#read = 0;
		}
		const cap = this.#capacity;
		// Only the newest `cap` frames can be kept.
		const skip = Math.max(0, n - cap);
		for (let c = 0; c < planes.length; c++) {
			const ring = this.#ring[c]!;
			const plane = planes[c]!;
			let w = (this.#read + this.#count) % cap;
			for (let i = skip; i < n; i++) {
				ring[w] = plane[i]!;
				if (++w === cap) w = 0;
			}
		}
		this.#count += n - skip;
		const max = Math.floor(REMOTE_MAX_S * this.#ratio * sampleRate);
		if (this.#count > max) {
			const drop = this.#count - max;
			this.#read = (this.#read + drop) % cap;
			this.#count = max;
		}
	}

	process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
		const out = outputs[0];
		if (!out || !out[0]) return true;
		const frames = out[0].length;
		for (const channel of out) channel.fill(0);
		const ratio = this.#ratio;
		if (!this.#playing && this.#count >= REMOTE_START_S * ratio * sampleRate) this.#playing = true;
		if (this.#playing && this.#ring.length > 0) {
			const cap = this.#capacity;
			let written = 0;
			let pos = this.#frac;
			// Each output frame interpolates between two source frames: the second must be queued.
			while (written < frames && Math.floor(pos) + 1 < this.#count) {
				const i = Math.floor(pos);
				const f = pos - i;
				const a = (this.#read + i) % cap;
				const b = (a + 1) % cap;
				for (let c = 0; c < out.length; c++) {
					const ring = this.#ring[Math.min(c, this.#ring.length - 1)]!;
					out[c]![written] = ring[a]! + (ring[b]! - ring[a]!) * f;
				}
				written++;
				pos += ratio;
			}
			const used = Math.floor(pos);
			this.#read = (this.#read + used) % cap;
			this.#count -= used;
			this.#frac = pos - used;
			if (written < frames) {
				this.#playing = false;
				this.#underruns++;
			}
		}
		this.#sinceReport += frames;
		if (this.#source && this.#sinceReport >= sampleRate / 10) {
			this.#sinceReport = 0;
			this.#source.postMessage({ type: "buffered", frames: this.#count, underruns: this.#underruns } satisfies FromWorklet);
		}
		return true;
	}
}

registerProcessor(REMOTE_INPUT_PROCESSOR, RemoteInputProcessor);
