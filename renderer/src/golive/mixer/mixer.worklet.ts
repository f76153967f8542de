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
import type { ChannelLevel } from "../../monitor/protocol";
import { MAX_MIXER_INPUTS, type FromMixerWorklet, type InputFader, type ToMixerWorklet } from "./protocol";

// The AudioWorkletGlobalScope is not in the DOM typings; only what is used here is declared.
declare const sampleRate: number;
declare class AudioWorkletProcessor {
	readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessor): void;

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
