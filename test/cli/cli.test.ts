import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runStudioCli, spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";

describe("moq-studio command line (built)", () => {
	it("lists its commands with --help and exits 0", async () => {
		const r = await runStudioCli(["--help"]);
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/Usage: moq-studio <command>/);
		expect(r.stdout).toMatch(/\bweb\b/);
	});

	it("fails with one line and a non-zero code on bad input", async () => {
		const unknown = await runStudioCli(["explode"]);
		expect(unknown.code).not.toBe(0);
		expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
		const badPort = await runStudioCli(["web", "--port", "99999"]);
		expect(badPort.code).toBe(1);
		expect(badPort.stderr.trim()).toBe('moq-studio web: invalid port "99999" [INVALID_ARGUMENT]');
		const badFlag = await runStudioCli(["web", "--nope"]);
		expect(badFlag.code).toBe(2);
	});

	it("web prints one URL with the token and stops cleanly on SIGTERM", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "moq-studio-cli-"));
		const child = spawnStudioCli(["web", "--port", "0", "--relay-port", "0", "--data-dir", dataDir]);
		const relayLine = await waitForLine(child, /Embedded relay listening on http:\/\/127\.0\.0\.1:\d+\//);
		expect(relayLine).toMatch(/127\.0\.0\.1/);
		const line = await waitForLine(child, /open http:\/\/127\.0\.0\.1:\d+\/\?token=/);
		const url = new URL(line.slice(line.indexOf("http")));
		const page = await fetch(url);
		expect(page.status).toBe(200);
		expect(await page.text()).toContain("MoQ Studio");
		child.kill("SIGTERM");
		const r = await waitForExit(child);
		expect(r.code).toBe(0);
	});
});
