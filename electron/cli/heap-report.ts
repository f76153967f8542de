/**
 * Periodic heap reports for soak tests and leak hunts (issue 18), off unless asked for.
 *
 * `MOQ_STUDIO_HEAP_REPORT=<ms>` makes the CLI print, every `<ms>` milliseconds, one line on stderr:
 * `{"event":"heap","usedBytes":N,"totalBytes":N,"rssBytes":N,"afterGc":true|false,"uptimeMs":N}`.
 * With `node --expose-gc` the numbers are taken right after a full collection (`afterGc: true`),
 * so they measure what is retained rather than what the collector has not reached yet.
 */
/** One heap report line, as printed (JSON) on stderr. */
export interface HeapReport {
	event: "heap";
	/** V8 heap in use, in bytes. */
	usedBytes: number;
	/** V8 heap reserved, in bytes. */
	totalBytes: number;
	/** Resident set size of the process, in bytes. */
	rssBytes: number;
	/** True when a full GC ran right before the measurement (the process has `--expose-gc`). */
	afterGc: boolean;
	/** Milliseconds since the report started. */
	uptimeMs: number;
}

/** Smallest accepted period: a full GC is not free, and a busier cadence would skew what it measures. */
const MIN_PERIOD_MS = 100;

/** Takes one report now (collecting first when `gc` is exposed). */
export function heapReport(startedAt: number, now = Date.now()): HeapReport {
	const gc = (globalThis as { gc?: () => void }).gc;
	gc?.();
	// The same numbers as node:v8 getHeapStatistics() (used_heap_size, total_heap_size), without
	// loading node:v8 into every CLI start: this module is loaded even when reports are off.
	const mem = process.memoryUsage();
	return {
		event: "heap",
		usedBytes: mem.heapUsed,
		totalBytes: mem.heapTotal,
		rssBytes: mem.rss,
		afterGc: gc !== undefined,
		uptimeMs: now - startedAt,
	};
}

/**
 * Starts reporting when `value` (the env variable) is a period in ms of at least 100; returns a
 * stop function, or `undefined` when reporting is off. The timer never keeps the process alive.
 */
export function startHeapReport(value: string | undefined, write: (line: string) => void): (() => void) | undefined {
	const period = Number(value);
	if (!value || !Number.isFinite(period) || period < MIN_PERIOD_MS) return undefined;
	const startedAt = Date.now();
	const timer = setInterval(() => write(JSON.stringify(heapReport(startedAt))), period);
	timer.unref();
	return () => clearInterval(timer);
}
