/**
 * Issue 16, scenes going live, as a streamer does it in real Chromium (fake camera) through the
 * web host: a scene with the camera full frame, a solid-colour overlay and an image (a PNG the
 * user picks) in two corners and a lower third is composed by the compositor worker, encoded and
 * published to the embedded relay; an independent @moq/net subscriber records it and a frame
 * extracted with ffmpeg has each overlay's colour at its place and the camera elsewhere. Each
 * drawing the panel offers runs it (automatic, WebGL2, 2D). Then a second scene is taken to program while live and the
 * recording across the cut decodes with no error. The scenes are persisted by the engine.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as Moq from "@moq/net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordBroadcast } from "../../electron/engine/record";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { colourDistance, frameAt, meanColour } from "../helpers/frames";
import { eventually, openStudio, setNumber } from "../helpers/ui";
import { connect, quietLibraryLogs, until } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";
import { decodeErrors, probeStreams, tempDir } from "../media/media-helpers";

quietLibraryLogs();
const run = promisify(execFile);

let browser: Browser;
let dir: string;
let remove: () => Promise<void>;
let yellowPng: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-scenes-"));
	yellowPng = `${dir}/yellow.png`;
	await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0xffff00:s=64x64", "-frames:v", "1", yellowPng]);
	browser = await launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream"]);
}, 60_000);
afterAll(async () => {
	await browser?.close();
	await remove?.();
});



const distance = colourDistance;
const MAGENTA = [255, 0, 255];
const BLUE = [0, 0, 255];
const YELLOW = [255, 255, 0];
const BAND = [0x20, 0x20, 0x40];


describe("Scenes going live", () => {
	// Each drawing the panel offers, each with a studio of its own (scenes persist per data dir).
	it.each(["auto", "webgl2", "2d"] as const)("composes the camera with a corner overlay, records it, and cuts (or fades) to another scene with no decode error (%s)", { timeout: 150_000 }, async (drawing) => {
		const t = await startTestStudio({ embeddedRelay: true, dataDir: `${dir}/data-${drawing}` });
		try {
			await scenesGoLive(t, drawing);
		} finally {
			await t.close();
		}
	});
});

async function scenesGoLive(t: TestStudio, drawing: "auto" | "webgl2" | "2d"): Promise<void> {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/golive`);
		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.waitFor();
		await form.getByLabel("Video", { exact: true }).selectOption("scene");
		await form.getByLabel("Audio", { exact: true }).selectOption("none");
		const panel = page.getByRole("region", { name: "Scenes" });
		await page.getByRole("img", { name: "Program preview" }).waitFor({ timeout: 15_000 });
		await panel.getByLabel("Compositor drawing").selectOption(drawing);
		const compositor = panel.getByLabel("Compositor", { exact: true });
		// "webgl2" draws with WebGL2 wherever it exists; "auto" only on a GPU (not SwiftShader); else 2D.
		const expected = (gl: string | null, device: string | null) =>
			drawing !== "2d" && gl === "yes" && (drawing === "webgl2" || !/swiftshader|llvmpipe|software/i.test(device ?? "")) ? "webgl2" : "2d";
		await eventually(
			async () => [await compositor.getAttribute("data-renderer"), await compositor.getAttribute("data-webgl2"), await compositor.getAttribute("data-device")],
			([r, gl, device]) => r !== null && r === expected(gl!, device!),
			15_000,
			"the compositor to start",
		);
		// What this Chromium offers the compositor (headless Debian Chromium, --disable-gpu): in the log.
		process.stderr.write(`compositor: ${await compositor.textContent()} (webgl2 ${await compositor.getAttribute("data-webgl2")})\n`);

		// The default scene is the camera full frame; a magenta square goes in the top-right corner.
		await panel.getByLabel("New layer source").selectOption("colour");
		await panel.getByRole("button", { name: "Add layer" }).click();
		await panel.getByLabel("Colour colour").fill("#ff00ff");
		await setNumber(page, "Colour x", 60);
		await setNumber(page, "Colour y", 5);
		await setNumber(page, "Colour width", 25);
		await setNumber(page, "Colour height", 25);
		// Dragged on the preview by a tenth of its width: from x 60 % to about 70 %.
		const box = (await page.getByRole("img", { name: "Program preview" }).boundingBox())!;
		await page.mouse.move(box.x + box.width * 0.725, box.y + box.height * 0.175);
		await page.mouse.down();
		for (let i = 1; i <= 5; i++) await page.mouse.move(box.x + box.width * (0.725 + i * 0.02), box.y + box.height * 0.175);
		await page.mouse.up();
		await eventually(() => page.getByLabel("Colour x", { exact: true }).inputValue(), (v) => Math.abs(Number(v) - 70) < 1.5, 5_000, "the overlay dragged to about 70 %");
		// Exactly 70 % for the picture check below.
		await setNumber(page, "Colour x", 70);
		// A yellow image (a PNG file the user picks) in the top-left corner, and a lower third.
		await panel.getByLabel("New layer source").selectOption("image");
		await panel.getByLabel("Image file").setInputFiles(yellowPng);
		await setNumber(page, "Image x", 5);
		await setNumber(page, "Image y", 5);
		await setNumber(page, "Image width", 20);
		await setNumber(page, "Image height", 20);
		await panel.getByLabel("New layer source").selectOption("lower-third");
		await panel.getByRole("button", { name: "Add layer" }).click();
		await panel.getByLabel("Lower third text").fill("Ada Lovelace");
		// A second scene: a blue frame, not on program yet.
		await panel.getByRole("button", { name: "Add scene" }).click();
		await panel.getByRole("button", { name: "Scene 2", exact: true }).click();
		await panel.getByLabel("New layer source").selectOption("colour");
		await panel.getByRole("button", { name: "Add layer" }).click();
		await panel.getByLabel("Colour colour").fill("#0000ff");
		// Persisted by the engine (scenes.set), through the web host.
		await eventually(
			() => t.studio.scenes.get(),
			(c) => c.scenes.length === 2 && c.scenes[0]!.layers.some((l) => l.source.kind === "colour" && l.source.colour === "#ff00ff" && Math.abs(l.x - 0.7) < 1e-9) && c.scenes[1]!.layers.length === 1,
			10_000,
			"the scenes saved",
		);

		await form.getByLabel("Broadcast path").fill(`live/scenes-${drawing}.hang`);
		await form.getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });

		const sub = await connect(t.studio.embeddedRelay!.url);
		await waitAnnounced(sub, `live/scenes-${drawing}.hang`);
		const consumer = sub.consume(Moq.Path.from(`live/scenes-${drawing}.hang`));
		// One recording from the start, through the cut: the overlay frame and the cut are both in it.
		const recording = recordBroadcast({ consumer: consumer.clone(), folder: `${dir}/rec`, broadcast: `live/scenes-${drawing}.hang`, durationS: 10 });
		await new Promise((r) => setTimeout(r, 4000));
		// The 2D run fades (0.5 s) instead of cutting: the same checks hold across a fade.
		if (drawing === "2d") await panel.getByLabel("Transition").selectOption("fade");
		await panel.getByRole("button", { name: "Take Scene 2" }).click();
		await panel.getByLabel("Scene 2 is on program").waitFor();
		const path = (await recording).path as string;
		expect((await probeStreams(path)).find((s) => s.type === "video")?.packets).toBeGreaterThan(200);

		const frame = await frameAt(path, 2);
		expect([frame.width, frame.height]).toEqual([1280, 720]);
		// The overlay's colour inside the overlay (H.264 4:2:0 blurs edges: sample its middle).
		expect(distance(meanColour(frame, 0.825, 0.175), MAGENTA)).toBeLessThan(40);
		// The image at its place, and the lower third's band (sampled right of its text, drawn in the worker).
		expect(distance(meanColour(frame, 0.15, 0.15), YELLOW)).toBeLessThan(40);
		expect(distance(meanColour(frame, 0.6, 0.84, 0.03), BAND)).toBeLessThan(30);
		// The camera elsewhere: neither the overlay's colour nor the black of an empty program.
		for (const [fx, fy] of [
			[0.3, 0.5],
			[0.5, 0.8],
		] as const) {
			const c = meanColour(frame, fx, fy, 0.1);
			expect(distance(c, MAGENTA)).toBeGreaterThan(100);
			expect(Math.max(...c)).toBeGreaterThan(30);
		}

		// Across the cut: no decode error, with the project's check and with ffmpeg's plain one.
		expect(await decodeErrors(path)).toBe("");
		const { stderr } = await run("ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"]);
		expect(stderr).toBe("");
		// After the cut, the blue scene fills the program.
		const last = await frameAt(path, 9.5);
		expect(distance(meanColour(last, 0.5, 0.5, 0.2), BLUE)).toBeLessThan(40);
		expect(distance(meanColour(last, 0.825, 0.175), BLUE)).toBeLessThan(40);

		// The compositor's figures while live, for the report.
		process.stderr.write(`compositor (${drawing}): ${await compositor.textContent()}\n`);
		await page.getByRole("button", { name: "Stop" }).click();
		await until(() => t.studio.golive.list().length === 0, 10_000, "stopped");
		expect(t.studio.scenes.get().programId).toBe(t.studio.scenes.get().scenes[1]!.id);
		if (errors.length) process.stderr.write(`PAGE ERRORS ${JSON.stringify(errors)}\n`);
		expect(errors).toEqual([]);
		sub.close();
		await page.close();
}
