/**
 * Issue 14, Go Live from a file: the engine's probe through the contract (what a file holds,
 * before anything is published), the web host's upload into the recordings folder (too large,
 * not media, no token, another origin: typed refusals that leave nothing behind), and the
 * desktop host's open dialog over IPC (with a fake `ipcMain` and dialog: Electron cannot run here).
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IpcChannel, type Envelope } from "../../shared/api";
import { dispatch } from "../../electron/engine/dispatch";
import { Studio } from "../../electron/engine/studio";
import { startWebHost, type WebHost } from "../../electron/web/server";
import { MEDIA_DIALOG_OPTIONS, registerMediaFileDialog, type MediaDialogOptions } from "../../electron/shell/file-dialog";
import type { IpcEventLike } from "../../electron/ipc/host";
import { UPLOAD_PATH, UPLOAD_TOKEN_HEADER, type MediaProbe, type UploadedMediaFile } from "../../shared/media-file";
import { makeH264Mp4, makeVp9Webm, tempDir } from "../media/media-helpers";

let dir: string;
let remove: () => Promise<void>;
let studio: Studio;
let web: WebHost;
let mp4: string;
const MAX = 512 * 1024;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-media-file-"));
	studio = new Studio({ host: "web", dataDir: join(dir, "data"), recordingsDir: join(dir, "recordings") });
	await studio.start();
	web = await startWebHost({ studio, port: 0, maxUploadBytes: MAX });
	mp4 = await makeH264Mp4(join(dir, "show.mp4"), 2);
}, 60_000);
afterAll(async () => {
	await web?.close();
	await studio?.close();
	await remove?.();
});

async function upload(name: string, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = { [UPLOAD_TOKEN_HEADER]: web.token }): Promise<{ status: number; envelope: Envelope<UploadedMediaFile> }> {
	const res = await fetch(`${web.origin}${UPLOAD_PATH}?name=${encodeURIComponent(name)}`, { method: "POST", body, headers });
	return { status: res.status, envelope: (await res.json()) as Envelope<UploadedMediaFile> };
}

/** Everything in the recordings folder, hidden partial files included. */
const folder = () => readdir(studio.recordingsDir).catch(() => [] as string[]);

describe("publishing.probe", () => {
	it("says what an H.264 + Opus MP4 and a VP9 WebM hold, publishing nothing", { timeout: 60_000 }, async () => {
		const env = await dispatch(studio.handlers, "publishing.probe", { file: mp4 });
		expect(env.ok).toBe(true);
		const probe = (env as { result: MediaProbe }).result;
		expect(probe.format).toBe("MP4");
		expect(probe.durationS).toBeGreaterThan(1.5);
		expect(probe.durationS).toBeLessThan(2.5);
		expect(probe.tracks[0]).toMatchObject({ kind: "video", width: 320, height: 240 });
		expect(probe.tracks[0]!.codec).toMatch(/^avc1/);
		expect(probe.tracks[1]).toMatchObject({ kind: "audio", codec: "opus", sampleRate: 48000 });
		const webm = await dispatch(studio.handlers, "publishing.probe", { file: await makeVp9Webm(join(dir, "show.webm"), 1) });
		expect((webm as { result: MediaProbe }).result.tracks[0]!.codec).toMatch(/^vp09/);
		expect(studio.publishing.list()).toEqual([]);
	});

	it("refuses a missing file (IO) and a file that is not media (MEDIA)", async () => {
		const missing = await dispatch(studio.handlers, "publishing.probe", { file: join(dir, "nope.mp4") });
		// In words: the person typed this path (no errno, no syscall).
		expect(missing).toMatchObject({ ok: false, error: { name: "IO", message: `there is no file at ${join(dir, "nope.mp4")}` } });
		const folderPath = await dispatch(studio.handlers, "publishing.probe", { file: dir });
		expect(folderPath).toMatchObject({ ok: false, error: { name: "IO" } });
		const text = join(dir, "notes.mp4");
		await writeFile(text, "this is not a video\n".repeat(100));
		const notMedia = await dispatch(studio.handlers, "publishing.probe", { file: text });
		expect(notMedia).toMatchObject({ ok: false, error: { name: "MEDIA" } });
		const empty = await dispatch(studio.handlers, "publishing.probe", { file: "" });
		expect(empty).toMatchObject({ ok: false, error: { name: "INVALID_ARGUMENT" } });
	});
});

describe("web host upload", () => {
	it("stores a media file under a free name, probed, and announces the folder changed", { timeout: 30_000 }, async () => {
		const bytes = await readFile(mp4);
		expect(bytes.byteLength).toBeLessThan(MAX);
		const changed: (string | null)[] = [];
		const stop = studio.events.listen((event, payload) => {
			if (event === "recordings.library.changed") changed.push((payload as { name: string | null }).name);
		});
		const first = await upload("My show.mp4", bytes);
		expect(first.status).toBe(200);
		const result = (first.envelope as { result: UploadedMediaFile }).result;
		expect(result).toMatchObject({ name: "My show.mp4", bytes: bytes.byteLength, file: join(studio.recordingsDir, "My show.mp4") });
		expect(result.probe.tracks.map((t) => t.kind)).toEqual(["video", "audio"]);
		expect(Buffer.compare(await readFile(result.file), bytes)).toBe(0);
		// A second upload of the same name never replaces the first.
		const second = await upload("My show.mp4", bytes);
		expect((second.envelope as { result: UploadedMediaFile }).result.name).toBe("My show (2).mp4");
		expect(changed).toEqual(["My show.mp4", "My show (2).mp4"]);
		stop();
		const library = await studio.handlers["recordings.library"]({});
		expect(library.files.map((f) => f.name).sort()).toEqual(["My show (2).mp4", "My show.mp4"]);
		// The uploaded file publishes like any other.
		const env = await dispatch(studio.handlers, "publishing.probe", { file: result.file });
		expect(env.ok).toBe(true);
	});

	it("refuses too large, not media, a folder in the name, no token and another origin, leaving nothing behind", { timeout: 30_000 }, async () => {
		const before = (await folder()).sort();
		const big = await upload("big.mp4", new Uint8Array(MAX + 1));
		expect(big.status).toBe(413);
		expect(big.envelope).toMatchObject({ ok: false, error: { name: "LIMIT" } });
		expect((big.envelope as { error: { message: string } }).error.message).toMatch(/larger than the 512 KiB/);

		const fake = await upload("fake.mp4", new TextEncoder().encode("not a video at all\n".repeat(200)));
		expect(fake.status).toBe(415);
		expect(fake.envelope).toMatchObject({ ok: false, error: { name: "MEDIA" } });
		// The message names the file as the person knows it, not the hidden partial file.
		expect((fake.envelope as { error: { message: string } }).error.message).toContain('"fake.mp4"');
		expect((fake.envelope as { error: { message: string } }).error.message).not.toContain(".part");

		const text = await upload("notes.txt", new TextEncoder().encode("hello"));
		expect(text).toMatchObject({ status: 415, envelope: { ok: false, error: { name: "MEDIA" } } });
		const escape = await upload("../escape.mp4", await readFile(mp4));
		expect(escape).toMatchObject({ status: 400, envelope: { ok: false, error: { name: "INVALID_ARGUMENT" } } });
		const noToken = await upload("a.mp4", await readFile(mp4), {});
		expect(noToken).toMatchObject({ status: 401, envelope: { ok: false, error: { name: "UNAUTHORIZED" } } });
		const foreign = await upload("a.mp4", await readFile(mp4), { [UPLOAD_TOKEN_HEADER]: web.token, Origin: "http://evil.example" });
		expect(foreign).toMatchObject({ status: 403, envelope: { ok: false, error: { name: "FORBIDDEN" } } });

		expect((await folder()).sort()).toEqual(before);
		// Other methods than POST on the endpoint stay refused.
		expect((await fetch(`${web.origin}${UPLOAD_PATH}`, { method: "PUT", body: "x" })).status).toBe(405);
	});
});

describe("desktop open dialog", () => {
	type Handler = (event: IpcEventLike) => Promise<unknown>;
	function fakeIpc() {
		const handlers = new Map<string, Handler>();
		return { handlers, handle: (channel: string, h: Handler) => void handlers.set(channel, h), removeHandler: (channel: string) => void handlers.delete(channel) };
	}
	const page = "file:///app/out/renderer/index.html";
	const event = (url: string): IpcEventLike => ({ senderFrame: { url }, sender: { id: 1, send: () => undefined, isDestroyed: () => false, once: () => undefined, on: () => undefined } });

	it("answers our page with the chosen path or null, refuses other frames, and unregisters", async () => {
		const ipc = fakeIpc();
		const asked: MediaDialogOptions[] = [];
		let answer = { canceled: false, filePaths: ["/home/me/show.mp4"] };
		const unregister = registerMediaFileDialog(ipc, async (_e, options) => (asked.push(options), answer), (f) => f.url.startsWith(page));
		const choose = ipc.handlers.get(IpcChannel.chooseMediaFile)!;
		expect(await choose(event(`${page}#/golive`))).toEqual({ ok: true, result: "/home/me/show.mp4" });
		expect(asked[0]).toEqual(MEDIA_DIALOG_OPTIONS);
		expect(asked[0]!.filters[0]!.extensions).toEqual(["mp4", "mkv", "webm"]);
		answer = { canceled: true, filePaths: [] };
		expect(await choose(event(page))).toEqual({ ok: true, result: null });
		expect(await choose(event("https://evil.example/"))).toMatchObject({ ok: false, error: { name: "FORBIDDEN" } });
		expect(asked).toHaveLength(2);
		unregister();
		expect(ipc.handlers.size).toBe(0);
	});

	it("turns a failing dialog into a typed error", async () => {
		const ipc = fakeIpc();
		registerMediaFileDialog(ipc, async () => Promise.reject(new Error("no display")), () => true);
		expect(await ipc.handlers.get(IpcChannel.chooseMediaFile)!(event(page))).toMatchObject({ ok: false, error: { name: "IO", message: "no display" } });
	});
});
