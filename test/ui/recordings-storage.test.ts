/**
 * Recordings storage in the UI (through the web host, in Chromium): the Recordings view shows
 * the folder's free space; an interrupted file is finalized from its row into a regular MP4 the
 * library lists as complete; Settings changes the recordings folder and the minimum free space,
 * and a minimum above what the disk has turns the free-space line into a warning and refuses a
 * new recording; a recording split into segments from the form reaches the engine as such.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { openStudio } from "../helpers/ui";
import { makeH264Mp4, probeStreams, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, until } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio | undefined;
let browser: Browser;
let dir: string;
let recordings: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-ui-storage-"));
	recordings = `${dir}/recordings`;
	browser = await launchChromium();
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

describe("recordings storage in the UI", () => {
	it("shows free space, finalizes an interrupted file, and changes the folder and minimum in Settings", { timeout: 120_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/show.mp4`, 3);
		t = await startTestStudio({ embeddedRelay: true, recordingsDir: recordings });
		const originId = t.studio.origins.list().find((o) => o.name === "studio")!.id;
		await t.studio.handlers["recordings.configure"]({ minFreeMB: 1 });
		await t.studio.handlers["publishing.start"]({ originId, path: "ui/show.hang", file: source, loop: true });
		await t.studio.handlers["recordings.start"]({ originId, path: "ui/show.hang", fileName: "show.mp4", durationS: 3 });
		await until(() => t!.studio.recordings.list()[0]?.state === "finished", 30_000, "recording finished");
		// A copy without its final index (the mfra box, sized by its last 4 bytes): what a crash leaves.
		const bytes = await readFile(`${recordings}/show.mp4`);
		await writeFile(`${recordings}/cut.mp4`, bytes.subarray(0, bytes.length - bytes.readUInt32BE(bytes.length - 4)));

		const { page, errors } = await openStudio(browser, t.web.url);
		await page.getByRole("button", { name: "Recordings" }).click();
		const space = page.locator("[data-disk-space]");
		await space.waitFor({ timeout: 15_000 });
		expect(await space.getAttribute("data-disk-space")).toBe("ok");
		expect(await space.innerText()).toMatch(/^\s*[\d.]+ [kMGT]?B free of [\d.]+ [kMGT]?B · recordings need 1\.0 MB$/);

		const files = page.getByRole("list", { name: "Recording files" });
		const cut = files.getByRole("listitem", { name: "File cut.mp4" });
		await cut.waitFor({ timeout: 15_000 });
		expect(await cut.getAttribute("data-file-state")).toBe("interrupted");
		// A complete file has nothing to finalize.
		expect(await files.getByRole("listitem", { name: "File show.mp4" }).getByRole("button", { name: /^Finalize/ }).count()).toBe(0);
		await cut.getByRole("button", { name: "Finalize cut.mp4 into a regular MP4" }).click();
		const finalized = files.getByRole("listitem", { name: "File cut-finalized.mp4" });
		await finalized.waitFor({ timeout: 15_000 });
		expect(await finalized.getAttribute("data-file-state")).toBe("complete");
		expect((await probeStreams(`${recordings}/cut-finalized.mp4`)).map((s) => s.codec)).toEqual(["h264", "opus"]);

		// Settings: a new folder and a minimum no disk here has.
		await page.getByRole("button", { name: "Settings" }).click();
		const dialog = page.getByRole("dialog", { name: "Settings" });
		const group = dialog.getByRole("group", { name: "Recordings" });
		const folder = group.getByLabel("Folder for new recordings");
		await expect.poll(() => folder.inputValue(), { timeout: 10_000 }).toBe(recordings);
		const elsewhere = `${dir}/elsewhere`;
		await folder.fill(elsewhere);
		await group.getByLabel("Minimum free space (MB)").fill("100000000");
		await group.getByRole("button", { name: "Save recording settings" }).click();
		await expect.poll(() => t!.studio.handlers["recordings.settings"]({}), { timeout: 10_000 }).toMatchObject({ folder: elsewhere, custom: true, minFreeMB: 100_000_000 });
		expect(await readdir(elsewhere)).toEqual([]);
		// The form shows what the engine kept (a chosen folder can go back to the default).
		await group.getByRole("button", { name: "Use the default folder" }).waitFor();
		// A relative folder is refused with the engine's words; the saved one stays.
		await folder.fill("relative/folder");
		await group.getByRole("button", { name: "Save recording settings" }).click();
		await page.getByRole("alert").filter({ hasText: "Could not save the recording settings" }).waitFor();
		expect((await t.studio.handlers["recordings.settings"]({})).folder).toBe(elsewhere);
		await dialog.getByRole("button", { name: "Done" }).click();

		// The view follows: the new folder is empty, its space is low, and a recording is refused.
		await page.locator('[data-disk-space="low"]').waitFor({ timeout: 10_000 });
		expect(await page.locator("[data-disk-space]").innerText()).toMatch(/Disk space low/);
		await page.getByLabel("Broadcast path to record").fill("ui/show.hang");
		await page.getByRole("button", { name: "Record", exact: true }).click();
		await page.getByRole("alert").filter({ hasText: "Could not record ui/show.hang" }).waitFor();
		expect(await readdir(elsewhere)).toEqual([]);

		// With room again, a recording split into files every 15 minutes reaches the engine as such.
		await t.studio.handlers["recordings.configure"]({ minFreeMB: 1 });
		await page.locator('[data-disk-space="ok"]').waitFor({ timeout: 10_000 });
		await page.getByLabel("New file every").selectOption({ label: "File every 15 min" });
		await page.getByLabel("Broadcast path to record").fill("ui/split.hang");
		await page.getByRole("button", { name: "Record", exact: true }).click();
		await expect.poll(() => t!.studio.recordings.list().find((r) => r.path === "ui/split.hang")?.segmentMinutes, { timeout: 10_000 }).toBe(15);
		await page.getByText(/new file every 15 min/).first().waitFor();
		expect(errors).toEqual([]);
	});
});
