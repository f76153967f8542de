/**
 * Issue 14: a wrong token shows a page that says the address or token is wrong and what to do,
 * not the full studio with "Engine unreachable"; a studio that is down (right token) still shows
 * the studio with "Engine unreachable" and reconnects, not the wrong-token page.
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

describe("the web host's token", () => {
	it("a wrong token shows a page that says so and what to do", { timeout: 30_000 }, async () => {
		const page = await browser.newPage();
		await page.goto(`${t.web.origin}/?token=not-the-token`);
		const alert = page.getByRole("alert");
		await alert.getByRole("heading", { name: "This address or its token is wrong" }).waitFor({ timeout: 15_000 });
		const text = (await alert.textContent()) ?? "";
		expect(text).toContain("moq-studio web");
		expect(text).toContain("npm run web");
		expect(text).toContain(t.web.origin.replace("http://", ""));
		// Not the studio: no navigation, no "Engine unreachable".
		expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);
		expect(await page.getByText("Engine unreachable").count()).toBe(0);
		await page.close();
	});

	it("without a token the page says which address to open", { timeout: 15_000 }, async () => {
		const page = await browser.newPage();
		await page.goto(`${t.web.origin}/`);
		await page.getByRole("alert").getByRole("heading", { name: "This page needs the studio's address" }).waitFor();
		expect(await page.getByRole("alert").textContent()).toContain("moq-studio web");
		await page.close();
	});

	it("a studio that stops is 'Engine unreachable', not a wrong token", { timeout: 60_000 }, async () => {
		const own = await startTestStudio();
		const { page } = await openStudio(browser, own.web.url);
		await own.close();
		await page.getByText("Engine unreachable").waitFor({ timeout: 40_000 });
		// Several reconnect attempts fail meanwhile (250, 500, 1000 ms…): none may be taken for a refusal.
		const deadline = Date.now() + 3_000;
		while (Date.now() < deadline) {
			expect(await page.getByRole("heading", { name: "This address or its token is wrong" }).count()).toBe(0);
			await new Promise((r) => setTimeout(r, 250));
		}
		await page.getByRole("navigation", { name: "Main" }).waitFor();
		await page.close();
	});
});
