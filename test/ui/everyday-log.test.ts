/**
 * Issue 14: the Log panel searches, filters by source (the logger's scope) and level, and
 * exports the lines it shows as a .log text file, in Chromium through the web host.
 */
import { readFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";

let t: TestStudio;
let browser: Browser;

beforeAll(async () => {
	[t, browser] = await Promise.all([startTestStudio(), launchChromium()]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

describe("the Log panel", () => {
	it("searches, filters by source and level, and exports what it shows", { timeout: 45_000 }, async () => {
		const alpha = t.studio.logger.scope("alpha");
		const beta = t.studio.logger.scope("beta");
		alpha.info("alpha says hello marmalade");
		alpha.warn("alpha warns about marmalade");
		beta.info("beta says hello");
		beta.error("beta failed with marmalade");

		const { page, errors } = await openStudio(browser, t.web.url);
		await page.getByRole("button", { name: "Log", exact: true }).click();
		const panel = page.getByRole("region", { name: "Log" });
		const lines = () => panel.locator(".log-message").allTextContents();
		const ours = async () => (await lines()).filter((l) => /alpha|beta/.test(l));
		await eventually(ours, (l) => l.length === 4, 10_000, "the four lines");

		await panel.getByLabel("Search the log").fill("MARMALADE");
		await eventually(lines, (l) => l.length === 3 && l.every((x) => x.includes("marmalade")), 5_000, "three lines with marmalade");

		await panel.getByLabel("Source").selectOption("alpha");
		await eventually(lines, (l) => JSON.stringify(l) === JSON.stringify(["alpha says hello marmalade", "alpha warns about marmalade"]), 5_000, "alpha's lines");

		await panel.getByLabel("Level").selectOption("warn");
		await eventually(lines, (l) => JSON.stringify(l) === JSON.stringify(["alpha warns about marmalade"]), 5_000, "alpha's warning");

		const [download] = await Promise.all([page.waitForEvent("download"), panel.getByRole("button", { name: "Export the lines shown as a .log file" }).click()]);
		expect(download.suggestedFilename()).toMatch(/^moq-studio-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.log$/);
		const text = await readFile((await download.path())!, "utf8");
		expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z WARN {2}\[alpha\] alpha warns about marmalade\n$/);

		// Back to everything: the other source's lines return.
		await panel.getByLabel("Source").selectOption({ label: "all sources" });
		await panel.getByLabel("Level").selectOption("info");
		await panel.getByLabel("Search the log").fill("");
		await eventually(ours, (l) => l.length === 4, 5_000, "the four lines again");
		expect(errors).toEqual([]);
		await page.close();
	});
});
