/**
 * Coalesces a stream of items into batches delivered at most every `intervalMs`, so bursts
 * (thousands of announcements, chatty logs) reach the renderer at about 10 Hz, not per item.
 */
export class Batcher<T> {
	#pending: T[] = [];
	#timer: ReturnType<typeof setTimeout> | undefined;
	readonly #flush: (items: T[]) => void;
	readonly #intervalMs: number;

	constructor(flush: (items: T[]) => void, intervalMs = 100) {
		this.#flush = flush;
		this.#intervalMs = intervalMs;
	}

	/** Queues one item; it is delivered within `intervalMs`. */
	push(item: T): void {
		this.#pending.push(item);
		if (!this.#timer) {
			this.#timer = setTimeout(() => this.flush(), this.#intervalMs);
			this.#timer.unref?.();
		}
	}

	/** Drops whatever is pending without delivering it. */
	cancel(): void {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#pending = [];
	}

	/** Delivers whatever is pending now. */
	flush(): void {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = undefined;
		if (this.#pending.length === 0) return;
		const items = this.#pending;
		this.#pending = [];
		this.#flush(items);
	}
}
