/**
 * Issue 16, Scenes' studio mode and layer crop, as a streamer does it in real Chromium (fake
 * camera) through the web host. Studio mode on (it survives a reload: a preference), the camera
 * scene goes live; the preview scene is edited while live (a green frame, and an image cropped
 * to its right half, typed into the crop fields, with two refused crops on the way), and an
 * independent @moq/net subscriber's recording keeps showing the camera until Take (the
 * keyboard shortcut), then shows the edited scene with only the image's cropped part. The
 * preview pane shows the preview scene before the take. Run with the 2D and the WebGL2 painter,
 * so both honour the crop.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as Moq from "@moq/net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordBroadcast } from "../../electron/engine/record";
import { launchChromium } from "../helpers/browser";
import { startTestStudio } from "../helpers/studio";
import { colourDistance, frameAt, meanColour, type Picture } from "../helpers/frames";
import { eventually, openStudio, setNumber } from "../helpers/ui";
import { connect, quietLibraryLogs, until } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";
import { decodeErrors, tempDir } from "../media/media-helpers";

quietLibraryLogs();
const run = promisify(execFile);

let browser: Browser;
let dir: string;
let remove: () => Promise<void>;
/** 64×32: the left half red, the right half yellow. */
let splitPng: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-studio-mode-"));
	splitPng = `${dir}/split.png`;
	await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0xff0000:s=32x32", "-f", "lavfi", "-i", "color=c=0xffff00:s=32x32", "-filter_complex", "hstack", "-frames:v", "1", splitPng]);
	browser = await launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream"]);
}, 60_000);
afterAll(async () => {
	await browser?.close();
	await remove?.();
});



/** The file's duration in seconds. */
async function duration(path: string): Promise<number> {
	const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path]);
	return Number(stdout.trim());
}

/** A PNG screenshot (an element of the page) as RGB24. */
async function pngPicture(png: Buffer): Promise<Picture> {
	const width = png.readUInt32BE(16);
	const height = png.readUInt32BE(20);
	const child = execFile("ffmpeg", ["-v", "error", "-f", "png_pipe", "-i", "pipe:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], { encoding: "buffer", maxBuffer: 64 << 20 });
	const out = new Promise<Buffer>((resolve, reject) => {
		const chunks: Buffer[] = [];
		child.stdout!.on("data", (c: Buffer) => chunks.push(c));
		child.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg exited ${code}`))));
	});
	child.stdin!.end(png);
	return { width, height, rgb: await out };
}


const distance = colourDistance;
const GREEN = [0, 255, 0];
const YELLOW = [255, 255, 0];
const RED = [255, 0, 0];

/** The camera's picture, not a scene's: neither the preview's green nor the black of an empty program. */
function expectCamera(f: Picture, what: string): void {
	for (const [fx, fy] of [
		[0.3, 0.5],
		[0.7, 0.7],
	] as const) {
		const c = meanColour(f, fx, fy, 0.1);
		expect(distance(c, GREEN), `${what}: not the preview's green at ${fx},${fy}`).toBeGreaterThan(100);
		expect(Math.max(...c), `${what}: not black at ${fx},${fy}`).toBeGreaterThan(30);
	}
}


describe("Scenes studio mode", () => {
	it.each(["2d", "webgl2"] as const)("changes the program only on Take, and a cropped layer shows its cropped part (%s)", { timeout: 180_000 }, async (drawing) => {
		const t = await startTestStudio({ embeddedRelay: true, dataDir: `${dir}/data-${drawing}` });
		try {
			const { page, errors } = await openStudio(browser, `${t.web.url}#/golive`);
			const form = page.getByRole("form", { name: "Go Live settings" });
			const panel = page.getByRole("region", { name: "Scenes" });
			const toScenes = async () => {
				await form.waitFor();
				await form.getByLabel("Video", { exact: true }).selectOption("scene");
				await form.getByLabel("Audio", { exact: true }).selectOption("none");
				await page.getByRole("img", { name: "Program preview" }).waitFor({ timeout: 15_000 });
			};
			await toScenes();
			await panel.getByLabel("Compositor drawing").selectOption(drawing);
			const studioMode = panel.getByRole("checkbox", { name: "Studio mode" });
			await studioMode.check();
			await page.getByRole("img", { name: "Preview scene" }).waitFor();
			// A preference: saved by the engine, and on again after a reload.
			await eventually(() => t.studio.handlers["preferences.get"]({}), (p) => p["ui.studioMode"] === true, 10_000, "studio mode saved");
			await page.reload();
			await toScenes();
			await eventually(() => studioMode.isChecked(), (v) => v, 10_000, "studio mode still on after a reload");
			await page.getByRole("group", { name: "Studio mode" }).waitFor();
			await panel.getByLabel("Compositor drawing").selectOption(drawing);
			await eventually(() => panel.getByLabel("Compositor", { exact: true }).getAttribute("data-renderer"), (r) => r !== null, 15_000, "the compositor to start");

			// The default scene (the camera) is on program; a second one goes to preview.
			await panel.getByRole("button", { name: "Add scene" }).click();
			await panel.getByRole("button", { name: "Scene 2", exact: true }).click();
			await panel.getByLabel("Scene 2 is on preview").waitFor();
			await panel.getByLabel("New layer source").selectOption("colour");
			await panel.getByRole("button", { name: "Add layer" }).click();
			await panel.getByLabel("Colour colour").fill("#0000ff");

			await form.getByLabel("Broadcast path").fill(`live/studio-${drawing}.hang`);
			await form.getByRole("button", { name: "Go Live" }).click();
			await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
			const sub = await connect(t.studio.embeddedRelay!.url);
			await waitAnnounced(sub, `live/studio-${drawing}.hang`);
			const consumer = sub.consume(Moq.Path.from(`live/studio-${drawing}.hang`));
			const started = Date.now();
			const recording = recordBroadcast({ consumer: consumer.clone(), folder: `${dir}/rec-${drawing}`, broadcast: `live/studio-${drawing}.hang`, durationS: 24 });
			await page.waitForTimeout(3000);

			// Edit the preview scene while live: green, and the split image cropped to its right half.
			await panel.getByLabel("Colour colour").fill("#00ff00");
			await panel.getByLabel("New layer source").selectOption("image");
			await panel.getByLabel("Image file").setInputFiles(splitPng);
			await setNumber(page, "Image x", 10);
			await setNumber(page, "Image y", 10);
			await setNumber(page, "Image width", 30);
			await setNumber(page, "Image height", 30);
			await setNumber(page, "Image crop left", 50);
			// Refused crops say why and keep the crop as it was.
			await setNumber(page, "Image crop right", 60, 0);
			await expect.poll(() => panel.getByRole("alert").textContent()).toMatch(/crop must leave some of the picture/);
			await setNumber(page, "Image crop top", 120, 0);
			await expect.poll(() => panel.getByRole("alert").textContent()).toMatch(/crop top must be between 0 and 100 %/);
			const edited = (Date.now() - started) / 1000;

			// The preview pane shows the edited scene; the program pane still the camera.
			await page.waitForTimeout(1000);
			const previewShot = await pngPicture(await page.getByRole("img", { name: "Preview scene" }).screenshot());
			expect(distance(meanColour(previewShot, 0.7, 0.7, 0.1), GREEN), "the preview pane shows the preview scene").toBeLessThan(60);
			expect(distance(meanColour(previewShot, 0.25, 0.25), YELLOW), "the preview pane shows the cropped image").toBeLessThan(60);
			expectCamera(await pngPicture(await page.getByRole("img", { name: "Program preview" }).screenshot()), "the program pane before Take");
			await page.waitForTimeout(3000);

			// Take, with the keyboard shortcut: the preview goes on program, the camera scene to preview.
			const taken = (Date.now() - started) / 1000;
			await page.getByRole("button", { name: "Scene 2", exact: true }).focus();
			await page.keyboard.press("Control+Enter");
			await panel.getByLabel("Scene 2 is on program").waitFor({ timeout: 5_000 });
			await panel.getByLabel("Camera is on preview").waitFor();
			const path = (await recording).path as string;
			const length = await duration(path);

			// The recording's first frame may be up to a group (2 s) older than its start: a frame at
			// file time f was drawn between f - 2 and f seconds after the recording started.
			expectCamera(await frameAt(path, 1), "before the edit");
			expect(edited + 2.5, "the run left room between the edit and the take").toBeLessThan(taken);
			expectCamera(await frameAt(path, edited + 2.5), "after the edit, before Take");
			const after = taken + 4;
			expect(after, "the recording runs past the take").toBeLessThan(length - 0.2);
			const program = await frameAt(path, after);
			expect(distance(meanColour(program, 0.7, 0.7, 0.1), GREEN), "after Take: the edited scene").toBeLessThan(40);
			// The layer spans 10-40 % both ways; only the image's yellow right half fills it.
			for (const fx of [0.15, 0.25, 0.35]) expect(distance(meanColour(program, fx, 0.25), YELLOW), `cropped image at ${fx}`).toBeLessThan(40);
			expect(distance(meanColour(program, 0.15, 0.25), RED)).toBeGreaterThan(150);
			expect(await decodeErrors(path)).toBe("");

			const saved = t.studio.scenes.get();
			const image = saved.scenes.flatMap((s) => s.layers).find((l) => l.source.kind === "image");
			expect(image?.crop).toEqual({ top: 0, right: 0, bottom: 0, left: 0.5 });
			expect(saved.programId).toBe(saved.scenes[1]!.id);

			process.stderr.write(`studio mode (${drawing}): ${await panel.getByLabel("Compositor", { exact: true }).textContent()}\n`);
			await page.getByRole("button", { name: "Stop" }).click();
			await until(() => t.studio.golive.list().length === 0, 10_000, "stopped");
			sub.close();
			if (errors.length) process.stderr.write(`PAGE ERRORS ${JSON.stringify(errors)}\n`);
			expect(errors).toEqual([]);
			await page.close();
		} finally {
			await t.close();
		}
	});
});
