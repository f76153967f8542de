/**
 * Interop (issue 10): the studio's Monitor watches a broadcast that the published `<moq-publish>`
 * element from npm puts live on the studio's embedded relay.
 *
 * Debian's Chromium, with a fake camera (30 fps test pattern) and microphone (a beep), runs
 * `<moq-publish>` 0.2.17 (test/helpers/moq-publish.ts, the fixture in ./publish-page): it encodes
 * with WebCodecs and publishes a hang broadcast (`video/hd`: H.264 in Annex-B with no
 * `description` in the catalog, `audio/data`: Opus). In another tab of the same Chromium the
 * studio's UI (the built renderer through the web host) does what a user does: Broadcasts ->
 * Watch. The tile must go Live and its decode worker must turn the element's frames into a picture:
 * non-blank, changing pixels on the tile, decoded frames counted for both tracks, 0 decode errors,
 * the picture size the element announced, and the meter moving for the fake microphone's beep.
 *
 * The fixture is installed by `npm ci --prefix test/interop/publish-page`; without it this test
 * fails with that command in its message, it never skips.
 */
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { MOQ_PUBLISH_CHROMIUM_ARGS, moqPublishIsLive, startMoqPublishPage, type MoqPublishPage, type MoqPublishProbe } from "../helpers/moq-publish";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { quietLibraryLogs } from "../relay/clients";
import { pictureFacts } from "../helpers/pictures";

quietLibraryLogs();

const BROADCAST = "live/moq-publish-watch.hang";


/** The stats table's cells of the row whose label starts with `label` (video first, then audio). */
async function statsRow(page: Page, label: string): Promise<string[]> {
	return page.getByTestId("live-stats").getByRole("row", { name: new RegExp(`^${label}`) }).getByRole("cell").allTextContents();
}

let t: TestStudio | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
	[browser, t] = await Promise.all([launchChromium(MOQ_PUBLISH_CHROMIUM_ARGS), startTestStudio({ embeddedRelay: true })]);
});

afterAll(async () => {
	await browser?.close();
	await t?.close();
});

describe("the studio's Monitor watches <moq-publish> from npm", () => {
	it("Broadcasts -> Watch shows the element's camera: a live tile with changing, non-blank pixels, both tracks decoded, 0 decode errors", { timeout: 90_000 }, async () => {
		// One budget for every wait, inside the test's timeout, so a stall fails with what was seen.
		const deadline = Date.now() + 80_000;
		const left = () => Math.max(1000, deadline - Date.now());
		const t0 = performance.now();
		const marks: string[] = [];
		const mark = (what: string) => marks.push(`${what} ${((performance.now() - t0) / 1000).toFixed(1)}s`);
		const studio = t!.studio;
		let publisher: MoqPublishPage | undefined;
		let last: MoqPublishProbe | undefined;
		let ui: { page: Page; errors: string[] } | undefined;
		let scratch: Page | undefined;
		try {
			// Started here, not in beforeAll, so a missing fixture shows as this test failing (not skipped).
			publisher = await startMoqPublishPage({ browser: browser!, relayUrl: studio.embeddedRelay!.url, name: BROADCAST });
			const pub = publisher;
			last = await eventually(() => pub.probe(), moqPublishIsLive, left(), "<moq-publish> to connect, capture and fill its catalog");
			mark("element live");
			const display = last.videoCatalog?.display;
			const rendition = last.videoCatalog?.renditions["video/hd"];
			// What the element publishes, and what the studio's player must cope with: no avcC description (Annex-B).
			expect(rendition?.codec).toMatch(/^avc1\./);
			expect((rendition as { description?: string } | undefined)?.description).toBeUndefined();

			// The user's path: Broadcasts -> Watch.
			ui = await openStudio(browser!, `${t!.web.url}#/broadcasts`);
			const page = ui.page;
			scratch = await browser!.newPage();
			await page.getByRole("button", { name: "Broadcasts" }).click();
			await page.getByRole("button", { name: `Watch ${BROADCAST}` }).click({ timeout: left() });
			await page.getByRole("heading", { name: "Monitor" }).waitFor();
			const tile: Locator = page.getByRole("listitem", { name: `Monitor of ${BROADCAST}` });
			await tile.waitFor({ timeout: left() });
			mark("watching");
			await eventually(() => tile.getByTestId("tally").textContent(), (s) => s === "Live", left(), "the tally to say Live");
			// The element encodes only while someone subscribes: the monitor's subscription starts it.
			await eventually(() => pub.probe(), (p) => p.videoActive && p.audioActive, left(), "the element to serve video and audio");
			mark("live");

			// Frames decode: both tracks counted by the decode worker, and not one decode error.
			const decoded = await eventually(
				async () => (await statsRow(page, "Decoded")).map(Number),
				(c) => c.length === 2 && c[0]! >= 30 && c[1]! > 10,
				left(),
				"decoded video and audio frames",
			);
			mark("decoded");
			expect(await statsRow(page, "Decode errors")).toEqual(["0", "0"]);
			// At the picture size the element announced.
			if (display) expect((await statsRow(page, "Picture"))[0]).toBe(`${display.width}×${display.height}`);

			// The picture: not blank, and changing (the fake camera's pattern moves every frame).
			const picture = tile.getByTestId("monitor-picture");
			const first = await eventually(async () => pictureFacts(scratch!, await picture.screenshot()), (f) => f.stddev > 10, left(), "a non-blank picture");
			const later = await eventually(
				async () => pictureFacts(scratch!, await picture.screenshot()),
				(f) => f.stddev > 10 && f.signature.some((v, i) => Math.abs(v - first.signature[i]!) > 4),
				left(),
				"the picture to change",
			);
			mark("moving picture");

			// The fake microphone's beep moves the meter off the -60 floor.
			const meter = tile.getByRole("meter");
			await eventually(async () => Number(await meter.getAttribute("aria-valuenow")), (db) => db > -50, left(), "the meter to move for the beep");

			// Still clean after all that.
			expect(await statsRow(page, "Decode errors")).toEqual(["0", "0"]);
			const info = (await studio.handlers["monitor.list"]({})).find((m) => m.path === BROADCAST && !m.closed);
			expect(info?.video).toBe("video/hd");
			expect(info?.audio).toBe("audio/data");
			expect(ui.errors).toEqual([]);
			expect(pub.errors).toEqual([]);
			process.stdout.write(
				`[interop] studio Monitor watched <moq-publish> ${BROADCAST}: ${rendition?.codec} ${display?.width}x${display?.height} (Annex-B, no description); ` +
					`decoded video ${decoded[0]} audio ${decoded[1]}, 0 decode errors; picture stddev ${first.stddev.toFixed(0)} -> ${later.stddev.toFixed(0)}; ` +
					`engine tracks ${info?.tracks.map((tr) => `${tr.name} ${tr.frames} frames ${tr.skippedGroups}+${tr.skippedFrames} skipped`).join(", ")}; ${marks.join(", ")}\n`,
			);
		} catch (err) {
			const engineLog = studio.logger
				.recent("debug", 40)
				.map((e) => `${e.level} ${e.scope} ${e.message}`)
				.join("\n");
			throw new Error(
				`${err instanceof Error ? err.message : String(err)}\n--- progress: ${marks.join(", ") || "none"} ---\n--- element ---\n${JSON.stringify(last)}` +
					`\n--- studio page errors ---\n${ui?.errors.join("\n") ?? ""}\n--- element page errors ---\n${publisher?.errors.join("\n") ?? ""}` +
					`\n--- element console ---\n${publisher?.logs.slice(-20).join("\n") ?? ""}\n--- engine log ---\n${engineLog}`,
				{ cause: err },
			);
		} finally {
			await scratch?.close();
			await ui?.page.close();
			await publisher?.close();
		}
	});
});
