/**
 * The quick variant of bench/cli-startup.ts (run by `npm test`, after `npm run build`): two
 * rounds of `moq-studio relay` and `--help` against the node-plus-ws floor, and two relay
 * restarts under a live studio publisher and consumer. Times are printed, never asserted (the
 * machine is shared); the report must carry every figure, and every restart must bring frames
 * back to the consumer (the bench exits non-zero when one does not).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
	// Inside node_modules so the bundle's external packages resolve from the project's.
	await mkdir(resolve("node_modules/.cache"), { recursive: true });
	dir = await mkdtemp(resolve("node_modules/.cache/moq-bench-cli-"));
});
afterAll(async () => {
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe("cli-startup benchmark, quick variant", () => {
	it("prints relay and --help start-up ratios and the first frame after each relay restart", { timeout: 180_000 }, async () => {
		const outfile = join(dir, "cli-startup.mjs");
		await build({ entryPoints: ["bench/cli-startup.ts"], bundle: true, platform: "node", format: "esm", packages: "external", outfile, logLevel: "error" });
		const { stdout } = await run(process.execPath, [outfile], { env: { ...process.env, BENCH_ROUNDS: "2", BENCH_RESTARTS: "2" }, maxBuffer: 16 << 20 });
		expect(stdout).toMatch(/^floor\s+node -e ws listener\s+\d+ ms$/m);
		expect(stdout).toMatch(/^relay\s+moq-studio relay\s+\d+ ms\s+ratio relay\/floor \d+\.\d\d/m);
		expect(stdout).toMatch(/^help\s+moq-studio --help\s+\d+ ms\s+ratio help\/floor \d+\.\d\d/m);
		expect(stdout).toMatch(/^restart p50 \d+ ms\s+p95 \d+ ms\s+max \d+ ms/m);
	});
});
