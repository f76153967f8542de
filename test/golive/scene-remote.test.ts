/**
 * Issue 16, remote sources in a scene, as a streamer does it in real Chromium through the web
 * host: a guest's broadcast (a green file published to the studio's embedded relay with the CLI,
 * `moq-studio publish`, as any peer would) is picked from the announced broadcasts and placed as
 * a picture-in-picture over a magenta background, and a blue media file of the recordings folder
 * as a second, corner layer. The program goes live; an independent @moq/net subscriber records
 * it and a frame extracted with ffmpeg has the guest's green inside the PiP rectangle, the file's
 * blue in its corner and the background elsewhere. Then the guest stops: the layer says so, the
 * PiP shows the background while the program keeps going, and once the guest publishes again the
 * layer follows it again with no user action.
 */
import { mkdir } from "node:fs/promises";
import * as Moq from "@moq/net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordBroadcast } from "../../electron/engine/record";
import { launchChromium } from "../helpers/browser";
import { spawnStudioCli, waitForExit } from "../helpers/cli";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { colourDistance, frameAt, meanColour } from "../helpers/frames";
import { eventually, openStudio, setNumber } from "../helpers/ui";
import { ffmpeg, probeStreams, tempDir } from "../media/media-helpers";
import { connect, quietLibraryLogs, until } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";

quietLibraryLogs();

let browser: Browser;
let dir: string;
let remove: () => Promise<void>;
let green: string;

/** `seconds` of one solid colour, H.264 (GOP 15, no B-frames) + a sine, in MP4. */
async function solidClip(path: string, colour: string, seconds: number): Promise<string> {
	await ffmpeg([
		"-f", "lavfi", "-i", `color=c=${colour}:s=320x180:r=30`,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", String(seconds),
		"-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "15", "-pix_fmt", "yuv420p",
		"-c:a", "libopus", "-b:a", "32k",
		path,
	]);
	return path;
}

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-scene-remote-"));
	green = await solidClip(`${dir}/green.mp4`, "0x00ff00", 4);
	await mkdir(`${dir}/recordings`, { recursive: true });
	await solidClip(`${dir}/recordings/blue.mp4`, "0x0000ff", 3);
	browser = await launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream"]);
}, 60_000);
afterAll(async () => {
	await browser?.close();
	await remove?.();
});



const distance = colourDistance;
const MAGENTA = [255, 0, 255];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
/** The PiP rectangle (fractions of the program) and a point well inside it. */
const PIP = { x: 55, y: 50, w: 40, h: 40 };
const PIP_CENTRE = [0.75, 0.7] as const;
/** The file's corner layer and a point inside it. */
const CORNER = { x: 5, y: 5, w: 25, h: 25 };
const CORNER_CENTRE = [0.175, 0.175] as const;
/** A point of the background outside both. */
const BACKGROUND = [0.3, 0.75] as const;


async function place(page: Page, name: string, r: { x: number; y: number; w: number; h: number }): Promise<void> {
	await setNumber(page, `${name} x`, r.x);
	await setNumber(page, `${name} y`, r.y);
	await setNumber(page, `${name} width`, r.w);
	await setNumber(page, `${name} height`, r.h);
}

describe("Remote sources in a scene", () => {
	it("composes an announced broadcast (published with the CLI) as a PiP and a media file over a background, follows the guest leaving and coming back", { timeout: 180_000 }, async () => {
		const t: TestStudio = await startTestStudio({ embeddedRelay: true, dataDir: `${dir}/data`, recordingsDir: `${dir}/recordings` });
		const relayUrl = t.studio.embeddedRelay!.url;
		const guestArgs = ["publish", "--url", relayUrl, "--broadcast", "guest/cam.hang", "--file", green, "--loop"];
		let guest = spawnStudioCli(guestArgs);
		const sub = await connect(relayUrl);
		try {
			const { page, errors } = await openStudio(browser, `${t.web.url}#/golive`);
			const form = page.getByRole("form", { name: "Go Live settings" });
			await form.waitFor();
			await form.getByLabel("Video", { exact: true }).selectOption("scene");
			await form.getByLabel("Audio", { exact: true }).selectOption("none");
			const panel = page.getByRole("region", { name: "Scenes" });
			await page.getByRole("img", { name: "Program preview" }).waitFor({ timeout: 15_000 });

			// The background: the camera goes, a magenta colour fills the frame.
			await panel.getByRole("list", { name: "Layers" }).getByRole("button", { name: "Delete Camera" }).click();
			await panel.getByLabel("New layer source").selectOption("colour");
			await panel.getByRole("button", { name: "Add layer" }).click();
			await panel.getByLabel("Colour colour").fill("#ff00ff");

			// The guest, picked from the announced broadcasts, as a PiP.
			await panel.getByLabel("New layer source").selectOption("broadcast");
			const announced = panel.getByLabel("Announced broadcast");
			await eventually(() => announced.locator("option").allTextContents(), (o) => o.includes("guest/cam.hang"), 20_000, "the guest announced");
			await announced.selectOption({ label: "guest/cam.hang" });
			await panel.getByRole("button", { name: "Add layer" }).click();
			await place(page, "cam.hang", PIP);
			const guestState = panel.getByLabel("cam.hang source state");
			await eventually(() => guestState.getAttribute("data-state"), (s) => s === "live", 20_000, "the guest layer live");

			// The file of the recordings folder in the top-left corner, played looped.
			await panel.getByLabel("New layer source").selectOption("file");
			const files = panel.getByLabel("Media file");
			await eventually(() => files.locator("option").allTextContents(), (o) => o.includes("blue.mp4"), 20_000, "the file listed");
			await files.selectOption({ label: "blue.mp4" });
			await panel.getByRole("button", { name: "Add layer" }).click();
			await place(page, "blue.mp4", CORNER);
			const fileState = panel.getByLabel("blue.mp4 source state");
			await eventually(() => fileState.getAttribute("data-state"), (s) => s === "playing", 20_000, "the file playing");
			// Persisted with the new kinds (scenes.set through the web host).
			await eventually(
				() => t.studio.scenes.get(),
				(c) => c.scenes[0]!.layers.some((l) => l.source.kind === "broadcast" && l.source.path === "guest/cam.hang") && c.scenes[0]!.layers.some((l) => l.source.kind === "file" && l.source.name === "blue.mp4"),
				10_000,
				"the scene saved",
			);

			await form.getByLabel("Broadcast path").fill("live/remote.hang");
			await form.getByRole("button", { name: "Go Live" }).click();
			await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
			await waitAnnounced(sub, "live/remote.hang");
			const record = (folder: string, durationS: number) =>
				recordBroadcast({ consumer: sub.consume(Moq.Path.from("live/remote.hang")), folder: `${dir}/${folder}`, broadcast: "live/remote.hang", durationS });

			// 1. The guest and the file in the program.
			const first = (await record("rec1", 5)).path as string;
			const frame = await frameAt(first, 4);
			expect(distance(meanColour(frame, ...PIP_CENTRE), GREEN)).toBeLessThan(60);
			expect(distance(meanColour(frame, ...CORNER_CENTRE), BLUE)).toBeLessThan(60);
			expect(distance(meanColour(frame, ...BACKGROUND), MAGENTA)).toBeLessThan(40);

			// 2. The guest leaves: the layer says so and shows nothing (the background), the program goes on.
			guest.kill("SIGTERM");
			await waitForExit(guest, 15_000);
			await eventually(() => guestState.getAttribute("data-state"), (s) => s === "ended" || s === "waiting", 20_000, "the guest layer ended");
			const gone = (await record("rec2", 3)).path as string;
			// The program went on at its own pace meanwhile (30 fps; a loaded machine still sends a steady stream).
			expect((await probeStreams(gone)).find((st) => st.type === "video")?.packets).toBeGreaterThan(30);
			const gap = await frameAt(gone, 2);
			expect(distance(meanColour(gap, ...PIP_CENTRE), MAGENTA)).toBeLessThan(40);
			expect(distance(meanColour(gap, ...CORNER_CENTRE), BLUE)).toBeLessThan(60);
			expect(await page.getByLabel("Compositor", { exact: true }).textContent()).toMatch(/guest\/cam\.hang ended/);

			// 3. The guest publishes again: followed again with no user action.
			guest = spawnStudioCli(guestArgs);
			await eventually(() => guestState.getAttribute("data-state"), (s) => s === "live", 30_000, "the guest layer live again");
			const back = (await record("rec3", 3)).path as string;
			const again = await frameAt(back, 2);
			expect(distance(meanColour(again, ...PIP_CENTRE), GREEN)).toBeLessThan(60);

			process.stderr.write(`compositor (remote sources): ${await page.getByLabel("Compositor", { exact: true }).textContent()}\n`);
			await page.getByRole("button", { name: "Stop" }).click();
			await until(() => t.studio.golive.list().length === 0, 10_000, "stopped");
			// Deleting the layer lets go of the guest's subscription in the engine.
			await panel.getByRole("list", { name: "Layers" }).getByRole("button", { name: "Delete cam.hang" }).click();
			await until(() => t.studio.monitors.list().every((m) => m.path !== "guest/cam.hang"), 10_000, "the guest monitor closed");
			if (errors.length) process.stderr.write(`PAGE ERRORS ${JSON.stringify(errors)}\n`);
			expect(errors).toEqual([]);
			await page.close();
		} finally {
			sub.close();
			guest.kill("SIGKILL");
			await t.close();
		}
	});
});

