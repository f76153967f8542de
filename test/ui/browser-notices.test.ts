/**
 * Notifications in the web host: the engine decides what is worth one with the desktop shell's
 * rules (electron/shell/notifications.ts) and the page shows it with the browser's Notification
 * API while it is in the background, with the user's permission. A file publication going live,
 * its recording finishing and it stopping each reach the page's notifications; switching
 * "notify.recording" off in the engine's preferences silences the recording ones.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually } from "../helpers/ui";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;
let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-notices-"));
	t = await startTestStudio({ embeddedRelay: true, recordingsDir: `${dir}/recordings` });
	browser = await launchChromium();
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

/** Records every Notification the page creates, and makes the page look as if it were in the background. */
const RECORD_NOTIFICATIONS = `
	window.__notices = [];
	const Real = window.Notification;
	class Recorded extends Real {
		constructor(title, options) { super(title, options); window.__notices.push({ title, body: options && options.body }); }
	}
	Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
	window.Notification = Recorded;
	Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
	document.hasFocus = () => false;
`;

describe("browser notifications (web host)", () => {
	it("show what the engine notifies while the page is in the background, and honour the switches", { timeout: 90_000 }, async () => {
		const context = await browser.newContext({ permissions: ["notifications"] });
		await context.grantPermissions(["notifications"], { origin: t.web.origin });
		await context.addInitScript(RECORD_NOTIFICATIONS);
		const page = await context.newPage();
		const errors: string[] = [];
		page.on("pageerror", (e) => errors.push(e.message));
		await page.goto(t.web.url);
		await page.getByText(/Engine v\d+/).waitFor();
		const notices = () => page.evaluate(() => (window as unknown as { __notices: { title: string; body: string }[] }).__notices);

		const file = await makeH264Mp4(`${dir}/short.mp4`, 2);
		const originId = t.studio.origins.list().find((o) => o.name === "studio")!.id;
		const recording = await t.studio.handlers["recordings.start"]({ originId, path: "notices/a.hang" });
		await t.studio.handlers["publishing.start"]({ originId, path: "notices/a.hang", file });
		const shown = await eventually(notices, (n) => n.some((x) => x.title === "Recording finished") && n.some((x) => x.title === "Stopped going live"), 40_000, "the notices");
		expect(shown.map((n) => n.title)).toEqual(expect.arrayContaining(["You are live", "Recording finished", "Stopped going live"]));
		expect(shown.find((n) => n.title === "Recording finished")!.body).toContain("notices/a.hang");
		expect((await t.studio.recordings.stop(recording.id)).state).toBe("finished");

		// Switched off in the engine's preferences: no recording notice for the next one.
		await t.studio.handlers["preferences.set"]({ preferences: { "notify.recording": false } });
		const before = (await notices()).length;
		await t.studio.handlers["recordings.start"]({ originId, path: "notices/b.hang" });
		await t.studio.handlers["publishing.start"]({ originId, path: "notices/b.hang", file });
		await eventually(() => t.studio.recordings.list().find((r) => r.path === "notices/b.hang")?.state, (s) => s === "finished", 40_000, "the second recording");
		await eventually(notices, (n) => n.slice(before).some((x) => x.title === "Stopped going live"), 20_000, "the second publication's end");
		expect((await notices()).slice(before).map((n) => n.title)).not.toContain("Recording finished");
		expect(errors).toEqual([]);
		await context.close();
	});
});
