/**
 * `moq-studio record` leaves the same sidecar as the app's recordings, so the library lists a
 * file recorded on a headless node fully: the broadcast recorded, the relay (without its token)
 * and the start time. Runs the built CLI (`npm run build`) against a real relay.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { Studio } from "../../electron/engine/studio";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { makeH264Mp4, tempDir } from "../media/media-helpers";

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-cli-sidecar-"));
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

it("a CLI recording is listed with its source broadcast, relay and start time", { timeout: 60_000 }, async () => {
	const source = await makeH264Mp4(`${dir}/show.mp4`, 2);
	const folder = `${dir}/node`;
	const before = Date.now();
	const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", "node/show.hang", "--out", `${folder}/show.mp4`, "--duration", "1", "--token", "secret-token-123", "--json"]);
	const publisher = spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "node/show.hang", "--file", source, "--loop"]);
	try {
		await waitForLine(recorder, /"event":"status"/);
		const done = await waitForExit(recorder, 40_000);
		expect(done.code, done.stderr).toBe(0);
	} finally {
		recorder.kill("SIGKILL");
		publisher.kill("SIGKILL");
	}
	const text = await readFile(`${folder}/show.mp4.json`, "utf8");
	expect(text).not.toMatch(/secret-token-123|jwt/);

	const studio = new Studio({ host: "web", recordingsDir: folder });
	try {
		const { files } = await studio.handlers["recordings.library"]({});
		expect(files.map((f) => f.name)).toEqual(["show.mp4"]);
		const f = files[0]!;
		expect(f).toMatchObject({ state: "complete", source: { path: "node/show.hang", originName: null, relay: expect.stringMatching(/^https?:\/\/127\.0\.0\.1:\d+/) } });
		expect(f.startedAt).toBeGreaterThanOrEqual(before);
		expect(f.startedAt).toBeLessThanOrEqual(Date.now());
	} finally {
		await studio.close();
	}
});

it("`record --segment-mb` rotates into complete files, each with its sidecar", { timeout: 60_000 }, async () => {
	const source = await makeH264Mp4(`${dir}/seg.mp4`, 4);
	const folder = `${dir}/segments`;
	const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", "node/seg.hang", "--out", `${folder}/seg.mp4`, "--duration", "3", "--segment-mb", "0.02", "--json"]);
	const publisher = spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "node/seg.hang", "--file", source, "--loop"]);
	let done;
	try {
		await waitForLine(recorder, /"event":"status"/);
		done = await waitForExit(recorder, 40_000);
		expect(done.code, done.stderr).toBe(0);
	} finally {
		recorder.kill("SIGKILL");
		publisher.kill("SIGKILL");
	}
	const summary = JSON.parse(done.stdout.split("\n").find((l) => l.includes('"event":"done"'))!) as { event: string; path: string; segments: string[] };
	expect(summary.event).toBe("done");
	expect(summary.segments.length).toBeGreaterThanOrEqual(2);
	expect(summary.path).toBe(summary.segments.at(-1));
	for (const s of summary.segments) expect(s).toMatch(/\/seg-\d{8}-\d{6}(-\d+)?\.mp4$/);
	const studio = new Studio({ host: "web", recordingsDir: folder });
	try {
		const { files } = await studio.handlers["recordings.library"]({});
		expect(files.map((f) => f.file).sort()).toEqual([...summary.segments].sort());
		for (const f of files) expect(f).toMatchObject({ state: "complete", problem: null, source: { path: "node/seg.hang" } });
	} finally {
		await studio.close();
	}
});
