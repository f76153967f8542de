/**
 * Issue 14: toasts expire (errors stay longest), do not expire while hovered or focused, and stack
 * at most three with the older ones collapsed into "+N more". The toast stack and its store run
 * in real Chromium (bundled from the source) on Playwright's fake clock, so nothing here waits for
 * real seconds.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { bundleForPage, openHarness } from "../helpers/ui";

const HARNESS = `
import { createRoot } from "react-dom/client";
import { Notifications } from "./renderer/src/components/Notifications";
import { useNotifications } from "./renderer/src/stores/notifications";
import { StudioError } from "./shared/errors";

(window as unknown as { toasts: unknown }).toasts = {
	push: (kind: "error" | "warning" | "info", title: string) => useNotifications.getState().push(kind, title, "detail"),
	error: (title: string, code: "INVALID_ARGUMENT" | "CONNECT", message: string) => useNotifications.getState().error(title, new StudioError(code, message)),
};
createRoot(document.getElementById("root")!).render(<><p id="content">content</p><Notifications /></>);
`;

let browser: Browser;
let script: string;
let page: Page;

beforeAll(async () => {
	[browser, script] = await Promise.all([launchChromium(), bundleForPage(HARNESS)]);
});
afterAll(async () => {
	await browser?.close();
});
beforeEach(async () => {
	page?.close().catch(() => undefined);
	page = (await openHarness(browser, ";")).page;
	// The fake clock must be in place before the store arms its timers.
	await page.clock.install();
	await page.addScriptTag({ content: script });
});

const push = (kind: "error" | "warning" | "info", title: string) =>
	page.evaluate(([k, t]) => (window as unknown as { toasts: { push(k: string, t: string): void } }).toasts.push(k!, t!), [kind, title]);
const titles = () => page.locator(".toast strong").allTextContents();

describe("toasts", () => {
	it("expire: information after 5 s, errors after 15 s", async () => {
		await push("info", "Saved");
		await push("error", "Could not save");
		expect(await titles()).toEqual(["Saved", "Could not save"]);
		await page.clock.runFor(5_100);
		expect(await titles()).toEqual(["Could not save"]);
		await page.clock.runFor(9_000);
		expect(await titles()).toEqual(["Could not save"]);
		await page.clock.runFor(1_000);
		expect(await titles()).toEqual([]);
	});

	it("stay while hovered or focused, and expire after the pointer or focus leaves", async () => {
		await push("error", "Cannot connect");
		await page.locator(".toast").hover();
		await page.clock.runFor(60_000);
		expect(await titles()).toEqual(["Cannot connect"]);
		await page.mouse.move(5, 5);
		await page.clock.runFor(1_000);
		expect(await titles()).toEqual(["Cannot connect"]);
		await page.clock.runFor(15_000);
		expect(await titles()).toEqual([]);

		await push("warning", "Disconnected");
		await page.getByRole("button", { name: "Dismiss" }).focus();
		await page.clock.runFor(60_000);
		expect(await titles()).toEqual(["Disconnected"]);
		await page.locator("#content").click();
		await page.clock.runFor(10_100);
		expect(await titles()).toEqual([]);
	});

	it("stack at most three; older ones collapse into +N more", async () => {
		for (let i = 1; i <= 5; i++) await push("error", `Problem ${i}`);
		expect(await titles()).toEqual(["Problem 3", "Problem 4", "Problem 5"]);
		const more = page.getByRole("button", { name: "2 more notifications" });
		expect(await more.textContent()).toBe("+2 more");
		await more.click();
		expect(await titles()).toEqual(["Problem 1", "Problem 2", "Problem 3", "Problem 4", "Problem 5"]);
		await page.getByRole("button", { name: "Dismiss all" }).click();
		expect(await titles()).toEqual([]);
	});

	it("say what happened in sentences; the code is behind Details", async () => {
		await page.evaluate(() =>
			(window as unknown as { toasts: { error(t: string, c: string, m: string): void } }).toasts.error(
				"Could not create the origin",
				"INVALID_ARGUMENT",
				"origins.create: name: an origin name has at most 80 characters",
			),
		);
		const toast = page.getByRole("alert");
		expect(await toast.locator(".toast-detail").textContent()).toBe("An origin name has at most 80 characters. Check the value and try again.");
		expect(await toast.locator("details").getAttribute("open")).toBeNull();
		expect(await toast.locator("details code").textContent()).toBe("INVALID_ARGUMENT: origins.create: name: an origin name has at most 80 characters");
	});
});
