/**
 * Issue 18, orphaned Go Live: a page that goes away while live must not leave its broadcast
 * announced (listed as publishing at 0 b/s) nor block its path. Chromium with fake devices goes
 * live through the web host; an independent @moq/net subscriber on the studio's embedded relay
 * watches announcements and frames.
 */
import * as Moq from "@moq/net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ORPHAN_GRACE_MS } from "../../electron/engine/golive/manager";
import type { LiveBroadcastInfo } from "../../shared/media";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { connect, quietLibraryLogs, until, within } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;
/** Every `golive.stats` event that carried `ended`, in order. */
const ended: LiveBroadcastInfo[] = [];

beforeAll(async () => {
	t = await startTestStudio({ embeddedRelay: true });
	t.studio.events.listen((event, payload) => {
		if (event === "golive.stats" && (payload as LiveBroadcastInfo).ended) ended.push(payload as LiveBroadcastInfo);
	});
	browser = await launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

/** Opens the studio in a new page with the Go Live form filled in for `path`. */
async function prepare(path: string): Promise<Page> {
	const page = await browser.newPage();
	await page.goto(t.web.url);
	await page.getByRole("button", { name: "Go Live" }).first().click();
	await page.getByLabel("Broadcast path").fill(path);
	return page;
}

/** Presses Go Live; resolves once the page shows it is live, rejects with the page's error. */
async function goLive(page: Page): Promise<void> {
	await page.getByRole("form", { name: "Go Live settings" }).getByRole("button", { name: "Go Live" }).click();
	const live = page.getByRole("status", { name: "Live status" });
	const alert = page.getByRole("alert");
	await live.or(alert).first().waitFor({ timeout: 30_000 });
	if (await alert.isVisible()) throw new Error(`Go Live failed: ${await alert.innerText()}`);
}

// The broadcast must end by itself after the grace period; the deadline is generous (two slow
// cores), it is a bound to wait for, not a measurement.
const ENDS_WITHIN = ORPHAN_GRACE_MS + 15_000;

describe("Go Live whose page goes away", () => {
	it("ends after the grace period (unannounced at the relay, listed as ended) and the path can go live again", { timeout: 120_000 }, async () => {
		const path = "live/orphan.hang";
		const sub = await connect(t.studio.embeddedRelay!.url);
		const first = await prepare(path);
		const announced = waitAnnounced(sub, path, 30_000);
		await goLive(first);
		await announced;
		const [live] = t.studio.golive.list();
		expect(live?.path).toBe(path);

		const unannounced = waitAnnounced(sub, path, ENDS_WITHIN, false);
		await first.close();
		await unannounced;
		await until(() => ended.some((e) => e.id === live!.id), 5_000, "the ended event");
		expect(ended.find((e) => e.id === live!.id)?.ended?.reason).toBe("orphaned");
		expect(t.studio.golive.list()).toEqual([]);

		// A new page goes live at the same path.
		const again = await prepare(path);
		const reannounced = waitAnnounced(sub, path, 30_000);
		await goLive(again);
		await reannounced;
		expect(t.studio.golive.list().map((l) => l.path)).toEqual([path]);
		const gone = waitAnnounced(sub, path, 15_000, false);
		await again.getByRole("button", { name: "Stop" }).click();
		await gone;
		expect(ended.at(-1)?.ended?.reason).toBe("stopped");
		await again.close();
		sub.close();
	});

	it("is taken over by a new Go Live at the same path right after the page closed, and subscribers get the new one's frames", { timeout: 120_000 }, async () => {
		const path = "live/takeover.hang";
		const sub = await connect(t.studio.embeddedRelay!.url);
		const first = await prepare(path);
		const announced = waitAnnounced(sub, path, 30_000);
		await goLive(first);
		await announced;
		const old = t.studio.golive.list().find((l) => l.path === path)!;

		// The next page is ready before the first closes, so it goes live inside the grace period.
		const next = await prepare(path);
		await first.close();
		await goLive(next);
		const current = t.studio.golive.list();
		expect(current).toHaveLength(1);
		expect(current[0]!.id).not.toBe(old.id);
		expect(ended.find((e) => e.id === old.id)?.ended?.reason).toBe("replaced");

		// A fresh subscription reads video frames, which only the new broadcast can produce (the
		// old one's tracks are closed).
		const video = sub.consume(Moq.Path.from(path)).subscribe("video0");
		const frame = await within(video.readFrame(), 20_000, "a video frame from the new Go Live");
		expect(frame?.payload.byteLength ?? 0).toBeGreaterThan(0);
		video.close();

		const gone = waitAnnounced(sub, path, 15_000, false);
		await next.getByRole("button", { name: "Stop" }).click();
		await gone;
		await next.close();
		sub.close();
	});
});

/** A bridge client as the web page is one (token, Origin), without a browser. */
async function bridge(): Promise<{ ws: WebSocket; start(path: string): Promise<LiveBroadcastInfo> }> {
	const ws = new WebSocket(`ws://127.0.0.1:${t.web.port}/bridge?token=${encodeURIComponent(t.web.token)}`, { origin: t.web.origin });
	await new Promise<void>((resolve, reject) => {
		ws.once("open", () => resolve());
		ws.once("error", reject);
	});
	let next = 1;
	return {
		ws,
		start: (path) =>
			new Promise((resolve, reject) => {
				const id = next++;
				const onMessage = (data: Buffer) => {
					const msg = JSON.parse(data.toString()) as { type: string; id?: number; ok?: boolean; result?: LiveBroadcastInfo; error?: unknown };
					if (msg.type !== "response" || msg.id !== id) return;
					ws.off("message", onMessage);
					if (msg.ok && msg.result) resolve(msg.result);
					else reject(new Error(`golive.start failed: ${JSON.stringify(msg.error)}`));
				};
				ws.on("message", onMessage);
				const audio = { codec: "opus", sampleRate: 48_000, numberOfChannels: 2, bitrate: 64_000 };
				ws.send(JSON.stringify({ type: "invoke", id, method: "golive.start", args: { originId: studioOrigin(), path, audio } }));
			}),
	};
}

function studioOrigin(): string {
	const origin = t.studio.origins.list().find((o) => o.name === "studio");
	if (!origin) throw new Error("the embedded relay's origin is missing");
	return origin.id;
}

/** Resolves once the engine reports `id` ended; returns the reason. */
async function endedReason(id: string): Promise<string | undefined> {
	await until(() => ended.some((e) => e.id === id), ENDS_WITHIN, `live ${id} to end`);
	return ended.find((e) => e.id === id)?.ended?.reason;
}

describe("web host signals that a page went away", () => {
	it("the control WebSocket closing ends the page's Go Live after the grace period", { timeout: 60_000 }, async () => {
		const client = await bridge();
		const info = await client.start("live/bridge-gone.hang");
		client.ws.close();
		expect(await endedReason(info.id)).toBe("orphaned");
		expect(t.studio.golive.list().map((l) => l.id)).not.toContain(info.id);
	});

	it("every media WebSocket closing ends it too, while the control socket stays", { timeout: 60_000 }, async () => {
		const client = await bridge();
		const info = await client.start("live/media-gone.hang");
		const channel = info.channels[0]!.channel;
		const media = new WebSocket(`ws://127.0.0.1:${t.web.port}/media?token=${encodeURIComponent(t.web.token)}&channel=${encodeURIComponent(channel)}`, { origin: t.web.origin });
		await new Promise<void>((resolve, reject) => {
			media.once("open", () => resolve());
			media.once("error", reject);
		});
		media.close();
		expect(await endedReason(info.id)).toBe("orphaned");
		client.ws.close();
	});
});
