/**
 * CPU time of this process's descendants (Chromium and its helpers, relay children), read from
 * /proc: the benchmarks that drive a browser charge its processes to the variant they measure.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ on Linux). */
export const CLK_TCK = 100;

/** utime+stime (clock ticks) of every descendant of this process, keyed by pid and start time. */
export function childTicks(): Map<string, number> {
	const parent = new Map<number, number>();
	const ticks = new Map<number, [string, number]>();
	for (const name of readdirSync("/proc")) {
		if (!/^\d+$/.test(name)) continue;
		try {
			const stat = readFileSync(`/proc/${name}/stat`, "utf8");
			const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
			parent.set(Number(name), Number(rest[1]));
			ticks.set(Number(name), [`${name}:${rest[19]}`, Number(rest[11]) + Number(rest[12])]);
		} catch {
			// ended while listing
		}
	}
	const out = new Map<string, number>();
	for (const [pid, [key, t]] of ticks) {
		let p = parent.get(pid);
		for (let depth = 0; p !== undefined && p > 1 && depth < 16; depth++, p = parent.get(p)) {
			if (p === process.pid) {
				out.set(key, t);
				break;
			}
		}
	}
	return out;
}
