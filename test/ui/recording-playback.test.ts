/**
 * Playing a recording inside the app, as a user would in Chromium through the web host: the
 * studio records a broadcast, the Recordings view's Play opens the file in the monitor's player
 * (the engine sends it on a media channel, the decode worker paints it), the picture moves and
 * the position advances; a click in the middle of the seek bar jumps there (a new epoch from the
 * keyframe at or before it), the position says so, and the picture goes on; pause holds it.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { pictureFacts } from "../helpers/pictures";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, until } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;
let dir: string;
let remove: () => Promise<void>;
const DURATION_S = 12;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-ui-playback-"));
	const source = await makeH264Mp4(`${dir}/show.mp4`, DURATION_S);
	[t, browser] = await Promise.all([startTestStudio({ embeddedRelay: true, recordingsDir: `${dir}/recordings` }), launchChromium()]);
	// A real recording of the studio: it waits for the broadcast, then records all of it.
	const originId = t.studio.origins.list().find((o) => o.name === "studio")!.id;
	await t.studio.handlers["recordings.start"]({ originId, path: "play/show.hang", fileName: "show.mp4" });
	await t.studio.handlers["publishing.start"]({ originId, path: "play/show.hang", file: source });
	await until(() => t.studio.recordings.list()[0]?.state === "finished", 60_000, "the recording to finish");
}, 120_000);
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

describe("recording playback in the app", () => {
	it("plays a recording with a moving picture, seeks to the middle and goes on, pauses", { timeout: 120_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/recordings`);
		const scratch = await browser.newPage();
		const row = page.getByRole("listitem", { name: "File show.mp4" });
		await row.waitFor({ timeout: 15_000 });
		await row.getByRole("button", { name: "Play show.mp4", exact: true }).click();
		const dialog = page.getByRole("dialog", { name: "show.mp4" });
		await dialog.waitFor();
		const picture = dialog.getByTestId("playback-picture");
		const position = async () => Number(await dialog.getByTestId("playback-position").getAttribute("data-position-s"));

		// Playing: a non-blank picture that changes, and the position moving on.
		const first = await eventually(async () => pictureFacts(scratch, await picture.screenshot()), (f) => f.stddev > 20, 20_000, "a non-blank picture");
		await eventually(
			async () => pictureFacts(scratch, await picture.screenshot()),
			(f) => f.signature.some((v, i) => Math.abs(v - first.signature[i]!) > 4),
			20_000,
			"the picture to change",
		);
		const early = await eventually(position, (s) => s > 0.5, 15_000, "the position to advance");
		expect(early).toBeLessThan(DURATION_S / 2 - 1);
		expect(await dialog.getByTestId("playback-position").innerText()).toMatch(/^0:0\d\.\d \/ 0:1[12]\.\d$/);

		// Seek: a click in the middle of the bar. The engine restarts at the keyframe at or before
		// it (one every second in this file), in a new epoch.
		const [before] = t.studio.playback.list();
		const bar = dialog.getByRole("slider", { name: "Seek" });
		const box = (await bar.boundingBox())!;
		await bar.click({ position: { x: box.width / 2, y: box.height / 2 } });
		const target = Number(await bar.inputValue());
		expect(target).toBeGreaterThan(DURATION_S / 2 - 1.5);
		expect(target).toBeLessThan(DURATION_S / 2 + 1.5);
		await eventually(() => t.studio.playback.list()[0]?.epoch ?? 0, (e) => e > before!.epoch, 10_000, "a new epoch after the seek");
		const landed = await eventually(position, (s) => s >= target - 1.1 && s <= target + 1.5, 10_000, "the position at the seek target");
		// The picture goes on from there, and so does the position.
		const afterSeek = await pictureFacts(scratch, await picture.screenshot());
		await eventually(
			async () => pictureFacts(scratch, await picture.screenshot()),
			(f) => f.stddev > 20 && f.signature.some((v, i) => Math.abs(v - afterSeek.signature[i]!) > 4),
			20_000,
			"the picture to go on after the seek",
		);
		await eventually(position, (s) => s > landed + 0.5, 15_000, "the position to advance after the seek");

		// Pause holds the position.
		await dialog.getByRole("button", { name: "Pause", exact: true }).click();
		await dialog.getByRole("button", { name: "Play", exact: true }).waitFor();
		await eventually(() => t.studio.playback.list()[0]?.state, (s) => s === "paused", 5_000, "the engine to pause");
		const held = await position();
		await page.waitForTimeout(1000);
		expect(await position()).toBe(held);

		// Closing the dialog closes the playback in the engine.
		await dialog.getByRole("button", { name: "Close" }).click();
		await eventually(() => t.studio.playback.list().length, (n) => n === 0, 10_000, "the playback to close");
		await scratch.close();
		expect(errors).toEqual([]);
		await page.close();
	});

	it("replays a recording as a looping broadcast from its row, and stops it there", { timeout: 60_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/recordings`);
		const row = page.getByRole("listitem", { name: "File show.mp4" });
		await row.waitFor({ timeout: 15_000 });
		await row.getByRole("button", { name: "Replay show.mp4 as a broadcast" }).click();
		const form = page.getByRole("form", { name: "Replay show.mp4" });
		expect(await form.getByLabel("Broadcast path").inputValue()).toBe("replay/show.hang");
		await form.getByLabel("Loop until stopped").check();
		await form.getByRole("button", { name: "Replay", exact: true }).click();
		await form.waitFor({ state: "detached" });

		// The broadcast is in the studio's origin, announced back through its embedded relay.
		const originId = t.studio.origins.list().find((o) => o.name === "studio")!.id;
		await eventually(
			async () => (await t.studio.handlers["broadcasts.list"]({ originId })).map((b) => b.path),
			(paths) => paths.includes("replay/show.hang"),
			15_000,
			"the replay to be announced",
		);
		const running = t.studio.publishing.list().find((p) => p.path === "replay/show.hang");
		expect(running).toMatchObject({ state: "publishing", file: `${dir}/recordings/show.mp4` });

		await row.getByRole("button", { name: "Stop replaying show.mp4 (replay/show.hang)" }).click();
		await row.getByRole("button", { name: "Replay show.mp4 as a broadcast" }).waitFor();
		expect(t.studio.publishing.list().find((p) => p.id === running!.id)?.state).toBe("finished");
		expect(errors).toEqual([]);
		await page.close();
	});
});
