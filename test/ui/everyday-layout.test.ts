/**
 * Issue 14: at the minimum window size (900×600) no view overflows sideways: every view, with
 * long relay URLs, origin names and broadcast paths on screen and the log open, keeps
 * `scrollWidth <= clientWidth` on the page, the content area and every scroll container, and
 * long URLs end in an ellipsis with the full text in a title.
 */
import * as Moq from "@moq/net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHELL_VIEWS as VIEWS } from "../../shared/shell-channel";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { openStudio } from "../helpers/ui";
import { tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;
let remove: () => Promise<void>;

const LONG = "a-very-long-segment-that-keeps-going-and-going";
const LONG_URL = `http://127.0.0.1:9/${LONG}/${LONG}/${LONG}/relay`;
const LONG_PATH = `live/${LONG}/${LONG}/${LONG}.hang`;

beforeAll(async () => {
	let dir: string;
	({ dir, remove } = await tempDir("moq-ui-layout-"));
	[t, browser] = await Promise.all([startTestStudio({ embeddedRelay: true, recordingsDir: `${dir}/recordings` }), launchChromium()]);
	const origin = t.studio.origins.create(`origin-${LONG}`.slice(0, 80));
	// A relay that is not there: the card shows its URL and the backoff error.
	await t.studio.handlers["sessions.connect"]({ url: LONG_URL, publishOrigin: origin.id, backoff: { initial: 60_000, max: 60_000 } });
	await t.studio.handlers["recordings.start"]({ originId: origin.id, path: LONG_PATH });
	// A live broadcast with a long path for the Broadcasts and Monitor views.
	t.studio.origins.addBroadcast(origin.id, new LocalBroadcast(`other/${LONG}/${LONG}/${LONG}.hang`, new Moq.Broadcast.Producer()));
	t.studio.logger.scope("layout-test").warn(`a long log line without spaces ${LONG.repeat(8)}`);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

/** Every element that scrolls or overflows sideways, with its sizes. */
async function overflows(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const found: string[] = [];
		const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${[...el.classList].join(".")}`;
		const root = document.documentElement;
		if (root.scrollWidth > root.clientWidth) found.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
		for (const el of document.querySelectorAll("body *")) {
			const style = getComputedStyle(el);
			if (style.display === "none" || style.position === "fixed") continue;
			const scrolls = style.overflowX === "auto" || style.overflowX === "scroll";
			// A scroll container wider inside than out scrolls sideways; an element with visible overflow
			// that sticks out of the window is cut off.
			if (scrolls && el.scrollWidth > el.clientWidth + 1) found.push(`${describe(el)} scrolls ${el.scrollWidth} > ${el.clientWidth}`);
			const box = el.getBoundingClientRect();
			if (box.width > 0 && box.right > root.clientWidth + 1) found.push(`${describe(el)} ends at ${Math.round(box.right)} > ${root.clientWidth}`);
		}
		return found;
	});
}

describe("the narrow layout (900×600)", () => {
	it("has no horizontal overflow in any view, with the log open", { timeout: 90_000 }, async () => {
		const { page, errors } = await openStudio(browser, t.web.url, { viewport: { width: 900, height: 600 } });
		await page.getByRole("button", { name: "Log", exact: true }).click();
		await page.getByRole("region", { name: "Log" }).waitFor();
		const report: Record<string, string[]> = {};
		for (const view of VIEWS) {
			await page.evaluate((v) => (window.location.hash = `/${v}`), view);
			await page.locator(".content .view, .content section").first().waitFor();
			if (view === "sessions") await page.getByTitle(LONG_URL, { exact: true }).waitFor();
			if (view === "recordings") await page.getByText(LONG_PATH).first().waitFor();
			if (view === "broadcasts") await page.getByText(`other/${LONG}`).first().waitFor();
			// Let late content (lists, stats) arrive before measuring.
			await page.waitForTimeout(300);
			report[view] = await overflows(page);
		}
		// The dialogs too: adding a relay (with its backoff unfolded) and Settings.
		await page.evaluate(() => (window.location.hash = "/sessions"));
		await page.getByRole("button", { name: "Add relay" }).click();
		const dialog = page.getByRole("dialog", { name: "Add a relay" });
		await dialog.getByText("Reconnect backoff").click();
		report["add relay dialog"] = await overflows(page);
		await dialog.getByRole("button", { name: "Cancel" }).click();
		await page.getByRole("button", { name: "Settings" }).click();
		await page.getByRole("dialog", { name: "Settings" }).waitFor();
		report["settings dialog"] = await overflows(page);
		expect(report).toEqual(Object.fromEntries([...VIEWS, "add relay dialog", "settings dialog"].map((v) => [v, []])));
		expect(errors).toEqual([]);
		await page.close();
	});

	it("truncates a long relay URL with an ellipsis and shows it whole in a title", { timeout: 30_000 }, async () => {
		const { page } = await openStudio(browser, t.web.url, { viewport: { width: 900, height: 600 } });
		await page.evaluate(() => (window.location.hash = "/sessions"));
		const url = page.getByTitle(LONG_URL, { exact: true });
		await url.waitFor();
		const shape = await url.evaluate((el) => ({
			title: el.getAttribute("title"),
			ellipsis: getComputedStyle(el).textOverflow,
			cut: el.scrollWidth > el.clientWidth,
		}));
		expect(shape).toEqual({ title: LONG_URL, ellipsis: "ellipsis", cut: true });
		await page.close();
	});
});
