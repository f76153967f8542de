/**
 * Small formatters for what the views show: rates, sizes, relative times, relay addresses.
 */

/** Bits per second in the units streamers read: `0 b/s`, `850 kb/s`, `6.2 Mb/s`. */
export function formatBitrate(bps: number): string {
	if (!Number.isFinite(bps) || bps <= 0) return "0 b/s";
	if (bps < 1_000) return `${Math.round(bps)} b/s`;
	if (bps < 1_000_000) return `${Math.round(bps / 1_000)} kb/s`;
	if (bps < 1_000_000_000) return `${(bps / 1_000_000).toFixed(bps < 10_000_000 ? 1 : 0)} Mb/s`;
	return `${(bps / 1_000_000_000).toFixed(1)} Gb/s`;
}

/** A byte count: `512 B`, `12.3 kB`, `4.1 MB`, `1.2 GB`. */
export function formatBytes(bytes: number): string {
	if (!Number.isFinite(bytes) || bytes <= 0) return "0 B";
	const units = ["B", "kB", "MB", "GB", "TB"];
	let v = bytes;
	let u = 0;
	while (v >= 1000 && u < units.length - 1) {
		v /= 1000;
		u++;
	}
	return `${u === 0 ? Math.round(v) : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** A duration in plain words, rounded to what matters: `4 s`, `3 min`, `2 h 5 min`, `3 d`. */
export function formatDuration(ms: number): string {
	const s = Math.max(0, Math.round(ms / 1000));
	if (s < 60) return `${s} s`;
	const m = Math.floor(s / 60);
	if (m < 60) return `${m} min`;
	const h = Math.floor(m / 60);
	if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
	return `${Math.floor(h / 24)} d`;
}

/** How long ago `at` was, relative to `now`: `just now`, `12 s ago`, `3 min ago`. */
export function formatAgo(at: number, now: number): string {
	const ms = now - at;
	if (ms < 1500) return "just now";
	return `${formatDuration(ms)} ago`;
}

/** Seconds left until `at` (never negative), rounded up, for countdowns. */
export function secondsUntil(at: number, now: number): number {
	return Math.max(0, Math.ceil((at - now) / 1000));
}


/** A relay URL as a short label: host and port, plus the path when there is one. */
export function relayLabel(url: string): string {
	try {
		const u = new URL(url);
		const path = u.pathname.replace(/\/+$/, "");
		return `${u.host}${path}`;
	} catch {
		return url;
	}
}

/** The time of day of `at`, for log lines: `14:03:27.120`. */
export function formatClock(at: number): string {
	const d = new Date(at);
	const p = (n: number, w = 2) => String(n).padStart(w, "0");
	return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
