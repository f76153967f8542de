/**
 * Go Live's microphone meter, as a streamer sees it: Chromium's fake microphone (a beep every
 * half second) is chosen in the Go Live form; the meter rises above the floor before going live
 * (a preview capture) and stays up while live (the live capture's own track), through the web
 * host and the studio's embedded relay. Without `--autoplay-policy=no-user-gesture-required`:
 * the meter must not depend on an audio context the autoplay rules may hold, so the page reaches
 * Go Live through its URL hash, with no click before the meter is read.
 */
import type { Browser, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";

let t: TestStudio;
let browser: Browser;

beforeAll(async () => {
	[t, browser] = await Promise.all([
		startTestStudio({ embeddedRelay: true }),
		launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream"]),
	]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

/** The floor of the meter's scale (Meter.tsx): silence reads exactly this. */
const FLOOR = -60;
const level = async (meter: Locator) => Number(await meter.getAttribute("aria-valuenow"));

/** Reads the meter every 250 ms for `ms`; returns the readings. */
async function readings(meter: Locator, ms: number): Promise<number[]> {
	const out: number[] = [];
	for (let waited = 0; waited < ms; waited += 250) {
		out.push(await level(meter));
		await new Promise((r) => setTimeout(r, 250));
	}
	return out;
}

describe("Go Live microphone meter", () => {
	it("rises above the floor for the fake microphone before going live and stays up while live", { timeout: 90_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/sessions`);
		// No user gesture on the page yet: the view changes through the hash, as a reload would land.
		await page.evaluate(() => (window.location.hash = "#/golive"));
		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.waitFor();
		// The fake microphone, chosen by name once capture was allowed and the labels show.
		const mic = form.getByLabel("Microphone", { exact: true });
		await eventually(() => mic.locator("option").allTextContents(), (o) => o.some((l) => /fake/i.test(l)), 15_000, "the fake microphone listed");
		const fake = (await mic.locator("option").allTextContents()).find((l) => /fake/i.test(l))!;
		await mic.selectOption({ label: fake });

		const meter = form.getByRole("meter", { name: "Microphone level" });
		await eventually(() => level(meter), (db) => db > -40, 15_000, "the meter to rise for the fake microphone before going live");
		// Not a single blip: it stays up over two seconds (peaks fall back slowly between beeps).
		expect(Math.min(...(await readings(meter, 2000)))).toBeGreaterThan(FLOOR);

		await form.getByLabel("Broadcast path").fill("live/meter.hang");
		await form.getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
		await eventually(() => t.studio.golive.list(), (l) => l.length === 1 && l[0]!.tracks.some((tr) => tr.kind === "audio" && tr.frames > 20), 15_000, "live audio reaching the engine");
		// While live the meter follows the live capture's own track, and never drops to the floor.
		const live = await readings(meter, 3000);
		expect(Math.min(...live)).toBeGreaterThan(FLOOR);
		expect(Math.max(...live)).toBeGreaterThan(-40);

		await page.getByRole("button", { name: "Stop" }).click();
		await eventually(() => t.studio.golive.list(), (l) => l.length === 0, 10_000, "stopped");
		// Choosing no audio removes the meter (and its capture).
		await form.getByLabel("Audio").selectOption("none");
		await meter.waitFor({ state: "detached" });
		expect(errors).toEqual([]);
		await page.close();
	});
});
