/**
 * Issue 14, Settings as a person uses them in real Chromium through the web host: the default Go
 * Live quality and origin fill the Go Live form (and survive a reload: the engine keeps them), a
 * choice made in the form stays while switching views, and the theme follows the OS in "System"
 * and ignores it when forced.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";

let t: TestStudio;
let browser: Browser;

beforeAll(async () => {
	[t, browser] = await Promise.all([startTestStudio({ embeddedRelay: true }), launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream"])]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

async function openSettings(page: Page) {
	await page.getByRole("button", { name: "Settings" }).click();
	const dialog = page.getByRole("dialog", { name: "Settings" });
	await dialog.waitFor();
	return dialog;
}

const goTo = (page: Page, view: string) => page.evaluate((v) => (window.location.hash = `#/${v}`), view);

/** The Go Live form's chosen origin (by name) and quality (by id). */
async function goLiveChoice(page: Page): Promise<{ origin: string; preset: string }> {
	const form = page.getByRole("form", { name: "Go Live settings" });
	await form.waitFor();
	const origin = await form.getByLabel("Origin").evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]?.textContent ?? "");
	return { origin, preset: await form.getByLabel("Quality").inputValue() };
}

describe("Settings", () => {
	it("default Go Live quality and origin fill the Go Live form, also after a reload", { timeout: 60_000 }, async () => {
		await t.studio.handlers["origins.create"]({ name: "stage" });
		const { page, errors } = await openStudio(browser, `${t.web.url}#/golive`);
		await eventually(() => goLiveChoice(page), (c) => c.origin === "studio" && c.preset === "720p30", 10_000, "the built-in defaults");

		const dialog = await openSettings(page);
		const group = dialog.getByRole("group", { name: "Go Live" });
		await group.getByLabel("Default quality").selectOption("1080p30");
		await group.getByLabel("Default origin").selectOption({ label: "stage" });
		await dialog.getByRole("button", { name: "Done" }).click();
		// Changing the defaults applies to the form at once.
		await eventually(() => goLiveChoice(page), (c) => c.origin === "stage" && c.preset === "1080p30", 10_000, "the new defaults in the form");

		// A choice in the form is the person's: switching views keeps it.
		await page.getByRole("form", { name: "Go Live settings" }).getByLabel("Quality").selectOption("1080p60");
		await goTo(page, "sessions");
		await page.getByRole("form", { name: "Go Live settings" }).waitFor({ state: "detached" });
		await goTo(page, "golive");
		expect(await goLiveChoice(page)).toEqual({ origin: "stage", preset: "1080p60" });

		// The engine saved them: a fresh page starts with them.
		await eventually(() => t.studio.handlers["preferences.get"]({}), (p) => p["ui.goLivePreset"] === "1080p30" && typeof p["ui.goLiveOrigin"] === "string", 10_000, "the saved defaults");
		await page.close();
		const again = await openStudio(browser, `${t.web.url}#/golive`);
		await eventually(() => goLiveChoice(again.page), (c) => c.origin === "stage" && c.preset === "1080p30", 10_000, "the saved defaults after a reload");
		// Going live uses them: 1080p asked of the camera.
		const form = again.page.getByRole("form", { name: "Go Live settings" });
		await form.getByLabel("Broadcast path").fill("live/defaults.hang");
		await form.getByRole("button", { name: "Go Live" }).click();
		await again.page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
		const live = await eventually(() => t.studio.golive.list(), (l) => l.length === 1, 10_000, "live");
		const stage = (await t.studio.handlers["origins.list"]({})).find((o) => o.name === "stage")!;
		expect(live[0]!.originId).toBe(stage.id);
		await again.page.getByRole("button", { name: "Stop" }).click();
		await eventually(() => t.studio.golive.list(), (l) => l.length === 0, 10_000, "stopped");
		expect([...errors, ...again.errors]).toEqual([]);
		await again.page.close();
	});

	it("theme: System follows the OS, Light and Dark do not", { timeout: 30_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/sessions`);
		const scheme = () => page.evaluate(() => getComputedStyle(document.documentElement).colorScheme);
		const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
		await page.emulateMedia({ colorScheme: "light" });
		await eventually(scheme, (s) => s === "light", 5_000, "light with the OS");
		const light = await background();
		await page.emulateMedia({ colorScheme: "dark" });
		await eventually(scheme, (s) => s === "dark", 5_000, "dark with the OS");
		expect(await background()).not.toBe(light);

		const dialog = await openSettings(page);
		await dialog.getByRole("group", { name: "Theme" }).getByText("Light").click();
		// Forced light while the OS is dark, and it stays when the OS changes.
		await eventually(scheme, (s) => s === "light", 5_000, "forced light");
		expect(await background()).toBe(light);
		await page.emulateMedia({ colorScheme: "light" });
		await dialog.getByRole("group", { name: "Theme" }).getByText("Dark").click();
		await eventually(scheme, (s) => s === "dark", 5_000, "forced dark under a light OS");
		await dialog.getByRole("group", { name: "Theme" }).getByText("System").click();
		await eventually(scheme, (s) => s === "light", 5_000, "back to the OS");
		expect(errors).toEqual([]);
		await page.close();
	});
});
