/**
 * Where recordings are stored, through the contract of a real engine:
 * - the recordings folder is a setting (kept across a restart) that new recordings use;
 * - free space: on a small tmpfs chosen as that folder, a recording does not start below the
 *   minimum (IO, nothing created); a running one stops cleanly when the disk fills below it,
 *   `disk-low` with a clear message, its file complete and decodable; the desktop Notifier says
 *   "Disk space low" once;
 * - an interrupted file (a recorder SIGKILLed mid-recording) finalizes into a regular MP4 with
 *   the same packets (ffmpeg framemd5), which ffprobe reads and the library lists as complete.
 * Mounting a tmpfs needs root (CAP_SYS_ADMIN); elsewhere the free-space test is skipped, saying why.
 */
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../shared/errors";
import type { DiskSpace, LibraryFile, LibraryListing, RecordingInfo, RecordingSettings } from "../../shared/recordings";
import { dispatch, type Handlers } from "../../electron/engine/dispatch";
import { BusyState } from "../../electron/engine/busy";
import { Studio } from "../../electron/engine/studio";
import { Notifier, type NotificationContent } from "../../electron/shell/notifications";
import { ShellSettings } from "../../electron/shell/settings";
import { quietLibraryLogs, until } from "../relay/clients";
import { runStudioCli } from "../helpers/cli";
import { mountTmpfs, type Tmpfs } from "../helpers/tmpfs";
import { bundleEntry, spawnNode } from "../media/child-process";
import { decodeErrors, ffmpeg, makeH264Mp4, mp4Samples, packetHashes, probeStreams, tempDir } from "../media/media-helpers";

quietLibraryLogs();
const run = promisify(execFile);
/** The tmpfs: room for a few seconds of a 4 Mb/s broadcast. */
const DISK = "5m";

let dir: string;
let remove: () => Promise<void>;
let tmpfs: Tmpfs;
let disk: string | undefined;
let why = "";
const studios: Studio[] = [];

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-storage-"));
	tmpfs = await mountTmpfs(`${dir}/disk`, DISK);
	disk = tmpfs.path;
	if (tmpfs.path === undefined) why = tmpfs.why;
});
afterAll(async () => {
	for (const s of studios) await s.close().catch(() => undefined);
	if (tmpfs?.path !== undefined) await tmpfs.unmount();
	await remove?.();
});

async function call<T>(handlers: Handlers, method: Parameters<typeof dispatch>[1], args: unknown): Promise<T> {
	const res = await dispatch(handlers, method, args);
	if (!res.ok) throw new Error(`${String(method)}: ${res.error.name}: ${res.error.message}`);
	return res.result as T;
}

async function failure(handlers: Handlers, method: Parameters<typeof dispatch>[1], args: unknown): Promise<{ code: number; message: string }> {
	const res = await dispatch(handlers, method, args);
	if (res.ok) throw new Error(`${String(method)} succeeded`);
	return res.error;
}

async function startStudio(dataDir: string): Promise<Studio> {
	const studio = new Studio({ host: "web", dataDir, embeddedRelay: { port: 0 } });
	studios.push(studio);
	await studio.start();
	return studio;
}

async function closeStudio(studio: Studio): Promise<void> {
	await studio.close();
	studios.splice(studios.indexOf(studio), 1);
}

describe("recordings storage", () => {
	it("a chosen folder is used by new recordings and kept across a restart; bad folders are refused", { timeout: 30_000 }, async () => {
		const dataDir = `${dir}/data-folder`;
		let studio = await startStudio(dataDir);
		const h = studio.handlers;
		const before = await call<RecordingSettings>(h, "recordings.settings", {});
		expect(before).toMatchObject({ folder: `${dataDir}/recordings`, defaultFolder: `${dataDir}/recordings`, custom: false, minFreeMB: 500 });
		expect((await failure(h, "recordings.configure", { folder: "relative/dir" })).code).toBe(ErrorCode.INVALID_ARGUMENT);
		await mkdir(`${dir}/a-file-dir`);
		await run("touch", [`${dir}/a-file`]);
		expect((await failure(h, "recordings.configure", { folder: `${dir}/a-file` })).code).toBe(ErrorCode.IO);

		const chosen = `${dir}/chosen/recordings`;
		const after = await call<RecordingSettings>(h, "recordings.configure", { folder: chosen, minFreeMB: 1 });
		expect(after).toMatchObject({ folder: chosen, custom: true, minFreeMB: 1 });
		expect((await stat(chosen)).isDirectory()).toBe(true);
		expect((await call<LibraryListing>(h, "recordings.library", {})).folder).toBe(chosen);
		expect((await call<DiskSpace>(h, "recordings.disk", {})).folder).toBe(chosen);

		// A real recording of a published file lands in the chosen folder.
		const source = await makeH264Mp4(`${dir}/folder-src.mp4`, 2);
		const originId = studio.origins.list().find((o) => o.name === "studio")!.id;
		await call(h, "publishing.start", { originId, path: "store/folder.hang", file: source, loop: true });
		const rec = await call<RecordingInfo>(h, "recordings.start", { originId, path: "store/folder.hang", fileName: "folder.mp4", durationS: 1 });
		await until(() => studio.recordings.list().find((r) => r.id === rec.id)?.state === "finished", 20_000, "recording finished");
		expect(studio.recordings.list().find((r) => r.id === rec.id)!.file).toBe(`${chosen}/folder.mp4`);
		expect(await readdir(chosen)).toEqual(expect.arrayContaining(["folder.mp4", "folder.mp4.json"]));
		await closeStudio(studio);

		studio = await startStudio(dataDir);
		expect(await call<RecordingSettings>(studio.handlers, "recordings.settings", {})).toMatchObject({ folder: chosen, custom: true, minFreeMB: 1 });
		expect((await call<LibraryListing>(studio.handlers, "recordings.library", {})).files.map((f) => f.name)).toEqual(["folder.mp4"]);
		// Back to the default.
		expect(await call<RecordingSettings>(studio.handlers, "recordings.configure", { folder: null })).toMatchObject({ folder: `${dataDir}/recordings`, custom: false });
		await closeStudio(studio);
	});

	it("below the minimum a recording does not start; a running one stops cleanly when the disk fills, with a notice", { timeout: 90_000 }, async (ctx) => {
		if (!disk) return ctx.skip(why);
		const studio = await startStudio(`${dir}/data-disk`);
		const h = studio.handlers;
		const notices: NotificationContent[] = [];
		const busy = new BusyState(studio);
		const notifier = new Notifier({
			events: studio.events,
			busy,
			create: (content) => {
				// Publishing the source is "live" news too: only the disk's notices matter here.
				if (content.title === "Disk space low" || /record/i.test(content.title)) notices.push(content);
				return { on: () => undefined, show: () => undefined };
			},
			settings: new ShellSettings(),
			open: () => undefined,
		});
		const diskEvents: DiskSpace[] = [];
		studio.events.listen((event, payload) => {
			if (event === "recordings.disk") diskEvents.push(payload as DiskSpace);
		});
		try {
			await call(h, "recordings.configure", { folder: disk, minFreeMB: 100 });
			const space = await call<DiskSpace>(h, "recordings.disk", {});
			expect(space).toMatchObject({ folder: disk, low: true, minFreeBytes: 100e6, problem: null });
			expect(space.totalBytes).toBeLessThanOrEqual(5 * 1024 * 1024);
			const originId = studio.origins.list().find((o) => o.name === "studio")!.id;
			const refused = await failure(h, "recordings.start", { originId, path: "store/big.hang" });
			expect(refused.code).toBe(ErrorCode.IO);
			expect(refused.message).toMatch(/^disk space low: .* MB free in .*disk, below the 100 MB minimum; a recording of store\/big\.hang cannot start/);
			expect(await readdir(disk)).toEqual([]);
			expect(studio.recordings.list()).toEqual([]);
			await until(() => notices.length === 1, 5_000, "the disk-space-low notice");
			expect(notices[0]).toMatchObject({ title: "Disk space low", body: expect.stringMatching(/below the 100 MB minimum/) });

			// 2 MB minimum on a 5 MiB disk: a 4 Mb/s broadcast fills the rest in a few seconds.
			await call(h, "recordings.configure", { minFreeMB: 2 });
			await until(() => diskEvents.at(-1)?.low === false, 5_000, "space no longer low");
			const source = `${dir}/big.mp4`;
			await ffmpeg([
				"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30",
				"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
				"-t", "6",
				"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "4M", "-g", "30", "-pix_fmt", "yuv420p",
				"-c:a", "libopus", "-b:a", "64k",
				source,
			]);
			await call(h, "publishing.start", { originId, path: "store/big.hang", file: source, loop: true });
			const rec = await call<RecordingInfo>(h, "recordings.start", { originId, path: "store/big.hang", fileName: "big.mp4" });
			await until(() => ["finished", "failed"].includes(studio.recordings.list().find((r) => r.id === rec.id)!.state), 60_000, "the recording stopped");
			const done = studio.recordings.list().find((r) => r.id === rec.id)!;
			expect(done, JSON.stringify(done)).toMatchObject({ state: "finished", end: "disk-low", error: { code: ErrorCode.IO } });
			expect(done.error!.message).toMatch(/^disk space low: .* MB free in .*disk, below the 2\.0 MB minimum; recordings were stopped and their files completed/);
			expect(done.durationS).toBeGreaterThan(1);

			// The file is whole: its index is written, every sample decodes, nothing cut mid-fragment.
			const file = `${disk}/big.mp4`;
			const listed = (await call<LibraryListing>(h, "recordings.library", {})).files.find((f) => f.name === "big.mp4")!;
			expect(listed).toMatchObject({ state: "complete", problem: null, source: { path: "store/big.hang" } });
			const tracks = await mp4Samples(file);
			const streams = await probeStreams(file);
			expect(streams.find((s) => s.type === "video")!.packets).toBe(tracks.vide!.samples.length);
			expect(streams.find((s) => s.type === "audio")!.packets).toBe(tracks.soun!.samples.length);
			expect(await decodeErrors(file)).toBe("");

			// One notice for the drop (the stopped recording rides on it), none for "finished".
			await until(() => notices.length === 2, 10_000, "a second disk-space-low notice");
			expect(notices[1]).toMatchObject({ title: "Disk space low", body: expect.stringMatching(/below the 2\.0 MB minimum/) });
			await new Promise((r) => setTimeout(r, 1500));
			expect(notices.map((n) => n.title)).toEqual(["Disk space low", "Disk space low"]);
			// And still nothing new starts.
			expect((await failure(h, "recordings.start", { originId, path: "store/other.hang" })).code).toBe(ErrorCode.IO);
		} finally {
			notifier.close();
			busy.close();
			await closeStudio(studio);
		}
	});

	it("finalizes a recording cut by a crash into a regular MP4 with the same packets", { timeout: 60_000 }, async () => {
		const dataDir = `${dir}/data-finalize`;
		const folder = `${dataDir}/recordings`;
		const [script, source] = await Promise.all([bundleEntry("test/media/fixtures/record-child.ts"), makeH264Mp4(`${dir}/crash-src.mp4`, 2)]);
		const child = spawnNode(script, [source, folder]);
		let path: string | undefined;
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no progress: ${child.output.stderr}`)), 20_000);
			child.stdout.on("data", () => {
				const lines = child.output.stdout.trim().split("\n");
				const last = JSON.parse(lines[lines.length - 1]!) as { path?: string; durationS: number };
				path = last.path;
				if (last.durationS >= 3.5) {
					clearTimeout(timer);
					resolve();
				}
			});
			child.once("exit", () => reject(new Error(`child exited early: ${child.output.stderr}`)));
		});
		child.kill("SIGKILL");
		await new Promise((resolve) => child.once("exit", resolve));
		const name = path!.slice(path!.lastIndexOf("/") + 1);
		const crashedBytes = await readFile(path!);

		const studio = await startStudio(dataDir);
		const h = studio.handlers;
		const crashed = (await call<LibraryListing>(h, "recordings.library", {})).files.find((f) => f.name === name)!;
		expect(crashed).toMatchObject({ state: "interrupted" });
		const finalized = await call<LibraryFile>(h, "recordings.finalize", { name });
		const stem = name.replace(/\.mp4$/, "");
		expect(finalized).toMatchObject({ name: `${stem}-finalized.mp4`, state: "complete", problem: null, format: "mp4" });
		expect(finalized.tracks.map((t) => `${t.kind} ${t.codec}`)).toEqual(["video avc", "audio opus"]);
		// The interrupted file is left as it was.
		expect(await readFile(path!)).toEqual(crashedBytes);
		const out = `${folder}/${finalized.name}`;
		// A regular MP4: one moov, no fragments.
		const boxes = await run("ffprobe", ["-v", "trace", "-i", out], { maxBuffer: 64 << 20 }).then((r) => r.stderr);
		expect(boxes).not.toMatch(/type:'moof'/);
		expect(boxes).toMatch(/type:'moov'/);
		expect((await probeStreams(out)).map((s) => s.codec)).toEqual(["h264", "opus"]);
		expect(await decodeErrors(out)).toBe("");
		for (const kind of ["v", "a"] as const) {
			const [a, b] = await Promise.all([packetHashes(path!, kind), packetHashes(out, kind)]);
			expect(b.length).toBeGreaterThan(30);
			if (/final index/.test(crashed.problem ?? "")) expect(b).toEqual(a);
			// Cut mid-fragment: the unreadable tail is left out, everything before it is the same.
			else expect(b).toEqual(a.slice(0, b.length));
		}
		// A second finalize picks a new name; a complete file is refused.
		expect((await call<LibraryFile>(h, "recordings.finalize", { name })).name).toBe(`${stem}-finalized-1.mp4`);
		expect((await failure(h, "recordings.finalize", { name: finalized.name })).code).toBe(ErrorCode.INVALID_ARGUMENT);
		expect((await failure(h, "recordings.finalize", { name: "../x.mp4" })).code).toBe(ErrorCode.FORBIDDEN);
		const names = await readdir(folder);
		expect(names.filter((n) => n.startsWith("."))).toEqual([]);
		await closeStudio(studio);

		// The same from the command line (the built CLI): a third copy, the same packets.
		const cli = await runStudioCli(["finalize", path!, "--json"], 30_000);
		expect(cli.code, cli.stderr).toBe(0);
		const line = JSON.parse(cli.stdout.trim().split("\n").at(-1)!) as { event: string; path: string; tracks: number };
		expect(line).toMatchObject({ event: "done", path: `${folder}/${stem}-finalized-2.mp4`, tracks: 2 });
		expect(await packetHashes(line.path, "v")).toEqual(await packetHashes(out, "v"));
		expect(await packetHashes(line.path, "a")).toEqual(await packetHashes(out, "a"));
		const refusedCli = await runStudioCli(["finalize", out], 30_000);
		expect(refusedCli.code).not.toBe(0);
		expect(refusedCli.stderr).toMatch(/complete already/);
	});
});
