/**
 * Issue 16, simulcast, as a streamer does it in real Chromium (fake camera) through the web
 * host: Go Live with three renditions publishes ONE hang broadcast whose catalog lists three video
 * renditions with the planned sizes; an independent @moq/net subscriber records every track and
 * ffprobe finds the three resolutions, each decoding with no error; the panel counts each
 * rendition on its own; the Monitor lists the renditions for its picker; and `<moq-watch>` from
 * npm plays the broadcast, choosing the small rendition for a small element and switching to the
 * large one when the element grows. The scenes' program goes out as renditions the same way.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as Moq from "@moq/net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCatalog } from "../../electron/engine/hang";
import { recordBroadcast } from "../../electron/engine/record";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { probeWatch, serveWatchPage, type WatchPage } from "../interop/watch-fixture";
import { connect, quietLibraryLogs, until, within } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";
import { tempDir } from "../media/media-helpers";

quietLibraryLogs();
const run = promisify(execFile);
const BROADCAST = "live/simulcast.hang";
/** The 720p preset from a 1280×720 camera, three renditions: full, two thirds and a third (simulcast.ts). */
const SIZES = [
	[1280, 720],
	[854, 480],
	[426, 240],
];

let t: TestStudio;
let browser: Browser;
let watchPage: WatchPage | undefined;
let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-simulcast-"));
	t = await startTestStudio({ embeddedRelay: true, dataDir: `${dir}/data` });
	browser = await launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]);
}, 60_000);
afterAll(async () => {
	await browser?.close();
	await watchPage?.close();
	await t?.close();
	await remove?.();
});

/** Each video stream of `path` with its size, decoded alone: ffmpeg's complaints ("" when none). */
async function videoStreams(path: string): Promise<{ width: number; height: number; packets: number; errors: string }[]> {
	const { stdout } = await run("ffprobe", ["-v", "error", "-count_packets", "-select_streams", "v", "-show_entries", "stream=width,height,nb_read_packets", "-of", "json", path]);
	const streams = (JSON.parse(stdout) as { streams: { width: number; height: number; nb_read_packets: string }[] }).streams;
	return Promise.all(
		streams.map(async (s, i) => {
			let errors = "";
			try {
				const args = ["-hide_banner", "-v", "error", "-i", path, "-map", `0:v:${i}`, "-fps_mode", "passthrough", "-enc_time_base:v", "-1", "-f", "null", "-"];
				errors = (await run("ffmpeg", args, { maxBuffer: 64 << 20 })).stderr.trim();
			} catch (err) {
				errors = String((err as { stderr?: string }).stderr ?? err);
			}
			return { width: s.width, height: s.height, packets: Number(s.nb_read_packets), errors };
		}),
	);
}

describe("Simulcast Go Live", () => {
	it("publishes three renditions in one catalog; each records at its size with no decode error; <moq-watch> plays and switches", { timeout: 150_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/golive`);
		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.waitFor();
		await form.getByLabel("Broadcast path").fill(BROADCAST);
		await form.getByLabel("Quality").selectOption("720p30");
		await form.getByLabel("Renditions").selectOption("3");
		await form.getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 30_000 });

		const sub = await connect(t.studio.embeddedRelay!.url);
		await waitAnnounced(sub, BROADCAST);
		const consumer = sub.consume(Moq.Path.from(BROADCAST));
		const catalogTrack = consumer.track("catalog.json").subscribe();
		const catalog = parseCatalog((await within(catalogTrack.readFrame(), 10_000, "catalog"))!.payload);
		catalogTrack.close();
		// One broadcast, one catalog, three video renditions with the planned sizes, and the audio.
		const renditions = Object.entries(catalog.video?.renditions ?? {});
		expect(renditions.map(([name, r]) => [name, r.codedWidth, r.codedHeight])).toEqual(SIZES.map(([w, h], i) => [`video${i}`, w, h]));
		for (const [, r] of renditions) expect(r.codec).toMatch(/^(avc1|vp09|vp8|av01)/);
		expect(renditions[0]![1].bitrate).toBeGreaterThan(renditions[1]![1].bitrate!);
		expect(renditions[1]![1].bitrate).toBeGreaterThan(renditions[2]![1].bitrate!);
		expect(Object.keys(catalog.audio?.renditions ?? {})).toEqual(["audio0"]);

		// Every track recorded by an independent subscriber: three video streams at three sizes.
		const summary = await recordBroadcast({ consumer: consumer.clone(), folder: `${dir}/rec`, broadcast: BROADCAST, durationS: 5, tracks: "all" });
		const streams = await videoStreams(summary.path as string);
		expect(streams.map((s) => [s.width, s.height])).toEqual(SIZES);
		for (const s of streams) {
			expect(s.packets).toBeGreaterThan(30);
			expect(s.errors).toBe("");
		}

		// The panel counts each rendition on its own: all three encode and reach the studio.
		const table = page.getByRole("table", { name: "Renditions" });
		for (const [i, [w, h]] of SIZES.entries()) {
			const row = table.locator(`tr[data-rendition="video${i}"]`);
			await expect(row.locator('[data-stat="size"]').textContent()).resolves.toBe(`${w}×${h}`);
			await eventually(async () => Number(await row.locator('[data-stat="received"]').getAttribute("data-value")), (n) => n > 30, 15_000, `video${i} received by the studio`);
			await eventually(async () => Number(await row.locator('[data-stat="encoded"]').getAttribute("data-value")), (n) => n > 30, 15_000, `video${i} encoded`);
			expect(Number(await row.locator('[data-stat="target"]').getAttribute("data-value"))).toBeGreaterThan(0);
		}

		// The studio's Monitor lists the three renditions for its picker, and switches to the smallest.
		const originId = t.studio.origins.list().find((o) => o.name === "studio")!.id;
		const monitor = t.studio.monitors.open({ originId, path: BROADCAST });
		try {
			const listed = await eventually(() => t.studio.monitors.list().find((m) => m.id === monitor.id), (m) => (m?.renditions.filter((r) => r.kind === "video").length ?? 0) === 3, 15_000, "the monitor's renditions");
			expect(listed!.renditions.filter((r) => r.kind === "video").map((r) => [r.name, r.width, r.height])).toEqual(SIZES.map(([w, h], i) => [`video${i}`, w, h]));
			expect(t.studio.monitors.select(monitor.id, "video2", undefined).video).toBe("video2");
		} finally {
			t.studio.monitors.close(monitor.id);
		}

		// <moq-watch> from npm: a 320×240 element picks the smallest rendition; grown to 1280×720 it switches to the largest.
		watchPage = await serveWatchPage();
		const tab = await browser.newPage();
		const tabErrors: string[] = [];
		tab.on("pageerror", (e) => tabErrors.push(e.message));
		await tab.goto(watchPage.url(t.studio.embeddedRelay!.url, BROADCAST));
		const small = await eventually(() => probeWatch(tab), (p) => p.status === "connected" && p.videoFrames > 10 && p.track !== null, 30_000, "<moq-watch> decoding");
		expect(small.track).toBe("video2");
		expect(small.display).toEqual({ width: 426, height: 240 });
		expect(Object.keys(small.catalog?.video?.renditions ?? {})).toEqual(["video0", "video1", "video2"]);
		await tab.evaluate(() => {
			const el = document.querySelector("moq-watch") as HTMLElement;
			el.style.width = "1280px";
			el.style.height = "720px";
		});
		// The new rendition joins at its next group: the picture's size follows once it decodes.
		const large = await eventually(() => probeWatch(tab), (p) => p.track === "video0" && p.display?.width === 1280, 30_000, "<moq-watch> switched to video0 and painting it");
		expect(large.display).toEqual({ width: 1280, height: 720 });
		await eventually(() => probeWatch(tab), (p) => p.videoFrames > large.videoFrames + 10, 15_000, "<moq-watch> decoding video0");
		expect(tabErrors).toEqual([]);
		await tab.close();

		await page.getByRole("button", { name: "Stop" }).click();
		await until(() => t.studio.golive.list().length === 0, 15_000, "stopped");
		if (errors.length) process.stderr.write(`PAGE ERRORS ${JSON.stringify(errors)}\n`);
		expect(errors).toEqual([]);
		sub.close();
		await page.close();
	});

	it("publishes the scenes' program as two renditions, each recording at its size with no decode error", { timeout: 120_000 }, async () => {
		const path = "live/simulcast-scene.hang";
		const { page, errors } = await openStudio(browser, `${t.web.url}#/golive`);
		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.waitFor();
		await form.getByLabel("Quality").selectOption("720p30");
		await form.getByLabel("Video", { exact: true }).selectOption("scene");
		await form.getByLabel("Audio", { exact: true }).selectOption("none");
		await page.getByRole("img", { name: "Program preview" }).waitFor({ timeout: 15_000 });
		await form.getByLabel("Renditions").selectOption("2");
		await form.getByLabel("Broadcast path").fill(path);
		await form.getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 30_000 });

		const sub = await connect(t.studio.embeddedRelay!.url);
		await waitAnnounced(sub, path);
		const consumer = sub.consume(Moq.Path.from(path));
		const catalogTrack = consumer.track("catalog.json").subscribe();
		const catalog = parseCatalog((await within(catalogTrack.readFrame(), 10_000, "catalog"))!.payload);
		catalogTrack.close();
		const sizes = [
			[1280, 720],
			[640, 360],
		];
		expect(Object.entries(catalog.video?.renditions ?? {}).map(([name, r]) => [name, r.codedWidth, r.codedHeight])).toEqual(sizes.map(([w, h], i) => [`video${i}`, w, h]));
		const summary = await recordBroadcast({ consumer: consumer.clone(), folder: `${dir}/rec-scene`, broadcast: path, durationS: 4, tracks: "all" });
		const streams = await videoStreams(summary.path as string);
		expect(streams.map((s) => [s.width, s.height])).toEqual(sizes);
		for (const s of streams) {
			expect(s.packets).toBeGreaterThan(30);
			expect(s.errors).toBe("");
		}
		await page.getByRole("button", { name: "Stop" }).click();
		await until(() => t.studio.golive.list().length === 0, 15_000, "stopped");
		expect(errors).toEqual([]);
		sub.close();
		await page.close();
	});
});
