/**
 * Go Live as a streamer does it: Chromium with a fake camera and microphone, through the web
 * host, encodes with WebCodecs and goes live to the studio's embedded relay; an independent
 * @moq/net subscriber records what arrives and ffmpeg decodes it without an error.
 */
import * as Moq from "@moq/net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCatalog } from "../../electron/engine/hang";
import { recordBroadcast } from "../../electron/engine/record";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { connect, quietLibraryLogs, until, within } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";
import { decodeErrors, makeH264Mp4, probeStreams, tempDir } from "../media/media-helpers";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;
let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	t = await startTestStudio({ embeddedRelay: true });
	browser = await launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]);
	({ dir, remove } = await tempDir("moq-golive-e2e-"));
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

describe("Go Live from Chromium", () => {
	it("encodes the fake camera and microphone, and an independent subscriber gets a catalog and frames that decode", { timeout: 90_000 }, async () => {
		const page = await browser.newPage();
		const errors: string[] = [];
		page.on("pageerror", (e) => errors.push(e.message));
		await page.goto(t.web.url);
		await page.getByRole("button", { name: "Go Live" }).first().click();
		await page.getByLabel("Broadcast path").fill("live/chromium.hang");
		await page.getByRole("form", { name: "Go Live settings" }).getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });

		const sub = await connect(t.studio.embeddedRelay!.url);
		await waitAnnounced(sub, "live/chromium.hang");
		const consumer = sub.consume(Moq.Path.from("live/chromium.hang"));
		const catalogTrack = consumer.track("catalog.json").subscribe();
		const catalogFrame = await within(catalogTrack.readFrame(), 10_000, "catalog");
		const catalog = parseCatalog(catalogFrame!.payload);
		catalogTrack.close();
		const video = Object.values(catalog.video?.renditions ?? {})[0];
		const audio = Object.values(catalog.audio?.renditions ?? {})[0];
		expect(video?.codec).toMatch(/^(avc1|vp09|vp8|av01)/);
		expect(audio?.codec).toBe("opus");
		expect(audio?.sampleRate).toBe(48_000);

		const summary = await recordBroadcast({ consumer: consumer.clone(), folder: `${dir}/rec`, broadcast: "live/chromium.hang", durationS: 3 });
		const path = summary.path as string;
		const streams = await probeStreams(path);
		expect(streams.find((s) => s.type === "video")?.packets).toBeGreaterThan(30);
		expect(streams.find((s) => s.type === "audio")?.packets).toBeGreaterThan(50);
		expect(await decodeErrors(path)).toBe("");

		// Stopping ends the broadcast cleanly for subscribers: the relay unannounces it.
		const unannounced = waitAnnounced(sub, "live/chromium.hang", 15_000, false);
		await page.getByRole("button", { name: "Stop" }).click();
		await until(() => t.studio.golive.list().length === 0, 10_000, "stopped");
		await unannounced;
		expect(errors).toEqual([]);
		sub.close();
		await page.close();
	});

	it("a Go Live the engine ends elsewhere returns the form to idle, says why, and can go live again", { timeout: 60_000 }, async () => {
		const page = await browser.newPage();
		const errors: string[] = [];
		page.on("pageerror", (e) => errors.push(e.message));
		await page.goto(t.web.url);
		await page.getByRole("button", { name: "Go Live" }).first().click();
		await page.getByLabel("Broadcast path").fill("live/elsewhere.hang");
		await page.getByRole("form", { name: "Go Live settings" }).getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });

		// Another window (here: the engine itself) stops it; this page never asked.
		const live = t.studio.golive.list().find((l) => l.path === "live/elsewhere.hang");
		expect(live).toBeDefined();
		t.studio.golive.stop(live!.id);
		await page.getByRole("alert").filter({ hasText: "stopped from another window" }).waitFor({ timeout: 10_000 });
		await page.getByRole("status", { name: "Live status" }).waitFor({ state: "detached", timeout: 10_000 });
		// The form is usable again: going live at the same path works.
		await page.getByRole("form", { name: "Go Live settings" }).getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
		await page.getByRole("button", { name: "Stop" }).click();
		await until(() => t.studio.golive.list().length === 0, 10_000, "stopped");
		expect(errors).toEqual([]);
		await page.close();
	});

	it("goes live with a media file (published as it is) and stops it", { timeout: 60_000 }, async () => {
		const file = await makeH264Mp4(`${dir}/show.mp4`, 3);
		const page = await browser.newPage();
		await page.goto(t.web.url);
		await page.getByRole("button", { name: "Go Live" }).first().click();
		await page.getByLabel("Broadcast path").fill("live/file.hang");
		await page.getByLabel("Video", { exact: true }).selectOption("file");
		await page.getByLabel("File path").fill(file);
		const sub = await connect(t.studio.embeddedRelay!.url);
		const announced = waitAnnounced(sub, "live/file.hang", 15_000);
		await page.getByRole("form", { name: "Go Live settings" }).getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 15_000 });
		await announced;
		const catalog = await within(sub.consume(Moq.Path.from("live/file.hang")).track("catalog.json").subscribe().readFrame(), 10_000, "catalog");
		expect(Object.values(parseCatalog(catalog!.payload).video?.renditions ?? {})[0]?.codec).toMatch(/^avc1/);
		const unannounced = waitAnnounced(sub, "live/file.hang", 15_000, false);
		await page.getByRole("button", { name: "Stop" }).click();
		await unannounced;
		sub.close();
		await page.close();
	});
});
