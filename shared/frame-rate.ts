/**
 * Frames per second over a sliding window of a monotonically increasing frame counter. Go Live
 * measures the rate it really carries with it (issue 14: the panel showed the 30 fps target while
 * 18–20 fps reached the relay). The renderer measures what it sends and the engine what it
 * receives with this one meter, so the two compare. Pure: runs in Node, a page and a worker.
 */

/** How far back the rate looks: long enough to be steady at 1 Hz sampling, short enough to follow a drop. */
export const FRAME_RATE_WINDOW_MS = 3000;

/** A frame-rate meter fed with a counter's current value whenever convenient. */
export class FrameRateMeter {
	readonly #samples: { at: number; count: number }[] = [];
	readonly #windowMs: number;

	constructor(windowMs = FRAME_RATE_WINDOW_MS) {
		this.#windowMs = windowMs;
	}

	/** Records the counter's value at `now` (ms). */
	sample(count: number, now = performance.now()): void {
		this.#samples.push({ at: now, count });
		// Keep one sample at or before the window's start as the base of the difference.
		while (this.#samples.length > 2 && this.#samples[1]!.at <= now - this.#windowMs) this.#samples.shift();
	}

	/** Frames per second between the oldest kept sample and the newest, one decimal; 0 before two samples. */
	perSecond(): number {
		const first = this.#samples[0];
		const last = this.#samples[this.#samples.length - 1];
		if (!first || !last || last.at - first.at < 250) return 0;
		return Math.round(((last.count - first.count) * 10_000) / (last.at - first.at)) / 10;
	}
}
