/**
 * The quick variant of every engine benchmark (bench/*.ts run under Node), so `npm test` keeps
 * them working: each is bundled as the README says, run for a short stretch through its own
 * environment knobs, and must exit 0 with every frame delivered. A benchmark exits 1 by itself
 * when a run loses frames; the delivered counts are also read from its report here, so a
 * benchmark that stopped checking would still be caught. Timings are printed, never asserted:
 * the machine is shared. (The soak's quick variant is test/media/long-show.test.ts; the UI flood
 * benchmark's is in test/ui/broadcasts-flood.test.ts.) monitor-tiles drives the built renderer
 * in Chromium (`npm run build` first, as `npm test` does) and the `<moq-watch>` fixture;
 * compositor-program drives the built renderer's Scenes and Go Live too.
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
		// Killed before the test's own timeout, so a benchmark that hangs still reports what it printed.
		const { stdout, stderr } = await run(process.execPath, [outfile], { env: { ...process.env, ...env }, maxBuffer: 16 << 20, timeout: 170_000 });
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

	it("relay-throughput delivers every large frame through the relay and prints its ratio to the forwarder", { timeout: 240_000 }, async () => {
		const r = await runBench("relay-throughput", { BENCH_MB: "24", BENCH_ROUNDS: "1", BENCH_GROUP_FRAMES: "12" });
		const report = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
		expect(r.code, report).toBe(0);
		const rows = deliveries(r.stdout, ["floor", "relay"]);
		expect(rows.map((row) => row.label), report).toEqual(["floor", "relay"]);
		expectComplete(rows, report);
		expect(r.stdout).toMatch(/ratio relay\/floor \(best rounds\): /);
	});

	it("record-throughput records every packet", { timeout: 240_000 }, async () => {
		// One warm-up and one round: enough to check every packet is recorded, short beside the full run.
		const r = await runBench("record-throughput", { BENCH_SECONDS: "4", BENCH_MBPS: "4", BENCH_WARMUP_PASSES: "1", BENCH_ROUNDS: "1" });
		const report = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
		expect(r.code, report).toBe(0);
		const m = /(\d+) of (\d+) packets/.exec(r.stdout);
		expect(m, report).not.toBeNull();
		expectComplete([{ delivered: Number(m![1]), expected: Number(m![2]) }], report);
		expect(r.stdout).toMatch(/recorder \/ floor: wall x/);
	});

	it("monitor-tiles plays one tile in the studio's Monitor and in <moq-watch>, skipping nothing", { timeout: 240_000 }, async () => {
		const r = await runBench("monitor-tiles", { BENCH_TILES: "1", BENCH_SECONDS: "3", BENCH_WARMUP_SECONDS: "2", BENCH_IDLE_SECONDS: "2", BENCH_RES: "180" });
		const report = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
		expect(r.code, report).toBe(0);
		// Rows: "tiles variant engine% chromium% total% | per tile | fps/tile | p50 p99 (n) | skipped groups frames waitedOut errors | decoded painted".
		const rows = r.stdout
			.split("\n")
			.filter((l) => /^\s+1 (studio|anchor)\s/.test(l))
			.map((l) => {
				const cells = l.split("|").map((c) => c.trim().split(/\s+/));
				return { variant: cells[0]![1], cpu: Number(cells[0]![4]), fps: Number(cells[2]![0]), delay: cells[3]!, skips: cells[4]!, decoded: Number(cells[5]![0]) };
			});
		expect(rows.map((row) => row.variant), report).toEqual(["studio", "anchor", "anchor", "studio"]);
		for (const row of rows) {
			// Sane, non-empty numbers: CPU was measured and frames were shown; wall-clock figures are not asserted.
			expect(row.cpu, report).toBeGreaterThan(0);
			expect(row.fps, report).toBeGreaterThan(0);
			expect(row.decoded, report).toBeGreaterThan(0);
			if (row.variant !== "studio") continue;
			// Arrival-to-paint delays were taken for painted frames (p50 and p99 are numbers, n > 0).
			expect(Number(row.delay[0]), report).not.toBeNaN();
			expect(Number(row.delay[1]), report).not.toBeNaN();
			expect(Number(/\((\d+)\)/.exec(row.delay.join(" "))?.[1]), report).toBeGreaterThan(0);
			// One small tile: the engine skipped nothing, the worker waited out nothing, no decode error.
			expect(row.skips.map(Number), report).toEqual([0, 0, 0, 0]);
		}
		expect(r.stdout, report).toMatch(/1 tile\(s\): studio [\d.]+% anchor [\d.]+% ratio [\d.]+x/);
	});

	it("golive-simulcast encodes one and three renditions (one worker, and a worker each) from the fake camera", { timeout: 180_000 }, async () => {
		const r = await runBench("golive-simulcast", { BENCH_SECONDS: "2", BENCH_WARMUP_SECONDS: "1", BENCH_WIDTH: "640", BENCH_HEIGHT: "360" });
		const report = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
		expect(r.code, report).toBe(0);
		// Rows: "variant cpu% over-floor% | fps per rendition | skipped per rendition".
		const fps = (variant: string) =>
			r.stdout
				.split("\n")
				.find((l) => l.startsWith(`${variant} `))
				?.split("|")[1]
				?.trim()
				.split(/\s+/)
				.map(Number);
		expect(fps("one"), report).toHaveLength(1);
		expect(fps("three-1w"), report).toHaveLength(3);
		expect(fps("three-3w"), report).toHaveLength(3);
		for (const v of ["one", "three-1w", "three-3w"]) for (const f of fps(v) ?? []) expect(f, report).toBeGreaterThan(0);
		expect(r.stdout, report).toMatch(/ratio three-1w\/one \(over the floor\) [\d.]+/);
		expect(r.stdout, report).toMatch(/ratio three-3w\/three-1w \(over the floor\) [\d.]+/);
	});

	it("compositor-program draws the camera alone, three sources and studio mode, and encodes the program as one and two renditions", { timeout: 240_000 }, async () => {
		const r = await runBench("compositor-program", { BENCH_SECONDS: "2", BENCH_WARMUP_SECONDS: "1" });
		const report = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
		expect(r.code, report).toBe(0);
		const row = (variant: string) => r.stdout.split("\n").find((l) => l.startsWith(`${variant} `));
		// Drawing rows: "variant fps late draw-p50ms draw-p99ms (worst) chromium-cpu%": frames drawn, times and CPU measured.
		for (const v of ["floor", "three", "studio"]) {
			const cells = row(v)?.trim().split(/\s+/) ?? [];
			expect(Number(cells[1]), report).toBeGreaterThan(0);
			expect(Number(cells[3]), report).toBeGreaterThan(0);
			expect(Number(cells[4]), report).toBeGreaterThanOrEqual(Number(cells[3]));
			expect(Number(cells.at(-1)), report).toBeGreaterThan(0);
		}
		expect(r.stdout, report).toMatch(/ratio three\/floor: draw p50 [\d.]+ p99 [\d.]+ cpu [\d.]+/);
		expect(r.stdout, report).toMatch(/ratio studio\/three \(.*\): draw p50 [\d.]+ p99 [\d.]+ cpu [\d.]+/);
		// Encoding rows: "variant chromium% engine% total% program-fps late | encoded fps per rendition | skipped | dropped".
		const encoded = (v: string) => row(v)?.split("|")[1]?.trim().split(/\s+/).map(Number);
		expect(encoded("one"), report).toHaveLength(1);
		expect(encoded("two"), report).toHaveLength(2);
		for (const v of ["one", "two"]) for (const f of encoded(v) ?? []) expect(f, report).toBeGreaterThan(0);
		expect(r.stdout, report).toMatch(/encode cost: one rendition -?\d+% of a core over idle, the extra rendition -?\d+%; ratio extra\/one -?[\d.]+/);
		expect(r.stdout, report).toMatch(/goal \(720p30, two renditions: .*\): (met|NOT met)/);
	});
});
