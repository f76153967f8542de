/**
 * How long something has made no progress, counted in time this process was running and reading
 * its sockets rather than in wall-clock time.
 *
 * Every "nothing arrived for N ms, give up" bound on the media path (a track end waiting for its
 * last groups, a relay track draining after an unannounce, a publisher's drain) used to compare
 * `performance.now()` with the last arrival. On a starved machine a process can go unscheduled
 * for a second or more; when it runs again its timers fire before the event loop polls the
 * sockets, so the bound expired with the missing groups already sitting, unread, in its own
 * receive buffer (four publishers ending together under eight CPU hogs lost the last 7 Opus
 * groups of each track at the relay: test/media/concurrent-ends.test.ts).
 *
 * Here quiet grows by at most {@link QUIET_STEP_MAX_MS} per sample, and callers sample at least
 * every {@link QUIET_TICK_MS} (see {@link QuietClock.wait}). Between two samples the event loop
 * has been through its poll phase at least once, so a bound of N ms is only reached after at least
 * N / {@link QUIET_STEP_MAX_MS} chances to read what arrived. On a machine that is not starved
 * this is the same as wall-clock time.
 */
import type { ChangeSignal } from "./change-signal";

/** The longest a waiter sleeps between two samples. */
export const QUIET_TICK_MS = 100;
/** The most one sample adds to the quiet: a longer gap is time the process did not run. */
export const QUIET_STEP_MAX_MS = 2 * QUIET_TICK_MS;

/** Quiet since `progress()` last changed, in running time (see the module comment). */
export class QuietClock {
	readonly #progress: () => unknown;
	#mark: unknown;
	#quiet = 0;
	#sampledAt = performance.now();

	/**
	 * `progress()` returns anything that changes whenever progress is made. The quiet starts at
	 * `alreadyQuietMs` (default 0): the caller vouches for that much before this clock existed, so
	 * it should have let the event loop poll once (a {@link wait}) before trusting it.
	 */
	constructor(progress: () => unknown, alreadyQuietMs = 0) {
		this.#progress = progress;
		this.#mark = progress();
		this.#quiet = alreadyQuietMs;
	}

	/** The quiet so far in ms, sampled now: 0 right after progress. */
	read(): number {
		const now = performance.now();
		const mark = this.#progress();
		if (mark !== this.#mark) {
			this.#mark = mark;
			this.#quiet = 0;
		} else {
			this.#quiet += Math.min(now - this.#sampledAt, QUIET_STEP_MAX_MS);
		}
		this.#sampledAt = now;
		return this.#quiet;
	}

	/** Resolves on `change`, after `ms`, or after one tick, whichever is first; then sample with {@link read}. */
	wait(change: ChangeSignal, ms: number): Promise<void> {
		return change.within(Math.min(Math.max(ms, 1), QUIET_TICK_MS));
	}
}

let runningAt = performance.now();
let running = 0;

/**
 * A process-wide clock in ms for deadlines that must not expire while this process was not
 * running: it advances with wall-clock time, but by at most {@link QUIET_STEP_MAX_MS} between two
 * readings (by anyone). Whoever waits for a deadline on it must read it at least every
 * {@link QUIET_TICK_MS} (wait in steps no longer than that), so that it keeps pace with wall-clock
 * time while the process runs.
 */
export function runningNow(): number {
	const now = performance.now();
	running += Math.min(now - runningAt, QUIET_STEP_MAX_MS);
	runningAt = now;
	return running;
}
