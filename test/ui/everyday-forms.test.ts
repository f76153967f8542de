/**
 * Issue 14: forms refuse what cannot work before sending it: an empty origin name disables
 * Create, and a session's backoff "longest wait" below "first retry" is refused with a message
 * (nothing reaches the engine). In Chromium through the web host.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { openStudio } from "../helpers/ui";

let t: TestStudio;
let browser: Browser;

beforeAll(async () => {
	[t, browser] = await Promise.all([startTestStudio(), launchChromium()]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

describe("form validation", () => {
	it("an empty origin name disables Create", { timeout: 30_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/origins`);
		const create = page.getByRole("button", { name: "Create origin" });
		const name = page.getByLabel("New origin name");
		expect(await create.isDisabled()).toBe(true);
		await name.fill("   ");
		expect(await create.isDisabled()).toBe(true);
		// Enter in the empty field sends nothing either.
		await name.press("Enter");
		await name.fill("show");
		expect(await create.isEnabled()).toBe(true);
		await create.click();
		await page.getByRole("list", { name: "Origins" }).getByText("show", { exact: true }).waitFor();
		expect(await page.getByRole("alert").count()).toBe(0);
		expect(t.studio.origins.list().map((o) => o.name)).not.toContain("   ");
		expect(errors).toEqual([]);
		await page.close();
	});

	it("refuses a longest wait below the first retry, with a message on the field", { timeout: 30_000 }, async () => {
		const before = t.studio.sessions.list().length;
		const { page } = await openStudio(browser, `${t.web.url}#/sessions`);
		await page.getByRole("button", { name: "Add relay" }).click();
		const dialog = page.getByRole("dialog", { name: "Add a relay" });
		await dialog.getByLabel("Relay URL").fill("http://127.0.0.1:9/");
		await dialog.getByText("Reconnect backoff").click();
		await dialog.getByLabel("First retry (s)").fill("10");
		await dialog.getByLabel("Longest wait (s)").fill("5");
		await dialog.getByRole("button", { name: "Connect" }).click();
		const message = dialog.getByRole("alert");
		await message.waitFor();
		expect(await message.textContent()).toBe("The longest wait cannot be shorter than the first retry (10 s).");
		expect(await dialog.getByLabel("Longest wait (s)").getAttribute("aria-invalid")).toBe("true");
		expect(t.studio.sessions.list().length).toBe(before);

		// Fixed, it connects.
		await dialog.getByLabel("Longest wait (s)").fill("30");
		await dialog.getByRole("button", { name: "Connect" }).click();
		await dialog.waitFor({ state: "hidden" });
		expect(t.studio.sessions.list().length).toBe(before + 1);
		await page.close();
	});
});
