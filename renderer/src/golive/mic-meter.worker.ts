/**
 * Go Live's microphone meter worker: reads the raw samples of a capture track (a transferred
 * `MediaStreamTrackProcessor` readable) and reports peak and RMS per channel in dBFS about 20
 * times a second, off the main thread.
 *
 * Samples rather than an AnalyserNode: an AudioContext the autoplay rules hold suspended (a page
 * reloaded straight onto Go Live, no click yet) would read silence while the microphone is live,
 * and a polled analyser misses the peaks between two polls. Every sample is counted here.
 */
import type { ChannelLevel } from "../monitor/protocol";

/** Main thread to the worker. */
export type ToMicMeter =
	/** Meter this readable from now on (the previous one is cancelled). */
	| { type: "track"; readable: ReadableStream<AudioData> }
	/** Stop metering (no microphone): the levels go empty. */
	| { type: "none" };

/** Worker to main thread. */
export type FromMicMeter = { type: "levels"; levels: ChannelLevel[] } | { type: "error"; message: string };

// Typed by hand: pulling lib.webworker into the one tsconfig would clash with the DOM typings.
const scope = self as unknown as { postMessage(msg: FromMicMeter): void; onmessage: ((ev: MessageEvent<ToMicMeter>) => void) | null };
const post = (msg: FromMicMeter) => scope.postMessage(msg);

const LEVELS_EVERY_MS = 50;
/** Per channel since the last report: peak |x|, sum of squares, samples. */
let meter: { peak: number; sum: number; n: number }[] = [];
let reader: ReadableStreamDefaultReader<AudioData> | undefined;
let plane = new Float32Array(0);

function measure(data: AudioData): void {
	const frames = data.numberOfFrames;
	if (plane.length < frames) plane = new Float32Array(frames);
	const view = plane.subarray(0, frames);
	for (let c = 0; c < data.numberOfChannels; c++) {
		data.copyTo(view, { planeIndex: c, format: "f32-planar" });
		const m = (meter[c] ??= { peak: 0, sum: 0, n: 0 });
		for (let i = 0; i < frames; i++) {
			const x = view[i]!;
			const a = x < 0 ? -x : x;
			if (a > m.peak) m.peak = a;
			m.sum += x * x;
		}
		m.n += frames;
	}
}

async function read(current: ReadableStreamDefaultReader<AudioData>): Promise<void> {
	try {
		for (;;) {
			const { value, done } = await current.read();
			if (done || reader !== current) {
				value?.close();
				return;
			}
			try {
				measure(value);
			} finally {
				value.close();
			}
		}
	} catch (err) {
		if (reader === current) post({ type: "error", message: err instanceof Error ? err.message : String(err) });
	}
}

function stop(): void {
	const old = reader;
	reader = undefined;
	meter = [];
	void old?.cancel().catch(() => {});
}

const dbfs = (x: number) => (x > 0 ? 20 * Math.log10(x) : -Infinity);

setInterval(() => {
	if (!reader) return;
	// A channel that delivered nothing in the window reports silence, not its last level.
	const levels: ChannelLevel[] = meter.map((m) => ({ peakDb: dbfs(m.peak), rmsDb: m.n > 0 ? dbfs(Math.sqrt(m.sum / m.n)) : -Infinity }));
	for (const m of meter) {
		m.peak = 0;
		m.sum = 0;
		m.n = 0;
	}
	if (levels.length > 0) post({ type: "levels", levels });
}, LEVELS_EVERY_MS);

scope.onmessage = (ev: MessageEvent<ToMicMeter>) => {
	const msg = ev.data;
	stop();
	if (msg.type === "track") {
		reader = msg.readable.getReader();
		void read(reader);
	}
};
