/**
 * Monitor on the desktop host's media path, in Chromium: the built renderer finds a
 * preload-shaped `window.studio` whose `openMediaChannel` hands it a real `MessagePort` the way
 * electron/preload.ts does. The monitor's player must pass that port on to its decode worker (in
 * the transfer list), read the engine's frames from it, and acknowledge them as objects, as the
 * Electron IPC host expects. The stand-in's engine end relays the port to the real engine's
 * monitor channel (the web host's `/media` socket, served by the same code as the IPC host) and
 * copies frames onto the port by structured clone, as electron/ipc/host.ts does.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually } from "../helpers/ui";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { standInPreload } from "../helpers/stand-in-preload";

/** The stand-in preload, run before the page's scripts: the bridge over the web host's socket, media over ports. */
const STAND_IN_PRELOAD = standInPreload(`
			const seen = { forwarded: 0, acks: 0, lastAck: -1, nonObjectAcks: 0 };
			engineSide.channels[channel] = seen;
			const media = new WebSocket(base + "/media?token=" + encodeURIComponent(token) + "&channel=" + encodeURIComponent(channel));
			media.binaryType = "arraybuffer";
			// Engine to renderer: a copy per message, as MessagePortMain delivers it.
			media.onmessage = (ev) => {
				if (typeof ev.data === "string") return port2.postMessage(JSON.parse(ev.data));
				seen.forwarded++;
				port2.postMessage(ev.data);
			};
			// Renderer to engine: acknowledgements, which the IPC host takes as objects.
			port2.onmessage = (ev) => {
				if (typeof ev.data !== "object" || ev.data === null || typeof ev.data.ack !== "number") { seen.nonObjectAcks++; return; }
				seen.acks++;
				seen.lastAck = ev.data.ack;
				if (media.readyState === 1) media.send(JSON.stringify(ev.data));
			};
			media.onclose = (ev) => {
				if (ev.code !== 1000) port2.postMessage({ error: ev.reason || "media channel closed (" + ev.code + ")" });
				port2.close();
			};
`);

interface ChannelSeen {
	forwarded: number;
	acks: number;
	lastAck: number;
	nonObjectAcks: number;
}

let t: TestStudio;
let browser: Browser;
let remove: () => Promise<void>;

beforeAll(async () => {
	const tmp = await tempDir("moq-monitor-desktop-");
	remove = tmp.remove;
	const file = await makeH264Mp4(`${tmp.dir}/sine.mp4`, 4);
	[t, browser] = await Promise.all([startTestStudio({ embeddedRelay: true }), launchChromium()]);
	const originId = t.studio.origins.list().find((o) => o.name === "studio")!.id;
	await t.studio.handlers["publishing.start"]({ originId, path: "monitor/port.hang", file, loop: true });
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

describe("Monitor over the desktop host's MessagePort", () => {
	it("hands the preload's port to the decode worker, decodes what arrives on it and acknowledges with objects", { timeout: 90_000 }, async () => {
		const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
		const errors: string[] = [];
		page.on("pageerror", (e) => errors.push(e.message));
		page.on("console", (m) => {
			if (m.type() === "error") errors.push(m.text());
		});
		await page.addInitScript(STAND_IN_PRELOAD);
		await page.goto(`${t.web.url}#/broadcasts`);
		await page.getByText(/Engine v\d+\.\d+\.\d+ · electron/).waitFor();

		await page.getByRole("button", { name: "Watch monitor/port.hang" }).click();
		const tile = page.getByRole("listitem", { name: "Monitor of monitor/port.hang" });
		await eventually(() => tile.getByTestId("tally").textContent(), (s) => s === "Live", 20_000, "the tally to say Live");
		const decoded = () => page.getByTestId("live-stats").getByRole("row", { name: /^Decoded/ }).getByRole("cell").allTextContents();
		await eventually(async () => (await decoded()).map(Number), (c) => c.length === 2 && c.every((n) => n > 30), 20_000, "decoded video and audio frames");
		const meter = tile.getByRole("meter");
		await eventually(async () => Number(await meter.getAttribute("aria-valuenow")), (db) => db > -30, 15_000, "the meter to move");

		const seen = await page.evaluate(() => Object.values((window as unknown as { __engineSide: { channels: Record<string, ChannelSeen> } }).__engineSide.channels));
		expect(seen).toHaveLength(1);
		expect(seen[0]!.forwarded).toBeGreaterThan(30);
		expect(seen[0]!.acks).toBeGreaterThan(0);
		expect(seen[0]!.nonObjectAcks).toBe(0);
		expect(seen[0]!.lastAck).toBeGreaterThan(0);
		expect(await page.getByTestId("live-stats").getByRole("row", { name: /^Decode errors/ }).getByRole("cell").allTextContents()).toEqual(["0", "0"]);

		// Closing the monitor closes it in the engine.
		await tile.getByRole("button", { name: "Stop watching monitor/port.hang" }).click();
		await eventually(async () => (await t.studio.handlers["monitor.list"]({})).length, (n) => n === 0, 15_000, "the engine to close the monitor");
		expect(errors).toEqual([]);
		await page.close();
	});
});
