/**
 * Go Live on the desktop host's media path, in Chromium: the built renderer finds a
 * preload-shaped `window.studio` whose `openMediaChannel` hands it a real `MessagePort` the way
 * electron/preload.ts does (a `window.postMessage` with the port in the transfer list, as
 * Electron's `ipcRenderer.postMessage` delivers it). The Go Live controller must pass that port
 * on to its encoder worker (in the transfer list: a copy throws DataCloneError), and the worker's
 * encoded frames must arrive on the other end of the channel, the engine side. The engine side
 * here forwards every message it gets to the real engine's ingest (the web host's media socket,
 * which runs the same `serveMediaChannel` as the Electron IPC host) and its acks back; the
 * frames are also decoded in Node with the contract's `decodeMediaFrame`, and an independent
 * subscriber reads the broadcast from the relay.
 */
import * as Moq from "@moq/net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeMediaFrame } from "../../shared/media";
import { parseCatalog } from "../../electron/engine/hang";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually } from "../helpers/ui";
import { connect, quietLibraryLogs, until, within } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";
import { standInPreload } from "../helpers/stand-in-preload";

quietLibraryLogs();

/**
 * The stand-in preload, run before the page's scripts. `invoke` and `subscribe` ride the web
 * host's bridge socket (the request/response channel is not under test); `openMediaChannel`
 * mirrors electron/preload.ts: a MessageChannel, one port posted to the page with
 * `window.postMessage(..., [port])`, the other kept as the engine's end. The engine's end keeps
 * the first bytes of the first frames per channel for the test to decode.
 */
const STAND_IN_PRELOAD = standInPreload(`
			const seen = { frames: 0, bytes: 0, nonBinary: 0, first: [], closed: null };
			engineSide.channels[channel] = seen;
			const media = new WebSocket(base + "/media?token=" + encodeURIComponent(token) + "&channel=" + encodeURIComponent(channel));
			media.binaryType = "arraybuffer";
			const queue = [];
			media.onopen = () => { for (const d of queue.splice(0)) media.send(d); };
			port2.onmessage = (ev) => {
				if (!(ev.data instanceof ArrayBuffer)) { seen.nonBinary++; return; }
				seen.frames++;
				seen.bytes += ev.data.byteLength;
				if (seen.first.length < 5) seen.first.push(Array.from(new Uint8Array(ev.data, 0, Math.min(ev.data.byteLength, 64))));
				if (media.readyState === 1) media.send(ev.data); else queue.push(ev.data);
			};
			// Acks go back as objects, as the Electron IPC host posts them.
			media.onmessage = (ev) => port2.postMessage(JSON.parse(ev.data));
			media.onclose = (ev) => {
				seen.closed = ev.code;
				if (ev.code !== 1000) port2.postMessage({ error: ev.reason || "media channel closed (" + ev.code + ")" });
				port2.close();
			};
`);

/** What the engine's end of one channel saw. */
interface ChannelSeen {
	frames: number;
	bytes: number;
	nonBinary: number;
	first: number[][];
	closed: number | null;
}

let t: TestStudio;
let browser: Browser;

beforeAll(async () => {
	[t, browser] = await Promise.all([
		startTestStudio({ embeddedRelay: true }),
		launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]),
	]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

describe("Go Live over the desktop host's MessagePort", () => {
	it("hands the preload's port to the encoder worker, and encoded frames reach the engine through it", { timeout: 90_000 }, async () => {
		const page = await browser.newPage();
		const errors: string[] = [];
		page.on("pageerror", (e) => errors.push(e.message));
		page.on("console", (m) => {
			if (m.type() === "error") errors.push(m.text());
		});
		await page.addInitScript(STAND_IN_PRELOAD);
		await page.goto(t.web.url);
		// The app took the desktop path: it found window.studio, shows the desktop host and its engine.
		await page.getByText(/Engine v\d+\.\d+\.\d+ · electron/).waitFor();

		const sub = await connect(t.studio.embeddedRelay!.url);
		try {
			const announced = waitAnnounced(sub, "live/port.hang", 30_000);
			await page.getByRole("button", { name: "Go Live" }).first().click();
			await page.getByLabel("Broadcast path").fill("live/port.hang");
			await page.getByRole("form", { name: "Go Live settings" }).getByRole("button", { name: "Go Live" }).click();
			// Live, or the error the panel shows (a port sent without transfer: DataCloneError).
			const status = page.getByRole("status", { name: "Live status" });
			await status.or(page.getByRole("alert")).first().waitFor({ timeout: 20_000 });
			if (!(await status.isVisible())) expect.fail(`Go Live failed: ${await page.getByRole("alert").first().textContent()}`);
			await announced;

			// The engine's end of each channel receives binary frames through the port.
			const [live] = t.studio.golive.list();
			expect(live?.channels.map((c) => c.kind).sort()).toEqual(["audio", "video"]);
			const seen = () => page.evaluate(() => (window as unknown as { __engineSide: { channels: Record<string, ChannelSeen> } }).__engineSide.channels);
			const channels = await eventually(
				seen,
				(c) => live!.channels.every((ch) => (c[ch.channel]?.frames ?? 0) >= 30),
				30_000,
				"30 frames on every channel's engine side",
			);
			for (const ch of live!.channels) {
				const got = channels[ch.channel]!;
				expect(got.nonBinary, ch.kind).toBe(0);
				expect(got.closed, ch.kind).toBeNull();
				// The contract's frame format: sequences from 0 in order, the first frame a keyframe.
				const frames = got.first.map((bytes) => decodeMediaFrame(new Uint8Array(bytes)));
				expect(frames.map((f) => f.sequence), ch.kind).toEqual([0, 1, 2, 3, 4]);
				expect(frames[0]!.keyframe, ch.kind).toBe(true);
			}

			// The real engine ingested them (a malformed frame would have closed the channel) ...
			await until(() => (t.studio.golive.list()[0]?.tracks ?? []).every((tr) => tr.frames >= 30), 15_000, "the engine to count 30 frames per track");
			// ... and published them: an independent subscriber reads video frames from the relay.
			const consumer = sub.consume(Moq.Path.from("live/port.hang"));
			const catalogTrack = consumer.track("catalog.json").subscribe();
			const catalog = parseCatalog((await within(catalogTrack.readFrame(), 10_000, "catalog"))!.payload);
			catalogTrack.close();
			const videoName = Object.keys(catalog.video?.renditions ?? {})[0];
			expect(videoName).toBeDefined();
			const video = consumer.track(videoName!).subscribe();
			for (let i = 0; i < 10; i++) expect(await within(video.readFrame(), 10_000, `video frame ${i}`)).toBeDefined();
			video.close();

			await page.getByRole("button", { name: "Stop" }).click();
			await until(() => t.studio.golive.list().length === 0, 10_000, "stopped");
			expect(errors).toEqual([]);
		} finally {
			sub.close();
			await page.close();
		}
	});
});
