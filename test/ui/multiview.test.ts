/**
 * Multiview end to end: four broadcasts published into a standalone relay (the studio publishes
 * four looping H.264 + Opus files from one origin through one session and consumes them back
 * from the relay into another, so killing the relay cuts the monitors off exactly as a remote
 * relay going away would). Chromium (through the web host) shows them in a 2×2 multiview picked
 * from the empty tiles; the relay is killed (every tile stalls, "no frames for N s") and restarted
 * on the same port (the sessions reconnect and republish: every tile recovers in epoch 2 with a
 * moving picture); one publisher stops (its tile says Ended and keeps its last frame, frozen);
 * the page is reloaded (the layout and the four tiles come back from the saved preferences).
 * Also: a click solos a tile's audio, a double-click enlarges it and back.
 */
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRelay, type RelayHandle } from "../../electron/engine/relay";
import { launchChromium } from "../helpers/browser";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";
import { pictureFacts, type PictureFacts } from "../helpers/pictures";

quietLibraryLogs();

const PATHS = ["wall/a.hang", "wall/b.hang", "wall/c.hang", "wall/d.hang"];
/** Quick reconnects: the relay comes back within a second or two. */
const BACKOFF = { initial: 200, multiplier: 1.5, max: 1000 };

let relay: RelayHandle;
let t: TestStudio;
let browser: Browser;
let remove: () => Promise<void>;
let watchOrigin: string;
const publications = new Map<string, string>();

beforeAll(async () => {
	const tmp = await tempDir("moq-multiview-");
	remove = tmp.remove;
	let file: string;
	[file, relay, t, browser] = await Promise.all([
		makeH264Mp4(`${tmp.dir}/show.mp4`, 4),
		startTestRelay(),
		startTestStudio({ dataDir: `${tmp.dir}/data` }),
		launchChromium(),
	]);
	const h = t.studio.handlers;
	const pub = await h["origins.create"]({ name: "pub" });
	const watch = await h["origins.create"]({ name: "watch" });
	watchOrigin = watch.id;
	await h["sessions.connect"]({ url: relay.url, publishOrigin: pub.id, backoff: BACKOFF });
	await h["sessions.connect"]({ url: relay.url, consumeOrigin: watch.id, backoff: BACKOFF });
	for (const path of PATHS) publications.set(path, (await h["publishing.start"]({ originId: pub.id, path, file, loop: true })).id);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await relay?.close();
	await remove?.();
});


const differs = (a: PictureFacts, b: PictureFacts) => a.signature.some((v, i) => Math.abs(v - b.signature[i]!) > 4);

/**
 * A screenshot of `tile`'s picture. Clipped from the page rather than an element screenshot: the
 * 2×2 grid fits the viewport, and an element screenshot first waits for the element to be
 * "stable" over animation frames, which a loaded machine (2 cores shared by several test runs)
 * can hold off for longer than any timeout while the pictures keep playing.
 */
async function shot(tile: Locator): Promise<Buffer> {
	const box = await tile.getByTestId("monitor-picture").boundingBox();
	if (!box) throw new Error("the picture is not shown");
	return tile.page().screenshot({ clip: box });
}

/** Waits for a non-blank picture on `tile`, then for it to change. */
async function expectMoving(scratch: Page, tile: Locator, what: string): Promise<void> {
	const facts = async () => pictureFacts(scratch, await shot(tile));
	const first = await eventually(facts, (f) => f.stddev > 20, 30_000, `a non-blank picture on ${what}`);
	await eventually(facts, (f) => f.stddev > 20 && differs(f, first), 30_000, `the picture of ${what} to change`);
}

const tileOf = (page: Page, path: string) => page.getByRole("listitem", { name: `Monitor of ${path}` });
const tally = (tile: Locator) => tile.getByTestId("tally").textContent();

describe("Multiview", () => {
	it("shows four broadcasts, stalls and recovers with the relay, keeps an ended one's last frame, and comes back after a reload", { timeout: 300_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/monitor`, { viewport: { width: 1280, height: 1000 } });
		const scratch = await browser.newPage();

		// A 2×2 layout, then each empty tile picks one of the broadcasts consumed from the relay.
		await page.getByRole("radio", { name: "4 tiles" }).click();
		expect(await page.getByRole("radio", { name: "4 tiles" }).getAttribute("aria-checked")).toBe("true");
		const grid = page.getByRole("list", { name: "Watched broadcasts" });
		await eventually(() => grid.getByRole("listitem").count(), (n) => n === 4, 5000, "four tiles");
		for (const [i, path] of PATHS.entries()) {
			await page.getByRole("button", { name: `Pick a broadcast for tile ${i + 1}` }).click();
			const picker = page.getByRole("dialog", { name: `Pick a broadcast for tile ${i + 1}` });
			await picker.getByRole("searchbox").fill(path);
			// The same path is in both origins (published from "pub", consumed back into "watch").
			await picker.getByRole("button", { name: `${path} · watch` }).click();
			await tileOf(page, path).waitFor();
		}
		expect(await grid.getByRole("listitem").evaluateAll((items) => items.map((el) => el.getAttribute("aria-label")))).toEqual(PATHS.map((p) => `Monitor of ${p}`));
		const monitors = await t.studio.handlers["monitor.list"]({});
		expect(monitors.map((m) => [m.originId, m.path]).sort()).toEqual(PATHS.map((p) => [watchOrigin, p]));
		for (const path of PATHS) {
			await eventually(() => tally(tileOf(page, path)), (s) => s === "Live", 20_000, `${path} live`);
			await expectMoving(scratch, tileOf(page, path), path);
		}

		// A click solos a tile's audio; another tile's click moves it there. A double-click
		// enlarges (the other tiles hide, and stop painting), and back.
		const [a, b] = [tileOf(page, PATHS[0]!), tileOf(page, PATHS[1]!)];
		await a.getByTestId("monitor-picture").click();
		await a.getByRole("button", { name: "Mute", exact: true }).waitFor();
		await b.getByTestId("monitor-picture").click();
		await b.getByRole("button", { name: "Mute", exact: true }).waitFor();
		expect(await page.getByRole("button", { name: "Mute", exact: true }).count()).toBe(1);
		await b.getByTestId("monitor-picture").dblclick();
		await eventually(() => grid.locator('[role="listitem"]:visible').count(), (n) => n === 1, 5000, "one tile shown");
		expect(await b.isVisible()).toBe(true);
		await b.getByTestId("monitor-picture").dblclick();
		await eventually(() => grid.locator('[role="listitem"]:visible').count(), (n) => n === 4, 5000, "the grid back");
		await b.getByRole("button", { name: "Mute", exact: true }).click();
		expect(await page.getByRole("button", { name: "Mute", exact: true }).count()).toBe(0);

		// The relay goes away: every tile stalls and says for how long no frame came.
		const port = relay.port;
		await relay.close();
		for (const path of PATHS) {
			const tile = tileOf(page, path);
			await eventually(() => tally(tile), (s) => s === "Stalled", 20_000, `${path} stalled`);
			await eventually(() => tile.getByTestId("tally-note").textContent(), (s) => /^no frames for \d+ s$/.test(s ?? ""), 5000, `${path}'s stall note`);
			expect(await tile.getAttribute("data-epoch")).toBe("1");
		}
		const note = await tileOf(page, PATHS[0]!).getByTestId("tally-note").textContent();
		await eventually(() => tileOf(page, PATHS[0]!).getByTestId("tally-note").textContent(), (s) => s !== note, 5000, "the stall note to count up");

		// The relay is back on the same port: the sessions reconnect, the publisher's broadcasts are
		// announced again, and every tile follows them in epoch 2 with a moving picture.
		relay = await startRelay({ host: "127.0.0.1", port });
		for (const path of PATHS) {
			const tile = tileOf(page, path);
			await eventually(async () => [await tally(tile), await tile.getAttribute("data-epoch")], ([s, e]) => s === "Live" && e === "2", 60_000, `${path} live in epoch 2`).catch(async (err: unknown) => {
				// Say where it stopped: the relay has the broadcast again, but does the consuming origin?
				const consumed = (await t.studio.handlers["broadcasts.list"]({})).some((b) => b.originId === watchOrigin && b.path === path);
				const atRelay = relay.stats().routes.some((r) => r.path === path);
				throw new Error(`${err instanceof Error ? err.message : String(err)} (at the relay: ${atRelay}; in the consuming origin: ${consumed})`);
			});
			await expectMoving(scratch, tile, `${path} in epoch 2`);
		}

		// One publisher stops: its tile says Ended and keeps its last frame, which no longer changes.
		const ended = tileOf(page, PATHS[3]!);
		await t.studio.handlers["publishing.stop"]({ id: publications.get(PATHS[3]!)! });
		await eventually(() => tally(ended), (s) => s === "Ended", 20_000, "the stopped broadcast's tile to say Ended");
		const last = await pictureFacts(scratch, await shot(ended));
		expect(last.stddev).toBeGreaterThan(20);
		await page.waitForTimeout(1000);
		expect(differs(await pictureFacts(scratch, await shot(ended)), last)).toBe(false);
		for (const path of PATHS.slice(0, 3)) expect(await tally(tileOf(page, path))).toBe("Live");

		// A reload: the layout and the four tiles come back (the ended one waits for its broadcast).
		await page.waitForTimeout(600); // the preferences are saved shortly after a change
		await page.reload();
		await page.getByRole("heading", { name: "Monitor" }).waitFor();
		await eventually(() => page.getByRole("radio", { name: "4 tiles" }).getAttribute("aria-checked"), (c) => c === "true", 10_000, "the 2×2 layout back");
		for (const path of PATHS) await tileOf(page, path).waitFor({ timeout: 15_000 });
		expect(await grid.getByRole("listitem").evaluateAll((items) => items.map((el) => el.getAttribute("aria-label")))).toEqual(PATHS.map((p) => `Monitor of ${p}`));
		for (const path of PATHS.slice(0, 3)) {
			await eventually(() => tally(tileOf(page, path)), (s) => s === "Live", 20_000, `${path} live after the reload`);
			await expectMoving(scratch, tileOf(page, path), `${path} after the reload`);
		}
		expect(await tally(ended)).toMatch(/^(Waiting|Ended)$/);
		// The previous page's monitors were closed: four open, all of this page.
		await eventually(async () => (await t.studio.handlers["monitor.list"]({})).length, (n) => n === 4, 20_000, "four monitors open in the engine");

		await scratch.close();
		expect(errors.filter((e) => !/Stopped watching/.test(e))).toEqual([]);
		await page.close();
	});
});
