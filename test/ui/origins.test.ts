/**
 * Origins, settings, the log panel and keyboard use in Chromium: an origin created in the UI is
 * attached to two sessions as their publish origin (checked in the engine), dialogs trap focus
 * and close on Escape, the theme override is applied and persisted by the engine.
 *
 * Each test opens its own page; the browser, the studio and its sessions are shared, and only
 * the first test changes what the sessions publish.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { launchChromium } from "../helpers/browser";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio, sessionCard } from "../helpers/ui";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio;
let relay: RelayHandle;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
	[t, relay, browser] = await Promise.all([startTestStudio({ embeddedRelay: true }), startTestRelay(), launchChromium()]);
	t.studio.sessions.connect({ url: relay.url });
});
afterAll(async () => {
	await browser?.close();
	await relay?.close();
	await t?.close();
});
beforeEach(async () => {
	({ page, errors } = await openStudio(browser, t.web.url));
});
afterEach(async () => {
	await page?.close();
});

const nav = (name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("button", { name, exact: true }).click();

describe("Origins, settings and keyboard use in Chromium", () => {
	it("attaches a new origin to two sessions as their publish origin", { timeout: 45_000 }, async () => {
		const embedded = new URL(t.studio.embeddedRelay!.url).host;
		const external = new URL(relay.url).host;
		await sessionCard(page, external).getByText("Connected").waitFor({ timeout: 15_000 });

		await nav("Origins");
		await page.getByLabel("New origin name").fill("show");
		await page.getByRole("button", { name: "Create origin" }).click();
		const card = page.getByRole("listitem", { name: "Origin show" });
		await card.waitFor();
		await card.getByRole("button", { name: "Attach show to sessions" }).click();

		const dialog = page.getByRole("dialog", { name: "Attach show" });
		await dialog.getByRole("checkbox", { name: `Publish show to ${embedded}` }).check();
		await dialog.getByRole("checkbox", { name: `Publish show to ${external}` }).check();
		// The embedded session published "studio": the dialog says what the change replaces.
		await dialog.getByText("replaces studio").waitFor();
		await dialog.getByRole("button", { name: "Apply" }).click();
		await dialog.waitFor({ state: "hidden" });

		const show = t.studio.origins.list().find((o) => o.name === "show")!;
		await eventually(
			() => t.studio.sessions.list().filter((s) => s.publishOrigin === show.id && s.phase !== "closed").length,
			(n) => n === 2,
			15_000,
			"two sessions publishing show",
		);
		const published = card.getByRole("list", { name: "Published to" });
		await published.getByText(embedded).waitFor();
		await published.getByText(external).waitFor();

		// The Sessions view shows the new flow on both cards, which reconnect under new ids.
		await nav("Sessions");
		for (const host of [embedded, external]) {
			const session = sessionCard(page, host);
			await session.getByText("Connected").waitFor({ timeout: 15_000 });
			await session.locator(".flow").first().getByText("show").waitFor();
		}
		expect(errors).toEqual([]);
	});

	it("renames and deletes an origin with a confirmation", async () => {
		await nav("Origins");
		await page.getByLabel("New origin name").fill("scratch");
		await page.getByRole("button", { name: "Create origin" }).click();
		await page.getByRole("button", { name: "Rename scratch" }).click();
		const input = page.getByLabel("New name for scratch");
		await input.fill("scratch-2");
		await input.press("Enter");
		await page.getByRole("listitem", { name: "Origin scratch-2" }).waitFor();
		await page.getByRole("button", { name: "Delete scratch-2" }).click();
		await page.getByRole("dialog", { name: "Delete scratch-2?" }).getByRole("button", { name: "Delete" }).click();
		await page.getByRole("listitem", { name: "Origin scratch-2" }).waitFor({ state: "detached" });
		expect(t.studio.origins.list().map((o) => o.name)).not.toContain("scratch-2");
		expect(errors).toEqual([]);
	});

	it("opens the add-relay dialog from the keyboard, keeps focus inside and closes on Escape", async () => {
		await nav("Sessions");
		const add = page.getByRole("button", { name: "Add relay" });
		await add.focus();
		await page.keyboard.press("Enter");
		const dialog = page.getByRole("dialog", { name: "Add a relay" });
		await dialog.waitFor();
		await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("session-url");
		// Tabbing through every control never leaves the dialog.
		for (let i = 0; i < 25; i++) {
			await page.keyboard.press("Tab");
			const inside = await page.evaluate(() => Boolean(document.activeElement?.closest("dialog[open]")) || document.activeElement === document.body);
			expect(inside).toBe(true);
		}
		await page.keyboard.press("Escape");
		await dialog.waitFor({ state: "hidden" });
		await expect(add.evaluate((el) => el === document.activeElement)).resolves.toBe(true);

		// A wrong pin is explained next to its field, before anything reaches the engine.
		await add.click();
		await dialog.getByLabel("Relay URL").fill("https://relay.example.com/");
		await dialog.getByLabel("Certificate pin (sha-256)").fill("abc");
		await dialog.getByRole("button", { name: "Connect" }).click();
		await dialog.getByRole("alert").getByText(/64 hex digits/).waitFor();
		await page.keyboard.press("Escape");
		expect(errors).toEqual([]);
	});

	it("labels every control", async () => {
		for (const view of ["Sessions", "Origins", "Broadcasts"]) {
			await nav(view);
			const unlabelled = await page.evaluate(() => {
				const controls = [...document.querySelectorAll("button, input, select, [tabindex='0']")] as HTMLElement[];
				return controls
					.filter((el) => !el.closest("dialog:not([open])"))
					.filter((el) => {
						const labelled = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || (el as HTMLInputElement).labels?.length;
						return !labelled && !(el.textContent ?? "").trim();
					})
					.map((el) => el.outerHTML.slice(0, 120));
			});
			expect(unlabelled, view).toEqual([]);
		}
		expect(errors).toEqual([]);
	});

	it("applies and persists the theme override, and shows the log with a level filter", { timeout: 30_000 }, async () => {
		await page.getByRole("button", { name: "Settings" }).click();
		const settings = page.getByRole("dialog", { name: "Settings" });
		await settings.getByText("Light").click();
		await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe("light");
		await eventually(() => t.studio.handlers["preferences.get"]({}) as Record<string, unknown>, (p) => p["ui.theme"] === "light", 5000, "the saved theme");
		await settings.getByText("System").click();
		await expect(page.evaluate(() => document.documentElement.dataset.theme ?? "none")).resolves.toBe("none");
		await page.keyboard.press("Escape");

		t.studio.logger.scope("test").error("a test error line");
		t.studio.logger.scope("test").debug("a test debug line");
		await page.getByRole("button", { name: /^Log/ }).click();
		const log = page.getByRole("region", { name: "Log" });
		await log.getByText("a test error line").waitFor();
		expect(await log.getByText("a test debug line").count()).toBe(0);
		await log.getByLabel("Level").selectOption("debug");
		await log.getByText("a test debug line").waitFor();
		await log.getByLabel("Level").selectOption("error");
		await eventually(() => log.getByText("a test debug line").count(), (n) => n === 0, 5000, "debug lines hidden");
		await log.getByText("a test error line").waitFor();
		await log.getByRole("button", { name: "Hide log" }).click();
		await log.waitFor({ state: "detached" });
		expect(errors).toEqual([]);
	});
});
