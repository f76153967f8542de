/**
 * The recordings library through the contract: a file recorded by the engine from a real file
 * publication is listed after the engine restarts on the same folder, with what ffprobe says it
 * holds; cut copies list as interrupted; rename and delete stay inside the folder and refuse what
 * would lose something (a running recording, an existing name).
 */
import { copyFile, open, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../shared/errors";
import type { LibraryListing } from "../../shared/recordings";
import { dispatch } from "../../electron/engine/dispatch";
import type { Handlers } from "../../electron/engine/dispatch";
import { Studio } from "../../electron/engine/studio";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { quietLibraryLogs, until } from "../relay/clients";
import { bundleEntry, spawnNode } from "../media/child-process";
import { decodeErrors, makeH264Mp4, makeVp9Webm, probeStreams, tempDir } from "../media/media-helpers";

quietLibraryLogs();
const run = promisify(execFile);

let dir: string;
let recordings: string;
let remove: () => Promise<void>;
let t: TestStudio | undefined;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-library-"));
	recordings = `${dir}/recordings`;
});
afterAll(async () => {
	await t?.close();
	await remove?.();
});

async function call<T>(handlers: Handlers, method: Parameters<typeof dispatch>[1], args: unknown): Promise<T> {
	const res = await dispatch(handlers, method, args);
	if (!res.ok) throw new Error(`${String(method)}: ${res.error.name}: ${res.error.message}`);
	return res.result as T;
}

async function errorOf(handlers: Handlers, method: Parameters<typeof dispatch>[1], args: unknown): Promise<number | undefined> {
	const res = await dispatch(handlers, method, args);
	return res.ok ? undefined : res.error.code;
}

const library = (handlers: Handlers) => call<LibraryListing>(handlers, "recordings.library", {});

async function ffprobeDuration(path: string): Promise<number> {
	const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path]);
	return Number(stdout.trim());
}

describe("the recordings library", () => {
	it("lists a recording while it is written, refuses to delete or rename it, and lists it complete after a restart", { timeout: 90_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/show.mp4`, 3);
		t = await startTestStudio({ embeddedRelay: true, recordingsDir: recordings });
		const h = t.studio.handlers;
		expect((await library(h)).files).toEqual([]);
		const changes: unknown[] = [];
		t.studio.events.listen((event, payload) => {
			if (event === "recordings.library.changed") changes.push(payload);
		});
		const originId = t.studio.origins.list().find((o) => o.name === "studio")!.id;
		await call(h, "publishing.start", { originId, path: "lib/show.hang", file: source, loop: true });
		const rec = await call<{ id: string }>(h, "recordings.start", { originId, path: "lib/show.hang", fileName: "show.mp4", durationS: 4 });
		await call(h, "recordings.start", { originId, path: "lib/show.hang", fileName: "show.mkv", format: "mkv", durationS: 4 });

		await until(() => t!.studio.recordings.activeFiles().size === 2, 20_000, "files created");
		await until(() => changes.length > 0, 5_000, "library.changed on start");
		const live = (await library(h)).files;
		expect(live.map((f) => f.name).sort()).toEqual(["show.mkv", "show.mp4"]);
		expect(live.find((f) => f.name === "show.mp4")).toMatchObject({ state: "recording", recordingId: rec.id, format: "mp4" });
		expect(live.find((f) => f.name === "show.mkv")).toMatchObject({ state: "recording", format: "mkv" });
		expect(await errorOf(h, "recordings.delete", { name: "show.mp4" })).toBe(ErrorCode.INVALID_ARGUMENT);
		expect(await errorOf(h, "recordings.rename", { name: "show.mp4", newName: "other" })).toBe(ErrorCode.INVALID_ARGUMENT);

		await until(() => t!.studio.recordings.list().every((r) => r.state === "finished"), 30_000, "recordings finished");
		const changesBefore = changes.length;
		await until(() => changes.length > changesBefore || t!.studio.recordings.activeFiles().size === 0, 5_000, "library.changed on finish");
		await t.close();
		t = undefined;

		// A new engine on the same folder: nothing of the old run is in memory.
		t = await startTestStudio({ embeddedRelay: true, recordingsDir: recordings });
		const files = (await library(t.studio.handlers)).files;
		expect(files.map((x) => x.name).sort()).toEqual(["show.mkv", "show.mp4"]);
		const f = files.find((x) => x.name === "show.mp4")!;
		const file = `${recordings}/show.mp4`;
		expect(f).toMatchObject({ name: "show.mp4", file, state: "complete", recordingId: null, problem: null, bytes: (await stat(file)).size });
		expect(f.tracks).toEqual([
			{ kind: "video", codec: "avc", width: 320, height: 240 },
			{ kind: "audio", codec: "opus", width: null, height: null },
		]);
		expect(f.durationS).not.toBeNull();
		expect(Math.abs(f.durationS! - (await ffprobeDuration(file)))).toBeLessThan(0.1);
		expect(f.source).toMatchObject({ originId, originName: "studio", path: "lib/show.hang" });
		expect(f.source!.relay).toMatch(/^https?:\/\/127\.0\.0\.1:\d+/);
		expect(f.source!.relay).not.toMatch(/jwt|token/i);
		expect(f.startedAt).toEqual(expect.any(Number));
		expect(await decodeErrors(file)).toBe("");

		const mkv = files.find((x) => x.name === "show.mkv")!;
		expect(mkv).toMatchObject({ format: "mkv", state: "complete", problem: null, source: { path: "lib/show.hang" } });
		expect(mkv.tracks.map((x) => `${x.kind} ${x.codec}`)).toEqual(["video avc", "audio opus"]);
		expect(Math.abs(mkv.durationS! - (await ffprobeDuration(`${recordings}/show.mkv`)))).toBeLessThan(0.1);
	});

	it("lists a copy without its final index, and one cut mid-fragment, as interrupted", { timeout: 30_000 }, async () => {
		const h = t!.studio.handlers;
		const file = `${recordings}/show.mp4`;
		const bytes = await readFile(file);
		// The last box is the mfra index; its last 4 bytes (mfro) give its size.
		expect(bytes.toString("latin1", bytes.length - 12, bytes.length - 8)).toBe("mfro");
		const mfraSize = bytes.readUInt32BE(bytes.length - 4);
		await writeFile(`${recordings}/noindex.mp4`, bytes.subarray(0, bytes.length - mfraSize));
		await writeFile(`${recordings}/cut.mp4`, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
		await writeFile(`${recordings}/notes.txt`, "not a recording");
		// Matroska: a copy cut short, and one whose Segment size is still the head's alone, as
		// mediabunny leaves it until it finalizes (the size field follows the 4-byte Segment id).
		const mkv = await readFile(`${recordings}/show.mkv`);
		await writeFile(`${recordings}/cut.mkv`, mkv.subarray(0, Math.floor(mkv.length * 0.6)));
		const segment = mkv.indexOf(Buffer.from([0x18, 0x53, 0x80, 0x67]));
		expect(mkv[segment + 4]).toBe(0x04); // a 6-byte size, as mediabunny writes it
		const unfinished = Buffer.from(mkv);
		unfinished.writeUIntBE(0x0400_0000_0200, segment + 4, 6); // 512 bytes: the head only
		await writeFile(`${recordings}/unfinished.mkv`, unfinished);
		// A WebM made elsewhere (ffmpeg), complete and without a sidecar.
		await makeVp9Webm(`${recordings}/other.webm`, 1);

		const byName = Object.fromEntries((await library(h)).files.map((f) => [f.name, f]));
		expect(Object.keys(byName).sort()).toEqual(["cut.mkv", "cut.mp4", "noindex.mp4", "other.webm", "show.mkv", "show.mp4", "unfinished.mkv"]);
		expect(byName["cut.mkv"]).toMatchObject({ state: "interrupted", problem: expect.stringMatching(/ends before its segment/) });
		expect(byName["unfinished.mkv"]).toMatchObject({ state: "interrupted", problem: expect.stringMatching(/not finished/) });
		expect(byName["other.webm"]).toMatchObject({ format: "webm", state: "complete", source: null, problem: null });
		expect(byName["other.webm"]!.tracks).toEqual([
			{ kind: "video", codec: "vp9", width: 320, height: 240 },
			{ kind: "audio", codec: "opus", width: null, height: null },
		]);
		expect(byName["noindex.mp4"]).toMatchObject({ state: "interrupted", source: null, problem: expect.stringMatching(/final index/) });
		expect(byName["noindex.mp4"]!.tracks.map((x) => x.kind)).toEqual(["video", "audio"]);
		expect(byName["cut.mp4"]).toMatchObject({ state: "interrupted", problem: expect.stringMatching(/mid-fragment/) });
		expect(byName["show.mp4"]!.state).toBe("complete");
		for (const name of ["cut.mkv", "unfinished.mkv", "other.webm", "show.mkv"]) await call(h, "recordings.delete", { name });
	});

	it("lists a recording cut by a crash (SIGKILL) as interrupted, with what it holds", { timeout: 60_000 }, async () => {
		const [script, source] = await Promise.all([bundleEntry("test/media/fixtures/record-child.ts"), makeH264Mp4(`${dir}/crash-src.mp4`, 2)]);
		const child = spawnNode(script, [source, recordings]);
		let path: string | undefined;
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no progress: ${child.output.stderr}`)), 20_000);
			child.stdout.on("data", () => {
				const lines = child.output.stdout.trim().split("\n");
				const last = JSON.parse(lines[lines.length - 1]!) as { path?: string; durationS: number };
				path = last.path;
				if (last.durationS >= 2.5) {
					clearTimeout(timer);
					resolve();
				}
			});
			child.once("exit", () => reject(new Error(`child exited early: ${child.output.stderr}`)));
		});
		child.kill("SIGKILL");
		await new Promise((resolve) => child.once("exit", resolve));
		const name = path!.slice(path!.lastIndexOf("/") + 1);

		const crashed = (await library(t!.studio.handlers)).files.find((f) => f.name === name);
		expect(crashed).toMatchObject({ state: "interrupted", source: null, problem: expect.stringMatching(/not finished|mid-fragment/) });
		expect(crashed!.tracks.map((x) => `${x.kind} ${x.codec}`)).toEqual(["video avc", "audio opus"]);
		// What the library says it holds is what ffprobe reads from it.
		const streams = await probeStreams(path!);
		expect(streams.map((x) => x.codec)).toEqual(["h264", "opus"]);
		expect(crashed!.durationS).toBeGreaterThan(0);
		await call(t!.studio.handlers, "recordings.delete", { name });
	});

	it("renames inside the folder with the sidecar, and refuses what would escape or overwrite", { timeout: 30_000 }, async () => {
		const h = t!.studio.handlers;
		const changes: unknown[] = [];
		const stop = t!.studio.events.listen((event, payload) => {
			if (event === "recordings.library.changed") changes.push(payload);
		});
		const renamed = await call<{ name: string; source: unknown; state: string }>(h, "recordings.rename", { name: "show.mp4", newName: "Friday show" });
		expect(renamed).toMatchObject({ name: "Friday show.mp4", state: "complete", source: { path: "lib/show.hang" } });
		expect(changes).toContainEqual({ name: "Friday show.mp4" });
		const names = await readdir(recordings);
		expect(names).toContain("Friday show.mp4.json");
		expect(names).not.toContain("show.mp4");
		expect(names).not.toContain("show.mp4.json");
		// The extension may be given; another format's may not.
		expect(await call<{ name: string }>(h, "recordings.rename", { name: "Friday show.mp4", newName: "friday.mp4" })).toMatchObject({ name: "friday.mp4" });

		const cutBefore = await readFile(`${recordings}/cut.mp4`);
		expect(await errorOf(h, "recordings.rename", { name: "friday.mp4", newName: "cut.mp4" })).toBe(ErrorCode.ALREADY_EXISTS);
		expect(await errorOf(h, "recordings.rename", { name: "friday.mp4", newName: "cut" })).toBe(ErrorCode.ALREADY_EXISTS);
		expect(await readFile(`${recordings}/cut.mp4`)).toEqual(cutBefore);
		expect(await errorOf(h, "recordings.rename", { name: "friday.mp4", newName: "../escaped" })).toBe(ErrorCode.FORBIDDEN);
		expect(await errorOf(h, "recordings.rename", { name: "../recordings/friday.mp4", newName: "x" })).toBe(ErrorCode.FORBIDDEN);
		expect(await errorOf(h, "recordings.rename", { name: "friday.mp4", newName: "/tmp/x" })).toBe(ErrorCode.FORBIDDEN);
		expect(await errorOf(h, "recordings.rename", { name: "friday.mp4", newName: "friday.mkv" })).toBe(ErrorCode.INVALID_ARGUMENT);
		expect(await errorOf(h, "recordings.rename", { name: "friday.mp4", newName: "" })).toBe(ErrorCode.INVALID_ARGUMENT);
		expect(await errorOf(h, "recordings.rename", { name: "friday.mp4", newName: ".hidden" })).toBe(ErrorCode.INVALID_ARGUMENT);
		expect(await errorOf(h, "recordings.rename", { name: "missing.mp4", newName: "x" })).toBe(ErrorCode.NOT_FOUND);
		expect(await errorOf(h, "recordings.rename", { name: "notes.txt", newName: "x" })).toBe(ErrorCode.INVALID_ARGUMENT);
		// Nothing was lost along the way.
		expect((await library(h)).files.map((f) => f.name).sort()).toEqual(["cut.mp4", "friday.mp4", "noindex.mp4"]);
		expect(await readdir(dir)).not.toContain("escaped.mp4");
		stop();
	});

	it("deletes a file and its sidecar, refuses names outside the folder", { timeout: 30_000 }, async () => {
		const h = t!.studio.handlers;
		expect(await errorOf(h, "recordings.delete", { name: "../show.mp4" })).toBe(ErrorCode.FORBIDDEN);
		expect(await errorOf(h, "recordings.delete", { name: `${dir}/show.mp4` })).toBe(ErrorCode.FORBIDDEN);
		expect(await errorOf(h, "recordings.delete", { name: "gone.mp4" })).toBe(ErrorCode.NOT_FOUND);
		expect(await errorOf(h, "recordings.delete", { name: "notes.txt" })).toBe(ErrorCode.INVALID_ARGUMENT);
		expect(await stat(`${dir}/show.mp4`)).toBeTruthy();

		expect(await call(h, "recordings.delete", { name: "friday.mp4" })).toEqual({ name: "friday.mp4" });
		const names = await readdir(recordings);
		expect(names).not.toContain("friday.mp4");
		expect(names).not.toContain("friday.mp4.json");
		expect((await library(h)).files.map((f) => f.name).sort()).toEqual(["cut.mp4", "noindex.mp4"]);
	});

	it("reveals through the host's file manager (a fake shell); the web host has none", async () => {
		expect(await errorOf(t!.studio.handlers, "recordings.reveal", { name: "cut.mp4" })).toBe(ErrorCode.UNSUPPORTED);
		const shown: string[] = [];
		const studio = new Studio({ host: "electron", recordingsDir: recordings, revealFile: (path) => void shown.push(path) });
		try {
			expect(await call(studio.handlers, "recordings.reveal", { name: "cut.mp4" })).toBeNull();
			expect(shown).toEqual([`${recordings}/cut.mp4`]);
			expect(await errorOf(studio.handlers, "recordings.reveal", { name: "../cut.mp4" })).toBe(ErrorCode.FORBIDDEN);
			expect(await errorOf(studio.handlers, "recordings.reveal", { name: "gone.mp4" })).toBe(ErrorCode.NOT_FOUND);
			expect(shown).toHaveLength(1);
		} finally {
			await studio.close();
		}
	});

	it("deletes through the host's remover (the desktop host's OS trash)", async () => {
		await copyFile(`${recordings}/cut.mp4`, `${recordings}/trash-me.mp4`);
		await (await open(`${recordings}/trash-me.mp4.json`, "w")).close();
		const trashed: string[] = [];
		const studio = new Studio({ host: "electron", recordingsDir: recordings, removeFile: async (path) => void trashed.push(path) });
		try {
			expect(await call(studio.handlers, "recordings.delete", { name: "trash-me.mp4" })).toEqual({ name: "trash-me.mp4" });
			expect(trashed).toEqual([`${recordings}/trash-me.mp4`, `${recordings}/trash-me.mp4.json`]);
			const failing = new Studio({ host: "electron", recordingsDir: recordings, removeFile: () => Promise.reject(new Error("trash unavailable")) });
			expect(await errorOf(failing.handlers, "recordings.delete", { name: "trash-me.mp4" })).toBe(ErrorCode.IO);
			expect(await stat(`${recordings}/trash-me.mp4`)).toBeTruthy();
			await failing.close();
		} finally {
			await studio.close();
		}
	});
});
