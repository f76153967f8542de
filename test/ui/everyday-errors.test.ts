/**
 * Issue 14: errors shown to a person are sentences, not internals. The mapping (`lib/errors`) on
 * the engine's real messages, then the studio in Chromium through the web host: a refused origin
 * name (toast), a bad relay URL (inline form error) and a session that stopped reconnecting (card)
 * read as sentences; the code stays behind "Details" and in the Log view.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StudioError } from "../../shared/errors";
import { explainError } from "../../renderer/src/lib/errors";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { openStudio } from "../helpers/ui";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

/** What a sentence for a person must not contain: code names, method names, stack paths, "Gave up:". */
const INTERNALS = /\b[A-Z]+_[A-Z_]+\b|\b(origins|sessions|recordings|publishing|golive)\.[a-z]+\b|\.(ts|js):\d+|gave up reconnecting|Gave up:/;

describe("explainError", () => {
	const cases: [StudioError, string][] = [
		[new StudioError("INVALID_ARGUMENT", "origins.create: name: an origin needs a name"), "An origin needs a name."],
		[new StudioError("INVALID_ARGUMENT", "origins.create: name: Too small: expected string to have >=1 characters"), "The name is empty."],
		[new StudioError("CONNECT", "gave up reconnecting: connection refused by 127.0.0.1:9 (is the relay running?)"), "Connection refused by 127.0.0.1:9 (is the relay running?)."],
		[new StudioError("ALREADY_EXISTS", 'origin "studio" already has a broadcast at "live/studio.hang"'), "Something is already live at live/studio.hang."],
		[new StudioError("INTERNAL", "Cannot read properties of undefined (reading 'x')\n    at f (/work/main/out/main/index.js:12:3)"), "Cannot read properties of undefined (reading 'x')."],
		[new StudioError("IO", "cannot write /tmp/x.mp4: EACCES at write (/work/main/electron/engine/record/sink.ts:40:7)"), "Cannot write /tmp/x.mp4: EACCES."],
	];
	it.each(cases)("%s", (err, sentence) => {
		const e = explainError(err);
		expect(e.sentence).toBe(sentence);
		expect(`${e.sentence} ${e.advice}`).not.toMatch(INTERNALS);
		expect(e.details).toContain(err.codeName);
	});

	it("explains the wire form of an error (a session's lastError)", () => {
		expect(explainError({ code: -6, name: "UNAUTHORIZED", message: "the relay refused the credentials (HTTP 401)" })).toMatchObject({
			sentence: "The relay refused the credentials (HTTP 401).",
			advice: "Check the token in the session's settings.",
			code: "UNAUTHORIZED",
		});
	});
});

let t: TestStudio;
let browser: Browser;

beforeAll(async () => {
	[t, browser] = await Promise.all([startTestStudio(), launchChromium()]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

describe("errors in the studio", () => {
	it("a refused origin name is a sentence in the toast; the code is in Details and the log", { timeout: 30_000 }, async () => {
		t.studio.origins.create("show");
		const { page, errors } = await openStudio(browser, `${t.web.url}#/origins`);
		await page.getByLabel("New origin name").fill("show");
		await page.getByRole("button", { name: "Create origin" }).click();
		const toast = page.getByRole("alert").filter({ hasText: "Could not create the origin" });
		await toast.waitFor();
		const detail = await toast.locator(".toast-detail").textContent();
		expect(detail).toBe('An origin named "show" already exists. Choose another name.');
		expect(detail).not.toMatch(INTERNALS);
		await toast.getByText("Details").click();
		expect(await toast.locator("details code").textContent()).toMatch(/^ALREADY_EXISTS: /);

		await page.getByRole("button", { name: "Log", exact: true }).click();
		await page.getByRole("region", { name: "Log" }).getByText(/Could not create the origin: ALREADY_EXISTS/).waitFor();
		expect(errors).toEqual([]);
		await page.close();
	});

	it("a bad relay URL is a sentence in the form", { timeout: 30_000 }, async () => {
		const { page } = await openStudio(browser, `${t.web.url}#/sessions`);
		await page.getByRole("button", { name: "Add relay" }).click();
		const dialog = page.getByRole("dialog", { name: "Add a relay" });
		await dialog.getByLabel("Relay URL").fill("ftp://relay.example.com/");
		await dialog.getByRole("button", { name: "Connect" }).click();
		const alert = dialog.getByRole("alert");
		await alert.waitFor();
		const text = (await alert.textContent()) ?? "";
		expect(text).toMatch(/^Unsupported relay URL scheme ftp: \(use https:\/\/ or http:\/\/\)\. /);
		expect(text).not.toMatch(INTERNALS);
		await page.close();
	});

	it("a session that stopped reconnecting says so in a sentence, not 'Gave up: gave up reconnecting'", { timeout: 30_000 }, async () => {
		await t.studio.handlers["sessions.connect"]({ url: "http://127.0.0.1:9/", backoff: { initial: 100, max: 100, timeout: 300 } });
		const { page } = await openStudio(browser, `${t.web.url}#/sessions`);
		const problem = page.locator(".session-problem.bad");
		await problem.waitFor({ timeout: 20_000 });
		// What shows with Details folded.
		const text = await problem.evaluate((el) => {
			const copy = el.cloneNode(true) as HTMLElement;
			copy.querySelector("details")?.remove();
			return copy.textContent ?? "";
		});
		expect(text).toContain("Stopped reconnecting.");
		expect(text).toContain("Connection refused by 127.0.0.1:9");
		expect(text).not.toMatch(INTERNALS);
		// The toast says it too, in words.
		const toast = page.getByRole("alert").filter({ hasText: "Stopped reconnecting to 127.0.0.1:9" });
		if (await toast.count()) expect(await toast.first().locator(".toast-detail").textContent()).not.toMatch(INTERNALS);
		await page.close();
	});
});
