/**
 * The Broadcasts view's row actions under load: 10,000 announced broadcasts, each row carrying
 * Watch, Record and Copy path buttons, scrolled through end to end with the wheel (the pointer
 * over the buttons) and by jumps. A per-row tooltip component once looped React ("maximum update
 * depth exceeded") under exactly this; the page must log no error and keep its count. Then the
 * actions themselves, from the buttons and from the context menu: Copy path fills the clipboard,
 * Record starts a recording in the engine, Watch opens the Monitor view on the row.
 */
import * as Moq from "@moq/net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { tempDir } from "../media/media-helpers";

const COUNT = 10_000;
const name = (i: number) => `actions/room-${String(i % 100).padStart(2, "0")}/b-${String(i).padStart(5, "0")}.hang`;

let t: TestStudio;
let browser: Browser;
let remove: () => Promise<void>;
const producers: Moq.Broadcast.Producer[] = [];

beforeAll(async () => {
	const tmp = await tempDir("moq-actions-");
	remove = tmp.remove;
	[t, browser] = await Promise.all([startTestStudio({ recordingsDir: tmp.dir, dataDir: `${tmp.dir}/data` }), launchChromium()]);
});
afterAll(async () => {
	for (const p of producers) p.close();
	await browser?.close();
	await t?.close();
	await remove?.();
});

describe("Broadcasts row actions", () => {
	it("scrolls 10,000 rows carrying action buttons without a React error, and the actions work", { timeout: 180_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/broadcasts`, { permissions: ["clipboard-read", "clipboard-write"] });
		const origin = t.studio.origins.create("actions");
		for (let i = 0; i < COUNT; i++) {
			const producer = new Moq.Broadcast.Producer();
			producers.push(producer);
			t.studio.origins.addBroadcast(origin.id, new LocalBroadcast(name(i), producer));
		}
		const count = page.getByTestId("broadcast-count");
		await eventually(() => count.textContent(), (c) => c === String(COUNT), 60_000, `${COUNT} live broadcasts`);
		const first = page.locator(`li[data-path="${name(0)}"]`);
		await first.getByRole("button", { name: `Watch ${name(0)}` }).waitFor();

		// A slow machine (React's update-depth loops showed only when renders were slow): CPU throttled while scrolling.
		const cdp = await page.context().newCDPSession(page);
		await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
		// Scroll as a user does, the pointer resting on the first row's Watch button as rows pass under it.
		const box = (await first.getByRole("button", { name: `Watch ${name(0)}` }).boundingBox())!;
		await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
		const scroller = page.locator(".table-scroll");
		const total = await scroller.evaluate((el) => el.scrollHeight);
		for (let step = 0; step < 60; step++) await page.mouse.wheel(0, total / 60);
		// Then by jumps, as a dragged scrollbar does: to the end and back, through the middle.
		for (const at of [1, 0.5, 0.25, 0.75, 1, 0]) {
			await scroller.evaluate((el, f) => (el.scrollTop = f * (el.scrollHeight - el.clientHeight)), at);
			await page.mouse.wheel(0, 300);
			await page.mouse.move(box.x + box.width / 2 + 30, box.y + box.height / 2 + 44);
			await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
		}
		// Dwell on a button until its title or tooltip would show, then scroll the row away under the pointer.
		for (let step = 0; step < 8; step++) {
			await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 + (step % 3) * 44);
			await page.waitForTimeout(600);
			await page.mouse.wheel(0, 44 * 7);
			await page.waitForTimeout(100);
		}
		await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
		// The last row is reachable and carries its buttons.
		await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
		const lastPath = name(9999); // the largest path: room-99 with the highest index
		await page.getByRole("button", { name: `Copy path ${lastPath}` }).waitFor();

		expect(errors).toEqual([]);
		expect(await count.isVisible()).toBe(true);
		expect(await count.textContent()).toBe(String(COUNT));

		// Copy path from the row's button.
		await page.getByRole("button", { name: `Copy path ${lastPath}` }).click();
		await eventually(() => page.evaluate(() => navigator.clipboard.readText()), (s) => s === lastPath, 10_000, "the path in the clipboard");

		// The context menu offers the same actions; Escape closes it.
		await scroller.evaluate((el) => (el.scrollTop = 0));
		await first.click({ button: "right" });
		const menu = page.getByRole("menu", { name: `Actions for ${name(0)}` });
		await menu.waitFor();
		expect(await menu.getByRole("menuitem").allTextContents()).toEqual([" Watch", " Record", " Copy path"]);
		await page.keyboard.press("Escape");
		await menu.waitFor({ state: "detached" });

		// Record from the context menu: the engine records that broadcast, the user is told.
		await first.click({ button: "right" });
		await menu.getByRole("menuitem", { name: "Record" }).click();
		// The flood's broadcasts carry no media: the recording waits for it and says so.
		await page.getByRole("status").filter({ hasText: `${name(0)}: recording starts when its media arrives` }).waitFor();
		const recordings = await t.studio.handlers["recordings.list"]({});
		expect(recordings.map((r) => r.path)).toContain(name(0));

		// Watch from the context menu: the Monitor view opens on that broadcast.
		await first.click({ button: "right" });
		await menu.getByRole("menuitem", { name: "Watch" }).click();
		await page.getByRole("listitem", { name: `Monitor of ${name(0)}` }).waitFor();

		expect(errors).toEqual([]);
		await page.close();
	});
});
