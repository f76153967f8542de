/**
 * Issue 14: Settings offers the desktop shell's preferences (close to tray, notifications) in the
 * desktop host only, read from and written to the engine's preferences under the keys the shell
 * reads (`electron/shell/settings.ts`). The dialog runs in real Chromium (bundled from the source)
 * over a recording stand-in for the host's API.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShellPreference } from "../../electron/shell/settings";
import { DESKTOP_SETTINGS } from "../../renderer/src/components/SettingsDialog";
import { launchChromium } from "../helpers/browser";
import { bundleForPage, eventually, openHarness } from "../helpers/ui";

const HARNESS = `
import { createRoot } from "react-dom/client";
import { SettingsDialog } from "./renderer/src/components/SettingsDialog";
import { useHost } from "./renderer/src/stores/host";

const calls: { method: string; args: unknown }[] = [];
const saved: Record<string, unknown> = { "notify.live": false };
const api = {
	invoke: async (method: string, args: { preferences?: Record<string, unknown> }) => {
		calls.push({ method, args });
		if (method === "preferences.get") return { ...saved };
		if (method === "preferences.set") return Object.assign(saved, args.preferences);
		throw new Error("unexpected " + method);
	},
	on: () => () => undefined,
};
(window as unknown as { harness: unknown }).harness = {
	calls,
	mount(kind: "electron" | "web") {
		useHost.setState({ kind, api: api as never, connected: true });
		createRoot(document.getElementById("root")!).render(<SettingsDialog open onClose={() => undefined} />);
	},
};
`;

let browser: Browser;
let script: string;

beforeAll(async () => {
	[browser, script] = await Promise.all([launchChromium(), bundleForPage(HARNESS)]);
});
afterAll(async () => {
	await browser?.close();
});

async function mount(kind: "electron" | "web"): Promise<Page> {
	const { page } = await openHarness(browser, script);
	await page.evaluate((k) => (window as unknown as { harness: { mount(k: string): void } }).harness.mount(k), kind);
	await page.getByRole("dialog", { name: "Settings" }).waitFor();
	return page;
}

describe("desktop settings", () => {
	it("use the keys and defaults of the desktop shell", () => {
		const shellKeys = Object.values(ShellPreference).filter((k) => k !== ShellPreference.trayNoticeShown);
		expect(DESKTOP_SETTINGS.map((s) => s.key).sort()).toEqual([...shellKeys].sort());
		expect(DESKTOP_SETTINGS.every((s) => s.fallback)).toBe(true);
	});

	it("show in the desktop host, read the saved values and save a change", { timeout: 20_000 }, async () => {
		const page = await mount("electron");
		const group = page.getByRole("group", { name: "Desktop" });
		const tray = group.getByRole("checkbox", { name: /Keep running in the tray/ });
		const live = group.getByRole("checkbox", { name: /goes live/ });
		await eventually(() => live.isChecked(), (c) => c === false, 5_000, "the saved notify.live");
		expect(await tray.isChecked()).toBe(true);
		await tray.uncheck();
		const calls = () => page.evaluate(() => (window as unknown as { harness: { calls: { method: string; args: unknown }[] } }).harness.calls);
		await eventually(calls, (c) => c.some((x) => x.method === "preferences.set"), 5_000, "a save");
		expect((await calls()).filter((x) => x.method === "preferences.set")).toEqual([{ method: "preferences.set", args: { preferences: { "shell.closeToTray": false } } }]);
		await page.close();
	});

	it("in a browser offer only the notification switches, with the browser's permission (no tray)", { timeout: 20_000 }, async () => {
		const page = await mount("web");
		await page.getByRole("group", { name: "Theme" }).waitFor();
		expect(await page.getByRole("group", { name: "Desktop" }).count()).toBe(0);
		const group = page.getByRole("group", { name: "Notifications" });
		await group.waitFor();
		expect(await group.locator("[data-setting]").evaluateAll((els) => els.map((e) => e.getAttribute("data-setting")))).toEqual([
			"notify.live",
			"notify.recording",
			"notify.sessionFailed",
			"notify.sessionReconnected",
		]);
		await page.close();
	});
});
