/**
 * Auto-record rules in the UI (Chromium through the web host): a rule is created in the
 * Recordings view, the broadcasts published under its prefix show up in its list as they are
 * recorded and finished (one outside the prefix does not), and deleting it asks first.
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
	({ dir, remove } = await tempDir("moq-ui-auto-rec-"));
	[t, browser] = await Promise.all([startTestStudio({ embeddedRelay: true, recordingsDir: `${dir}/recordings` }), launchChromium()]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

describe("Auto-record rules in the UI", () => {
	it("creates a rule, lists what it recorded, and deletes it", { timeout: 90_000 }, async () => {
		const file = await makeH264Mp4(`${dir}/show.mp4`, 2);
		const origin = t.studio.origins.list().find((o) => o.name === "studio")!;
		const { page, errors } = await openStudio(browser, t.web.url);
		await page.getByRole("button", { name: "Recordings" }).click();

		const form = page.getByRole("form", { name: "New auto-record rule" });
		await form.getByLabel("Origin to watch").selectOption({ label: "studio" });
		// A prefix with a space cannot be submitted.
		await form.getByLabel("Path prefix to record").fill("bad prefix");
		expect(await form.getByRole("button", { name: "Add rule" }).isDisabled()).toBe(true);
		await form.getByLabel("Path prefix to record").fill("shows");
		await form.getByRole("button", { name: "Add rule" }).click();
		const card = page.getByRole("listitem", { name: "Rule: every broadcast under shows of studio" });
		await card.getByText("Nothing recorded yet").waitFor({ timeout: 10_000 });
		const [rule] = t.studio.autoRecord.list();
		expect(rule).toMatchObject({ originId: origin.id, prefix: "shows", format: "mp4" });

		await Promise.all([
			t.studio.publishing.start({ originId: origin.id, path: "shows/a.hang", file }),
			t.studio.publishing.start({ originId: origin.id, path: "other/b.hang", file }),
		]);
		const entries = card.getByRole("list", { name: "Recorded by the rule every broadcast under shows of studio" });
		const entry = entries.getByRole("listitem").filter({ hasText: "shows/a.hang" });
		await entry.getByText(/finished/).waitFor({ timeout: 30_000 });
		await entry.getByText(/^shows_a-\d{8}-\d{6}\.mp4$/).waitFor();
		await card.getByText(/1 recorded/).waitFor();
		expect(await entries.getByRole("listitem").count()).toBe(1);
		expect(await card.getByText("other/b.hang").count()).toBe(0);
		const recorded = t.studio.autoRecord.list()[0]!.recordings[0]!;
		expect(recorded).toMatchObject({ path: "shows/a.hang", state: "finished", end: "ended" });
		expect(await decodeErrors(recorded.file!)).toBe("");

		// Deleting asks first; the rule leaves the list and the engine.
		await card.getByRole("button", { name: "Delete the rule every broadcast under shows of studio" }).click();
		await page.getByRole("dialog").getByRole("button", { name: "Delete rule" }).click();
		await card.waitFor({ state: "detached", timeout: 10_000 });
		expect(t.studio.autoRecord.list()).toEqual([]);
		expect(errors).toEqual([]);
		await page.close();
	});
});
