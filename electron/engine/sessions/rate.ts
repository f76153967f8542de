/**
 * A bitrate meter over a monotonically increasing byte counter, sampled whenever convenient.
 * Measured by the engine because the WebSocket transport reports no statistics (DESIGN.md §4).
 */
export class RateMeter {
	#lastBytes = 0;
	#lastAt = 0;
	#rate = 0;
	#peak = 0;

	/** Feeds the counter's current value; rates update once at least 250 ms have passed. */
	sample(totalBytes: number, now = Date.now()): void {
		if (this.#lastAt === 0) {
			this.#lastAt = now;
			this.#lastBytes = totalBytes;
			return;
		}
		const dt = now - this.#lastAt;
		if (dt < 250) return;
		const instant = (Math.max(0, totalBytes - this.#lastBytes) * 8 * 1000) / dt;
		// An EWMA with a ~2 s horizon: smooth enough to show, quick enough to adapt an encoder.
		const alpha = Math.min(1, dt / 2000);
		this.#rate = this.#rate === 0 ? instant : this.#rate + alpha * (instant - this.#rate);
		this.#peak = Math.max(this.#peak * 0.98, instant);
		this.#lastAt = now;
		this.#lastBytes = totalBytes;
	}

	/** The smoothed rate in bits per second. */
	bitsPerSecond(): number {
		return Math.round(this.#rate);
	}

	/** A slowly decaying peak rate: what the path has recently been shown to carry. */
	peakBitsPerSecond(): number {
		return Math.round(this.#peak);
	}
}
