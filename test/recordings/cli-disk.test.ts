/**
 * `moq-studio record --min-free-mb`: on a small tmpfs a recording node refuses to start below
 * the minimum, and one that runs stops cleanly when the disk fills below it: exit 1 with the
 * words "disk space low", a `done` line saying `disk-low`, and a complete file that decodes
 * without an error (the library lists it complete). Runs the built CLI against a real relay.
 * Mounting a tmpfs needs root (CAP_SYS_ADMIN); elsewhere the test is skipped, saying why.
 */
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { INITIAL_ANNOUNCE_MS } from "../../electron/engine/recordings/follow";
import { Studio } from "../../electron/engine/studio";
import { runStudioCli, spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { mountTmpfs, type Tmpfs } from "../helpers/tmpfs";
import { decodeErrors, ffmpeg, tempDir } from "../media/media-helpers";


let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle | undefined;
let tmpfs: Tmpfs;
let disk: string | undefined;
let why = "";

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-cli-disk-"));
	tmpfs = await mountTmpfs(`${dir}/disk`, "5m");
	disk = tmpfs.path;
	if (tmpfs.path === undefined) {
		why = tmpfs.why;
		return;
	}
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
	if (tmpfs?.path !== undefined) await tmpfs.unmount();
	await remove?.();
});

it("refuses to start below --min-free-mb and stops cleanly with a complete file when the disk fills", { timeout: 90_000 }, async (ctx) => {
	if (!disk || !relay) return ctx.skip(why);
	const refused = await runStudioCli(["record", "--url", relay.url, "--broadcast", "t/big.hang", "--out", `${disk}/no.mp4`, "--min-free-mb", "100"]);
	expect(refused.code).toBe(1);
	expect(refused.stderr).toMatch(/disk space low: .* MB free in .*disk, below the 100 MB minimum; a recording cannot start.*\[IO\]/);
	expect(await readdir(disk)).toEqual([]);

	const source = `${dir}/big.mp4`;
	await ffmpeg([
		"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "6",
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "4M", "-g", "30", "-pix_fmt", "yuv420p",
		"-c:a", "libopus", "-b:a", "64k",
		source,
	]);
	const out = `${disk}/rec.mp4`;
	const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", "t/big.hang", "--out", out, "--min-free-mb", "2", "--json"]);
	let publisher: ReturnType<typeof spawnStudioCli> | undefined;
	try {
		await waitForLine(recorder, /"event":"status"/);
		await new Promise((r) => setTimeout(r, INITIAL_ANNOUNCE_MS + 250));
		publisher = spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "t/big.hang", "--file", source, "--loop"]);
		const done = await waitForExit(recorder, 60_000);
		expect(done.code, `${done.stdout}${done.stderr}`).toBe(1);
		expect(done.stderr).toMatch(/disk space low: .* below the 2\.0 MB minimum; the recording was stopped and its file completed.*\[IO\]/);
		const line = JSON.parse(done.stdout.split("\n").find((l) => l.includes('"event":"done"'))!) as { reason: string; path: string; durationS: number };
		expect(line).toMatchObject({ reason: "disk-low", path: out });
		expect(line.durationS).toBeGreaterThan(1);
	} finally {
		recorder.kill("SIGKILL");
		publisher?.kill("SIGKILL");
	}
	expect(await decodeErrors(out)).toBe("");
	const studio = new Studio({ host: "web", recordingsDir: disk });
	try {
		const { files } = await studio.handlers["recordings.library"]({});
		expect(files.map((f) => [f.name, f.state, f.problem])).toEqual([["rec.mp4", "complete", null]]);
		expect(files[0]!.source).toMatchObject({ path: "t/big.hang" });
	} finally {
		await studio.close();
	}
});
