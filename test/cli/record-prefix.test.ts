/**
 * `moq-studio record --prefix P --out-dir DIR`, driven as a user would: the recorder waits on a
 * real relay, four `moq-studio publish` processes send a file each (three under the prefix, one
 * not), Ctrl+C ends the recorder; the folder holds three files, each with every packet of the
 * source bit for bit and a clean decode: each is recorded from its first group although its
 * publisher does not wait for a subscriber.
 */
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INITIAL_ANNOUNCE_MS } from "../../electron/engine/recordings/follow";
import type { RelayHandle } from "../../electron/engine/relay";
import { runStudioCli, spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-cli-prefix-"));
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

describe("moq-studio record --prefix", () => {
	it("refuses a mixed or incomplete command line with one line and a non-zero exit", async () => {
		const mixed = await runStudioCli(["record", "--url", relay.url, "--prefix", "a", "--out-dir", dir, "--broadcast", "a/b.hang"]);
		expect(mixed.code).not.toBe(0);
		expect(mixed.stderr).toMatch(/use one form/);
		const noDir = await runStudioCli(["record", "--url", relay.url, "--prefix", "a"]);
		expect(noDir.code).not.toBe(0);
		expect(noDir.stderr).toMatch(/--out-dir are required/);
		const format = await runStudioCli(["record", "--url", relay.url, "--prefix", "a", "--out-dir", dir, "--format", "webm"]);
		expect(format.code).not.toBe(0);
		expect(format.stderr).toMatch(/--format wants mp4 or mkv/);
	});

	it("records three matching broadcasts into three complete files, and not the fourth", { timeout: 120_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/source.mp4`, 3);
		const outDir = `${dir}/out`;
		const recorder = spawnStudioCli(["record", "--url", relay.url, "--prefix", "shows", "--out-dir", outDir, "--json"]);
		try {
			await waitForLine(recorder, /"event":"status","code":1/);
			await waitForLine(recorder, /"event":"rule"/);
			// Past the relay's initial announcements: these broadcasts are new to the recorder.
			await new Promise((r) => setTimeout(r, INITIAL_ANNOUNCE_MS + 250));
			const paths = ["shows/a.hang", "shows/b.hang", "shows/deep/c.hang", "other/d.hang"];
			// One after another: when several publisher processes end at the same moment, one of their
			// broadcasts now and then loses its last frames and its end at the recorder, with manual
			// recordings too (a relay/session issue, open), which is not what this test is about.
			const published = [];
			for (const path of paths) published.push(await waitForExit(spawnStudioCli(["publish", "--url", relay.url, "--broadcast", path, "--file", source]), 60_000));
			for (const p of published) expect(p.code, p.stderr).toBe(0);
			const deadline = Date.now() + 30_000;
			while (recorder.output.stdout.split("\n").filter((l) => l.includes('"event":"recorded"')).length < 3 && Date.now() < deadline) {
				await new Promise((r) => setTimeout(r, 100));
			}
			recorder.kill("SIGINT");
			const result = await waitForExit(recorder, 30_000);
			expect(result.code, result.stderr).toBe(0);
			const lines = result.stdout
				.trim()
				.split("\n")
				.map((l) => JSON.parse(l) as { event: string; path?: string; file?: string; reason?: string; recorded?: number });
			const recorded = lines.filter((l) => l.event === "recorded");
			expect(recorded.map((l) => l.path).sort()).toEqual(paths.slice(0, 3));
			expect(recorded.every((l) => l.reason === "ended")).toBe(true);
			expect(lines.find((l) => l.event === "done")).toMatchObject({ recorded: 3 });
			const files = (await readdir(outDir)).filter((f) => /\.(mp4|mkv)$/.test(f));
			expect(files.sort()).toEqual(recorded.map((l) => l.file!.slice(outDir.length + 1)).sort());
			for (const l of recorded) {
				for (const kind of ["v", "a"] as const) {
					const [src, rec] = await Promise.all([packetHashes(source, kind), packetHashes(l.file!, kind)]);
					expect(rec.length, `${l.path} ${kind} packets`).toBe(src.length);
					expect(rec).toEqual(src);
				}
				expect(await decodeErrors(l.file!)).toBe("");
			}
		} finally {
			recorder.kill("SIGKILL");
		}
	});
});
