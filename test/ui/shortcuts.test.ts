/**
 * The studio's keyboard shortcuts in the web host, as a user presses them: Ctrl+1…6 switch views,
 * Ctrl+Shift+L toggles the log, Ctrl+L goes live with the current setup and stops again, and
 * Ctrl+R records the broadcast whose Broadcasts row has the focus. The desktop app's menu sends
 * the same requests (electron/shell/menu.ts); both land in renderer/src/lib/shortcuts.ts.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;

beforeAll(async () => {
	t = await startTestStudio({ embeddedRelay: true });
	browser = await launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

const heading = (name: string) => ({ level: 1, name });

describe("keyboard shortcuts", () => {
	it("switch views, toggle the log, go live and stop, and record the focused broadcast", { timeout: 90_000 }, async () => {
		const { page, errors } = await openStudio(browser, t.web.url);
		const views = ["Sessions", "Origins", "Broadcasts", "Monitor", "Go Live", "Recordings"];
		for (const [i, name] of views.entries()) {
			await page.keyboard.press(`Control+Digit${i + 1}`);
			await page.getByRole("heading", heading(name)).waitFor({ timeout: 5000 });
		}

		await page.keyboard.press("Control+Shift+KeyL");
		await page.getByRole("button", { name: "Log", pressed: true }).waitFor({ timeout: 5000 });
		await page.keyboard.press("Control+Shift+KeyL");
		await page.getByRole("button", { name: "Log", pressed: false }).waitFor({ timeout: 5000 });

		// Go live from any view with the Go Live form's current setup, then stop with the same key.
		await page.keyboard.press("Control+Digit1");
		await page.keyboard.press("Control+KeyL");
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
		const live = await eventually(() => t.studio.golive.list(), (l) => l.length === 1, 10_000, "one live broadcast");
		await page.keyboard.press("Control+KeyL");
		await page.getByRole("status", { name: "Live status" }).waitFor({ state: "detached", timeout: 15_000 });
		await eventually(() => t.studio.golive.list(), (l) => l.length === 0, 10_000, "no live broadcast");

		// A broadcast to record: a file publication would do, but the one we just ended is gone;
		// go live again and record it from its focused Broadcasts row.
		await page.keyboard.press("Control+KeyL");
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
		const path = live[0]!.path;
		await page.keyboard.press("Control+Digit3");
		const row = page.locator(`li[data-path="${path}"][data-state="live"]`);
		await row.getByRole("button", { name: "Copy path" }).focus();
		await page.keyboard.press("Control+KeyR");
		const recording = await eventually(() => t.studio.recordings.list(), (l) => l.length === 1, 10_000, "a recording");
		expect(recording[0]!.path).toBe(path);
		await t.studio.recordings.stop(recording[0]!.id);
		await page.keyboard.press("Control+KeyL");
		await page.getByRole("status", { name: "Live status" }).waitFor({ state: "detached", timeout: 15_000 });

		expect(errors).toEqual([]);
		await page.close();
	});
});
