/**
 * The recordings library in the UI: a file the engine recorded before the host restarted is
 * listed by the new host with what it holds and where it came from; it is renamed and deleted
 * from the view, and a rename onto a taken name is refused without touching either file.
 */
import { copyFile, readdir } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, until } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio | undefined;
let browser: Browser;
let dir: string;
let recordings: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-ui-library-"));
	recordings = `${dir}/recordings`;
	browser = await launchChromium();
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

describe("the recordings library in the UI", () => {
	it("lists a file after a host restart, renames and deletes it", { timeout: 90_000 }, async () => {
		// A first run of the host records a file publication, then stops.
		const source = await makeH264Mp4(`${dir}/show.mp4`, 3);
		t = await startTestStudio({ embeddedRelay: true, recordingsDir: recordings });
		const originId = t.studio.origins.list().find((o) => o.name === "studio")!.id;
		await t.studio.handlers["publishing.start"]({ originId, path: "lib/show.hang", file: source, loop: true });
		await t.studio.handlers["recordings.start"]({ originId, path: "lib/show.hang", fileName: "show.mp4", durationS: 3 });
		await until(() => t!.studio.recordings.list()[0]?.state === "finished", 30_000, "recording finished");
		await t.close();
		t = undefined;
		await copyFile(`${recordings}/show.mp4`, `${recordings}/other.mp4`);

		// A new host on the same folder: its run has recorded nothing, the folder holds two files.
		t = await startTestStudio({ embeddedRelay: true, recordingsDir: recordings });
		const { page, errors } = await openStudio(browser, t.web.url);
		await page.getByRole("button", { name: "Recordings" }).click();
		const files = page.getByRole("list", { name: "Recording files" });
		const row = files.getByRole("listitem", { name: "File show.mp4" });
		await row.waitFor({ timeout: 15_000 });
		expect(await page.getByText("No recordings yet").count()).toBe(0);
		const summary = await row.locator("[data-file-summary]").innerText();
		expect(summary).toMatch(/^complete · 0:0\d\.\d · \d+(\.\d)? kB · video avc 320×240, audio opus$/);
		await row.getByText("lib/show.hang from studio via http").waitFor();
		expect(await row.locator("[data-file-path]").innerText()).toBe(`${recordings}/show.mp4`);
		// The copy has no sidecar: listed all the same, without a source.
		await files.getByRole("listitem", { name: "File other.mp4" }).getByText(/^Created|^Modified/).waitFor();
		// The web host cannot open a file manager: no reveal, the path is there to copy.
		expect(await row.getByRole("button", { name: "Show show.mp4 in its folder" }).count()).toBe(0);
		await row.getByRole("button", { name: "Copy path of show.mp4" }).click();
		await page.getByRole("status").filter({ hasText: `${recordings}/show.mp4` }).first().waitFor();

		// A taken name: refused, both files as they were.
		await row.getByRole("button", { name: "Rename show.mp4" }).click();
		await row.getByLabel("New name for show.mp4").fill("other");
		await row.getByRole("button", { name: "Save name" }).click();
		await page.getByRole("alert").filter({ hasText: "Could not rename show.mp4" }).waitFor();
		expect((await readdir(recordings)).sort()).toEqual(["other.mp4", "show.mp4", "show.mp4.json"]);

		await row.getByLabel("New name for show.mp4").fill("Friday show");
		await row.getByRole("button", { name: "Save name" }).click();
		const renamed = files.getByRole("listitem", { name: "File Friday show.mp4" });
		await renamed.waitFor();
		await renamed.getByText("lib/show.hang from studio").waitFor();
		expect((await readdir(recordings)).sort()).toEqual(["Friday show.mp4", "Friday show.mp4.json", "other.mp4"]);

		// Delete asks first; "Keep it" keeps it.
		await renamed.getByRole("button", { name: "Delete Friday show.mp4" }).click();
		const dialog = page.getByRole("dialog", { name: "Delete Friday show.mp4?" });
		await dialog.getByRole("button", { name: "Keep it" }).click();
		await dialog.waitFor({ state: "hidden" });
		expect(await readdir(recordings)).toContain("Friday show.mp4");
		await renamed.getByRole("button", { name: "Delete Friday show.mp4" }).click();
		await dialog.getByRole("button", { name: "Delete", exact: true }).click();
		await renamed.waitFor({ state: "detached" });
		expect((await readdir(recordings)).sort()).toEqual(["other.mp4"]);

		// A file put in the folder from outside shows after the next change the view hears of.
		await copyFile(`${recordings}/other.mp4`, `${recordings}/third.mp4`);
		await t.studio.handlers["recordings.rename"]({ name: "other.mp4", newName: "second" });
		await files.getByRole("listitem", { name: "File third.mp4" }).waitFor();
		await files.getByRole("listitem", { name: "File second.mp4" }).waitFor();
		await eventually(() => files.getByRole("listitem").count(), (n) => n === 2, 5_000, "two files listed");

		expect(errors).toEqual([]);
		await page.close();
	});
});
