import { expect, it } from "vitest";
import { type HeapReport, heapReport, startHeapReport } from "./heap-report";

it("is off unless given a period of at least 100 ms", () => {
	for (const value of [undefined, "", "abc", "50", "-1", "Infinity"]) expect(startHeapReport(value, () => undefined)).toBeUndefined();
});

it("prints one heap JSON line per period until stopped", async () => {
	const lines: string[] = [];
	const stop = startHeapReport("100", (line) => lines.push(line));
	expect(stop).toBeTypeOf("function");
	while (lines.length < 2) await new Promise((r) => setTimeout(r, 20));
	stop?.();
	const seen = lines.length;
	const report = JSON.parse(lines[0] as string) as HeapReport;
	expect(report.event).toBe("heap");
	expect(report.usedBytes).toBeGreaterThan(0);
	expect(report.totalBytes).toBeGreaterThanOrEqual(report.usedBytes);
	expect(report.rssBytes).toBeGreaterThan(0);
	// This worker has no --expose-gc: the report says so instead of claiming a collection.
	expect(report.afterGc).toBe(false);
	expect((JSON.parse(lines[1] as string) as HeapReport).uptimeMs).toBeGreaterThan(report.uptimeMs);
	await new Promise((r) => setTimeout(r, 300));
	expect(lines.length).toBe(seen);
});

it("collects first when gc is exposed", () => {
	const g = globalThis as { gc?: () => void };
	const saved = g.gc;
	let collections = 0;
	g.gc = () => void collections++;
	try {
		expect(heapReport(0, 5).afterGc).toBe(true);
		expect(collections).toBe(1);
	} finally {
		g.gc = saved;
	}
});
