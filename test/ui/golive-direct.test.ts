/**
 * Opening the studio straight on the Go Live view (a bookmark, a reload while there) shows the
 * panel: it used to follow the origins itself before the host had connected, and crashed with
 * "the studio host is not connected" (the app shell follows them once the engine is reachable).
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";

let t: TestStudio;
let browser: Browser;

beforeAll(async () => {
	[t, browser] = await Promise.all([startTestStudio({ embeddedRelay: true }), launchChromium(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

describe("Go Live opened directly", () => {
	it("shows its form, and no error", { timeout: 30_000 }, async () => {
		const page = await browser.newPage();
		const errors: string[] = [];
		page.on("pageerror", (e) => errors.push(e.message));
		await page.goto(`${t.web.url}#/golive`);
		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.waitFor({ timeout: 15_000 });
		await page.getByText(/Engine v\d+/).waitFor();
		expect(await page.getByText("Something went wrong").count()).toBe(0);
		expect(await page.getByText("not connected").count()).toBe(0);
		expect(errors).toEqual([]);
		await page.close();
	});
});
