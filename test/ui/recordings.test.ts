/**
 * Recording from the UI: a broadcast of an origin is recorded from the Recordings view, followed
 * live there, stopped, and the file decodes.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { openStudio } from "../helpers/ui";
import { decodeErrors, makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;
let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-ui-rec-"));
	[t, browser] = await Promise.all([startTestStudio({ embeddedRelay: true, recordingsDir: `${dir}/recordings` }), launchChromium()]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

describe("Recordings in the UI", () => {
	it("records a broadcast of an origin, shows progress, stops, and the file decodes", { timeout: 60_000 }, async () => {
		const file = await makeH264Mp4(`${dir}/show.mp4`, 3);
		const origin = t.studio.origins.list().find((o) => o.name === "studio")!;
		await t.studio.publishing.start({ originId: origin.id, path: "shows/loop.hang", file, loop: true });

		const { page, errors } = await openStudio(browser, t.web.url);
		await page.getByRole("button", { name: "Recordings" }).click();
		await page.getByLabel("Origin to record from").selectOption({ label: "studio" });
		await page.getByLabel("Broadcast path to record").fill("shows/loop.hang");
		await page.getByRole("form", { name: "New recording" }).getByRole("button", { name: "Record" }).click();
		const card = page.getByRole("list", { name: "Recordings" }).getByRole("listitem").first();
		await card.getByText(/recording · [1-9]\d*\.\d s/).waitFor({ timeout: 20_000 });
		await card.getByRole("button", { name: "Stop recording shows/loop.hang" }).click();
		await card.getByText("stopped").waitFor({ timeout: 20_000 });

		const [recording] = t.studio.recordings.list();
		expect(recording).toMatchObject({ state: "finished", end: "stopped", path: "shows/loop.hang" });
		expect(recording!.file).toMatch(new RegExp(`^${dir}/recordings/shows_loop-\\d{8}-\\d{6}\\.mp4$`));
		expect(await decodeErrors(recording!.file!)).toBe("");
		expect(errors).toEqual([]);
		await page.close();
	});
});
