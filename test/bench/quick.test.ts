/**
 * The quick variant of every engine benchmark (bench/*.ts run under Node), so `npm test` keeps
 * them working: each is bundled as the README says, run for a short stretch through its own
 * environment knobs, and must exit 0 with every frame delivered. A benchmark exits 1 by itself
 * when a run loses frames; the delivered counts are also read from its report here, so a
 * benchmark that stopped checking would still be caught. Timings are printed, never asserted:
 * the machine is shared. (The soak's quick variant is test/media/long-show.test.ts; the UI flood
 * benchmark's is in test/ui/broadcasts-flood.test.ts.)
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

// Inside node_modules so the bundle's external packages resolve from the project's node_modules,
// and outside out/, which `npm run build` may rewrite while this runs.
let dir: string;
beforeAll(async () => {
	await mkdir(resolve("node_modules/.cache"), { recursive: true });
	dir = await mkdtemp(resolve("node_modules/.cache/moq-bench-quick-"));
});
afterAll(async () => {
	if (dir) await rm(dir, { recursive: true, force: true });
});

/** Bundles bench/<name>.ts and runs it with `env`; resolves with its exit code and output. */
async function runBench(name: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
	const outfile = join(dir, `${name}.mjs`);
	await build({ entryPoints: [`bench/${name}.ts`], bundle: true, platform: "node", format: "esm", packages: "external", outfile, logLevel: "error" });
	try {
		const { stdout, stderr } = await run(process.execPath, [outfile], { env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
		return { code: 0, stdout, stderr };
	} catch (err) {
		const e = err as { code?: number; stdout?: string; stderr?: string };
		return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
	}
}

/** `delivered/expected` of every report row whose first word is one of `labels`. */
function deliveries(stdout: string, labels: string[]): { label: string; delivered: number; expected: number }[] {
	const out: { label: string; delivered: number; expected: number }[] = [];
	for (const line of stdout.split("\n")) {
		const label = line.split(/\s+/)[0] ?? "";
		const m = /\s(\d+)\/(\d+)\s/.exec(line);
		if (labels.includes(label) && m) out.push({ label, delivered: Number(m[1]), expected: Number(m[2]) });
	}
	return out;
}

function expectComplete(rows: { delivered: number; expected: number }[], report: string): void {
	expect(rows.length, report).toBeGreaterThan(0);
	for (const r of rows) {
		expect(r.expected, report).toBeGreaterThan(0);
		expect(r.delivered, report).toBe(r.expected);
	}
}

describe("benchmarks, quick variants", () => {
	it("golive-latency delivers every frame on both paths", { timeout: 240_000 }, async () => {
		const r = await runBench("golive-latency", { BENCH_SECONDS: "2", BENCH_ROUNDS: "1", BENCH_WARMUP_SECONDS: "2", BENCH_RES: "720" });
		const report = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
		expect(r.code, report).toBe(0);
		const rows = deliveries(r.stdout, ["floor", "studio"]);
		expect(new Set(rows.map((row) => row.label)), report).toEqual(new Set(["floor", "studio"]));
		expectComplete(rows, report);
		expect(r.stdout).toMatch(/ratio studio\/floor: p50 /);
	});

	it("relay-fanout delivers every frame to every subscriber", { timeout: 240_000 }, async () => {
		const r = await runBench("relay-fanout", { BENCH_SECONDS: "1", BENCH_N: "2" });
		const report = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
		expect(r.code, report).toBe(0);
		const rows = deliveries(r.stdout, ["floor", "relay-default", "relay-tuned"]);
		expect(rows.map((row) => row.label), report).toEqual(["floor", "relay-default", "relay-tuned"]);
		expectComplete(rows, report);
	});

	it("record-throughput records every packet", { timeout: 240_000 }, async () => {
		const r = await runBench("record-throughput", { BENCH_SECONDS: "4", BENCH_MBPS: "4" });
		const report = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
		expect(r.code, report).toBe(0);
		const m = /(\d+) of (\d+) packets/.exec(r.stdout);
		expect(m, report).not.toBeNull();
		expectComplete([{ delivered: Number(m![1]), expected: Number(m![2]) }], report);
		expect(r.stdout).toMatch(/recorder \/ floor: wall x/);
	});
});
