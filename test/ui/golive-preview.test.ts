/**
 * Issue 14, Go Live before going live, as a person uses it in real Chromium through the web host:
 * - the camera's picture shows in the preview before pressing Go Live and stays while live (the
 *   live capture replaces the preview capture, which is released);
 * - Go Live from a file: a file uploaded from the browser lands in the recordings folder, is
 *   listed there and probed (what it holds shows before going live); going live shows the file's
 *   picture through the engine's own broadcast; a file that is not media is refused with a
 *   sentence and leaves nothing behind; a path that does not exist says so before going live;
 * - the desktop host's Browse… button (the preload's `chooseMediaFile`, here a stand-in over the
 *   web host's bridge) fills the path from the system dialog's answer;
 * - the desktop host's screen choice shows that screen's thumbnail before going live (the list
 *   comes from the engine's `DesktopCapture`, Electron's desktopCapturer there, a fixed list here).
 */
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { pictureFacts } from "../helpers/pictures";
import { standInPreload } from "../helpers/stand-in-preload";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { Studio } from "../../electron/engine/studio";
import { startWebHost } from "../../electron/web/server";

let t: TestStudio;
let browser: Browser;
let scratch: Page;
let dir: string;
let remove: () => Promise<void>;
let show: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-golive-preview-"));
	[t, browser, show] = await Promise.all([
		startTestStudio({ embeddedRelay: true, recordingsDir: join(dir, "recordings") }),
		launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream"]),
		makeH264Mp4(join(dir, "show.mp4"), 2),
	]);
	scratch = await browser.newPage();
}, 60_000);
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

/** The preview video's current track: id, state, and whether frames play. */
async function previewTrack(page: Page): Promise<{ id: string; state: string; width: number } | null> {
	return page.evaluate(() => {
		const video = document.querySelector<HTMLVideoElement>('video[aria-label="Local preview"]');
		const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
		return track && video ? { id: track.id, state: track.readyState, width: video.videoWidth } : null;
	});
}

async function openGoLive(url: string): Promise<{ page: Page; errors: string[] }> {
	const opened = await openStudio(browser, `${url}#/golive`);
	await opened.page.getByRole("form", { name: "Go Live settings" }).waitFor();
	return opened;
}

describe("Go Live preview", () => {
	it("shows the camera's picture before going live and keeps showing it while live", { timeout: 90_000 }, async () => {
		const { page, errors } = await openGoLive(t.web.url);
		const pane = page.locator(".preview-pane");
		await eventually(() => pane.getAttribute("data-preview"), (s) => s === "preview", 15_000, "the camera preview before going live");
		const before = await eventually(() => previewTrack(page), (tr) => tr !== null && tr.state === "live" && tr.width > 0, 15_000, "the preview playing");
		// The fake camera draws a moving pattern: the preview is a picture, not a black box.
		const video = page.getByLabel("Local preview");
		await eventually(async () => pictureFacts(scratch, await video.screenshot()), (f) => f.stddev > 10, 15_000, "a picture in the preview");
		expect(t.studio.golive.list()).toEqual([]);

		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.getByLabel("Broadcast path").fill("live/preview.hang");
		await form.getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
		// While live the preview is the live capture itself; the preview capture was released.
		const live = await eventually(() => previewTrack(page), (tr) => tr !== null && tr.id !== before!.id && tr.state === "live" && tr.width > 0, 15_000, "the live capture in the preview");
		expect(await pane.getAttribute("data-preview")).toBe("live");
		await eventually(async () => pictureFacts(scratch, await video.screenshot()), (f) => f.stddev > 10, 15_000, "a picture while live");

		await page.getByRole("button", { name: "Stop" }).click();
		await eventually(() => t.studio.golive.list(), (l) => l.length === 0, 10_000, "stopped");
		// Back to a preview capture of its own.
		await eventually(() => previewTrack(page), (tr) => tr !== null && tr.id !== live!.id && tr.state === "live", 15_000, "the preview again after stopping");
		// No video: no capture, a note instead.
		await form.getByLabel("Video", { exact: true }).selectOption("none");
		await eventually(() => previewTrack(page), (tr) => tr === null, 10_000, "no preview without video");
		await page.getByText("No video: only the microphone is sent.").waitFor();
		expect(errors).toEqual([]);
		await page.close();
	});
});

describe("Go Live from a file", () => {
	it("uploads a file into the recordings folder, shows what it holds, goes live with its picture", { timeout: 120_000 }, async () => {
		const { page, errors } = await openGoLive(t.web.url);
		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.getByLabel("Video", { exact: true }).selectOption("file");
		const status = form.getByRole("status", { name: "Media file" });
		await eventually(() => status.textContent(), (s) => /upload one/.test(s ?? ""), 10_000, "the picker's hint");

		// A path that does not exist is refused before going live, in words.
		await form.getByLabel("File path").fill(join(dir, "missing.mp4"));
		await eventually(() => status.getAttribute("data-state"), (s) => s === "failed", 10_000, "the probe of a missing file to fail");
		expect(await status.textContent()).not.toMatch(/^IO|ENOENT|at .*:\d+/);

		// Not media, though named .mp4: refused, and the folder stays empty.
		const fake = join(dir, "fake.mp4");
		await writeFile(fake, "not a video\n".repeat(500));
		await form.getByLabel("Upload a file").setInputFiles(fake);
		const alert = form.getByRole("alert");
		await eventually(() => alert.textContent(), (s) => /"fake\.mp4"/.test(s ?? "") && /MP4, MKV or WebM/.test(s ?? ""), 15_000, "the refusal of a file that is not media");
		expect((await readdir(t.studio.recordingsDir).catch(() => [])).filter((n) => !n.startsWith("."))).toEqual([]);
		expect(await readdir(t.studio.recordingsDir).catch(() => [])).toEqual([]);

		// A real file: uploaded, listed, chosen, probed.
		await form.getByLabel("Upload a file").setInputFiles(show);
		const uploaded = join(t.studio.recordingsDir, "show.mp4");
		await eventually(() => form.getByLabel("File path").inputValue(), (v) => v === uploaded, 20_000, "the uploaded file chosen");
		await eventually(() => status.textContent(), (s) => /^MP4 · 0:02 · H\.264 320×240 30 fps · Opus 48 kHz (mono|stereo)$/.test(s ?? ""), 15_000, "the probe of the uploaded file");
		expect(await form.getByLabel("Recordings folder").inputValue()).toBe(uploaded);
		expect(await form.getByLabel("Recordings folder").locator("option").allTextContents()).toContain("show.mp4");
		await alert.waitFor({ state: "detached" });
		// Nothing was published by choosing and probing.
		expect(t.studio.publishing.list()).toEqual([]);

		await form.getByLabel("Broadcast path").fill("live/file-preview.hang");
		await form.getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
		await eventually(() => t.studio.publishing.list(), (l) => l.some((p) => p.state === "publishing" && p.file === uploaded), 10_000, "the file publishing");
		// Its picture, through the engine's own broadcast of it: testsrc is a colour pattern.
		const picture = page.getByRole("img", { name: "File preview" });
		await eventually(async () => pictureFacts(scratch, await picture.screenshot()), (f) => f.stddev > 20, 30_000, "the file's picture while live");

		await page.getByRole("button", { name: "Stop" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ state: "detached", timeout: 15_000 });
		await picture.waitFor({ state: "detached" });
		// The preview's monitor is released with it.
		await eventually(() => t.studio.monitors.list(), (l) => l.length === 0, 15_000, "the preview's monitor closed");
		// Chromium logs every refused request itself: the 415 of the fake file is the only one.
		expect(errors).toEqual([expect.stringMatching(/status of 415/)]);
		await page.close();
	});

	it("fills the path from the desktop host's open dialog (Browse…)", { timeout: 60_000 }, async () => {
		const context = await browser.newContext();
		await context.addInitScript({ content: standInPreload("") });
		// The system dialog's answer, as the main process sends it back over IPC.
		await context.addInitScript({
			content: `window.studio && (window.__dialogCalls = 0, window.studio.chooseMediaFile = async () => (window.__dialogCalls++, { ok: true, result: ${JSON.stringify(show)} }));`,
		});
		const page = await context.newPage();
		const errors: string[] = [];
		page.on("pageerror", (e) => errors.push(e.message));
		await page.goto(`${t.web.url}#/golive`);
		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.waitFor();
		await form.getByLabel("Video", { exact: true }).selectOption("file");
		// The desktop host offers Browse… and no upload (it can read any path itself).
		await expect(form.getByLabel("Upload a file").count()).resolves.toBe(0);
		await form.getByRole("button", { name: "Browse…" }).click();
		await eventually(() => form.getByLabel("File path").inputValue(), (v) => v === show, 10_000, "the dialog's path in the form");
		expect(await page.evaluate(() => (window as unknown as { __dialogCalls: number }).__dialogCalls)).toBe(1);
		await eventually(() => form.getByRole("status", { name: "Media file" }).textContent(), (s) => /^MP4 · 0:02 · H\.264/.test(s ?? ""), 15_000, "the probe of the chosen file");
		expect(errors).toEqual([]);
		await context.close();
	});
});

describe("Go Live from a screen in the desktop host", () => {
	it("shows the chosen screen's thumbnail before going live", { timeout: 60_000 }, async () => {
		// Stripes, so the picture is measurably not blank.
		const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180">${[0, 1, 2, 3]
			.map((i) => `<rect x="${i * 80}" width="80" height="180" fill="${["#f00", "#0f0", "#00f", "#fff"][i]}"/>`)
			.join("")}</svg>`;
		const thumbnail = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
		const selected: (string | null)[] = [];
		const studio = new Studio({
			host: "web",
			desktopCapture: { sources: async () => [{ id: "screen:1:0", name: "Built-in display", kind: "screen", thumbnail }], select: (id) => void selected.push(id) },
		});
		await studio.start();
		const web = await startWebHost({ studio, port: 0 });
		const context = await browser.newContext();
		try {
			await context.addInitScript({ content: standInPreload("") });
			const page = await context.newPage();
			await page.goto(`${web.url}#/golive`);
			const form = page.getByRole("form", { name: "Go Live settings" });
			await form.waitFor();
			await form.getByLabel("Video", { exact: true }).selectOption("screen");
			// Before a choice: the note, no picture.
			await page.getByText("The screen or window you share appears here once you go live.").waitFor();
			await form.getByLabel("Screen or window").selectOption({ label: "Screen: Built-in display" });
			const picture = page.getByRole("img", { name: "Chosen screen or window" });
			await eventually(async () => pictureFacts(scratch, await picture.screenshot()), (f) => f.stddev > 40, 10_000, "the screen's thumbnail");
			expect(selected).toEqual(["screen:1:0"]);
			expect(studio.golive.list()).toEqual([]);
		} finally {
			await context.close();
			await web.close();
			await studio.close();
		}
	});
});
