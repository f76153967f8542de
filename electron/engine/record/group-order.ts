/**
 * Puts groups that arrive out of order back in group-sequence order, for tracks where every group
 * is independent (hang audio: one frame per group, each group on its own stream).
 *
 * Streams of one track overtake each other: a burst (a backlog after a stall, a subscriber that
 * joins at an old group, a publisher flushing its queue) arrives in any order, out of order by
 * seconds of media. Ordering by media time within a fixed window drops whatever is later than the
 * window; ordering by group sequence needs no window: the next group to write is known exactly,
 * and anything above it waits for it. A hole is given up only when it is known not to come
 * ({@link GroupOrder.skip}), when it has been open for `holdMs` (of the caller's clock) since a group
 * above it arrived, or when what waits above it exceeds the memory bounds.
 *
 * Where writing starts is a hole too: a subscription that joins a track live does not know its
 * first sequence, and the first group to arrive need not be the lowest of a burst. Unless told
 * ({@link GroupOrder.expect}) or handed sequence 0 (nothing is below it), the lowest group that
 * arrives within `holdMs` of the first one starts the track.
 */

/** Bounds of a {@link GroupOrder}. */
export interface GroupOrderOptions {
	/** How long (ms of the clock the caller passes as `now`) a hole may stay open once a group above it has arrived. */
	holdMs: number;
	/** Most groups held above a hole; beyond it the lowest hole is given up. */
	maxGroups: number;
	/** Most payload bytes held above a hole; beyond it the lowest hole is given up. */
	maxBytes: number;
}

/** What {@link GroupOrder} hands back: groups to write now, in sequence order. */
export interface ReleasedGroup<T> {
	sequence: number;
	frames: T[];
}

/** The result of offering or expiring: what to write now, and how many sequences were given up. */
export interface Release<T> {
	/** Groups to write now, lowest sequence first, each after the previous. */
	ready: ReleasedGroup<T>[];
	/** Groups at or below the write position: already written or given up (duplicates, stragglers). */
	late: ReleasedGroup<T>[];
	/** Sequences given up as holes by this call (never arrived within the bounds). */
	holes: number;
}

interface Held<T> {
	frames: T[];
	bytes: number;
	/** When it arrived (ms, the clock passed in). */
	at: number;
}

/**
 * Releases groups in increasing sequence order with no sequence released twice. Guarantees: a
 * group offered at or above the write position is released exactly once, in order, after every
 * lower group that arrives in time; holes (the start included) are given up only under the rules
 * in the module comment; at most `maxGroups` groups and `maxBytes` bytes are held. It keeps no
 * clock: callers pass the time to {@link push} and {@link expire}.
 */
export class GroupOrder<T> {
	readonly #opts: GroupOrderOptions;
	readonly #held = new Map<number, Held<T>>();
	/** Sequences above the write position known not to come (reset streams), passed over when reached. */
	readonly #skipped = new Set<number>();
	#bytes = 0;
	/** The next sequence to release; undefined until the first group or {@link expect}. */
	#next: number | undefined;

	constructor(opts: GroupOrderOptions) {
		this.#opts = opts;
	}

	/** The next sequence to release, if known. */
	get next(): number | undefined {
		return this.#next;
	}

	/** Groups held above a hole. */
	get held(): number {
		return this.#held.size;
	}

	/** Sets where releasing starts, when nothing set it yet (a subscription's requested start group). */
	expect(sequence: number): void {
		this.#next ??= sequence;
	}

	/** Offers a complete group arriving at `now` (ms); `bytes` is its payload size, for the bound. */
	push(sequence: number, frames: T[], bytes: number, now: number): Release<T> {
		const out: Release<T> = { ready: [], late: [], holes: 0 };
		if (sequence === 0) this.#next ??= 0;
		if (this.#next !== undefined && sequence < this.#next) {
			out.late.push({ sequence, frames });
			return out;
		}
		if (this.#held.has(sequence)) return out; // a duplicate of one already waiting
		this.#skipped.delete(sequence); // given up early, yet here after all (another subscription)
		this.#held.set(sequence, { frames, bytes, at: now });
		this.#bytes += bytes;
		this.#releaseContiguous(out);
		while (this.#held.size > this.#opts.maxGroups || this.#bytes > this.#opts.maxBytes) this.#giveUpLowestHole(out);
		return out;
	}

	/** `sequence` will not come (its stream was reset, or it is known skipped): stop waiting for it. */
	skip(sequence: number): Release<T> {
		const out: Release<T> = { ready: [], late: [], holes: 0 };
		if (this.#next === undefined || sequence < this.#next || this.#held.has(sequence)) return out;
		// Remembered even above the lowest hole: when the writing reaches it, it does not wait.
		this.#skipped.add(sequence);
		this.#releaseContiguous(out);
		return out;
	}

	/** When (ms, the clock passed to {@link push}) the lowest hole times out, or undefined with none. */
	deadline(): number | undefined {
		let first: number | undefined;
		for (const h of this.#held.values()) if (first === undefined || h.at < first) first = h.at;
		return first === undefined ? undefined : first + this.#opts.holdMs;
	}

	/** Gives up every hole whose wait has passed at `now`, releasing what was behind it. */
	expire(now: number): Release<T> {
		const out: Release<T> = { ready: [], late: [], holes: 0 };
		for (;;) {
			const deadline = this.deadline();
			if (deadline === undefined || deadline > now) return out;
			this.#giveUpLowestHole(out);
		}
	}

	/** Releases everything held, in order, giving up every hole (the track ended). */
	drain(): Release<T> {
		const out: Release<T> = { ready: [], late: [], holes: 0 };
		while (this.#held.size > 0) this.#giveUpLowestHole(out);
		return out;
	}

	#giveUpLowestHole(out: Release<T>): void {
		if (this.#held.size === 0) return;
		const lowest = Math.min(...this.#held.keys());
		// An unknown start is no hole: nothing was ever expected below the lowest arrival.
		out.holes += lowest - (this.#next ?? lowest);
		// Known-skipped sequences below are among the holes just counted.
		for (const sequence of this.#skipped) if (sequence < lowest) this.#skipped.delete(sequence);
		this.#next = lowest;
		this.#releaseContiguous(out);
	}

	#releaseContiguous(out: Release<T>): void {
		for (;;) {
			const next = this.#next;
			if (next === undefined) return;
			if (this.#skipped.delete(next)) {
				out.holes++;
				this.#next = next + 1;
				continue;
			}
			const h = this.#held.get(next);
			if (!h) return;
			this.#held.delete(next);
			this.#bytes -= h.bytes;
			out.ready.push({ sequence: next, frames: h.frames });
			this.#next = next + 1;
		}
	}
}
