/**
 * Issue 14: the Recordings view does not claim "is being recorded" while it only waits for the
 * broadcast (waiting, recording and why it stopped are distinct), and the sidebar shows that
 * something is on air from every view while a file publication runs. In Chromium through the
 * web host.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHELL_VIEWS } from "../../shared/shell-channel";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { openStudio } from "../helpers/ui";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;
let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-ui-everyday-rec-"));
	[t, browser] = await Promise.all([startTestStudio({ embeddedRelay: true, recordingsDir: `${dir}/recordings` }), launchChromium()]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

describe("recording states", () => {
	it("waiting is not recording; then recording; then why it stopped", { timeout: 60_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/recordings`);
		await page.getByLabel("Origin to record from").selectOption({ label: "studio" });
		await page.getByLabel("Broadcast path to record").fill("later/show.hang");
		await page.getByRole("form", { name: "New recording" }).getByRole("button", { name: "Record" }).click();

		const card = page.getByRole("list", { name: "Recordings" }).getByRole("listitem").first();
		const status = card.locator("[data-recording-status]");
		await status.and(page.locator('[data-recording-status="waiting"]')).waitFor();
		expect(await status.textContent()).toBe("Waiting for the broadcast to be announced; nothing is written yet.");
		await page.getByRole("status").filter({ hasText: "Waiting to record" }).waitFor();
		expect(await page.getByText("is being recorded").count()).toBe(0);

		// The broadcast arrives: now it records, and the toast says so.
		const file = await makeH264Mp4(`${dir}/show.mp4`, 3);
		const origin = t.studio.origins.list().find((o) => o.name === "studio")!;
		const publication = await t.studio.publishing.start({ originId: origin.id, path: "later/show.hang", file, loop: true });
		await status.and(page.locator('[data-recording-status="recording"]')).waitFor({ timeout: 20_000 });
		expect(await status.textContent()).toBe("Writing to the file.");
		await page.getByRole("status").filter({ hasText: "later/show.hang is being recorded." }).waitFor();

		// The sidebar says something is on air, from every view.
		for (const view of SHELL_VIEWS) {
			await page.evaluate((v) => (window.location.hash = `/${v}`), view);
			await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: /^On air: Publishing a file/ }).waitFor();
		}

		await page.evaluate(() => (window.location.hash = "/recordings"));
		await card.getByRole("button", { name: "Stop recording later/show.hang" }).click();
		await status.and(page.locator('[data-recording-status="finished"]')).waitFor({ timeout: 20_000 });
		expect(await status.textContent()).toBe("Stopped by you.");

		await t.studio.publishing.stop(publication.id);
		await page.getByRole("button", { name: /^On air/ }).waitFor({ state: "detached", timeout: 10_000 });
		expect(errors).toEqual([]);
		await page.close();
	});
});
