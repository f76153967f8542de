/**
 * The renderer's monitor channel reader (renderer/src/monitor/channel.ts) in real Chromium
 * against a real WebSocket: it delivers the engine's binary messages in order, acknowledges the
 * highest sequence taken (as JSON text, never more than once per message), holds
 * acknowledgements back while its owner is behind (which is what makes the engine skip), and
 * survives a malformed message.
 */
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { encodeMonitorMessage } from "../../shared/monitor";
import { launchChromium } from "../helpers/browser";
import { bundleForPage, eventually, openHarness } from "../helpers/ui";

const HARNESS = `
import { MonitorChannel } from "./renderer/src/monitor/channel";

interface Probe { sequences: number[]; errors: string[]; closed: string | null; open(url: string): void }
const probe: Probe = { sequences: [], errors: [], closed: null, open: () => {} };
(window as unknown as { probe: Probe }).probe = probe;
probe.open = (url) => {
	const channel = new MonitorChannel({
		onMessage: (m) => probe.sequences.push(m.sequence),
		onError: (e) => probe.errors.push(e),
		onClose: (reason) => (probe.closed = reason),
	});
	channel.attach({ kind: "websocket", url });
};
`;

let browser: Browser;
let script: string;
let server: WebSocketServer;
let url: string;
const peers: { ws: WebSocket; acks: unknown[] }[] = [];

beforeAll(async () => {
	server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
	await new Promise<void>((r) => server.once("listening", () => r()));
	url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/media`;
	server.on("connection", (ws) => {
		const peer = { ws, acks: [] as unknown[] };
		ws.on("message", (data, isBinary) => peer.acks.push(isBinary ? "binary!" : JSON.parse(String(data))));
		peers.push(peer);
	});
	[browser, script] = await Promise.all([launchChromium(), bundleForPage(HARNESS)]);
});
afterAll(async () => {
	await browser?.close();
	server?.close();
});

const frame = (sequence: number) =>
	Buffer.from(
		encodeMonitorMessage({
			type: "video",
			sequence,
			keyframe: sequence % 30 === 0,
			discontinuity: false,
			epoch: 1,
			group: Math.floor(sequence / 30),
			timestampUs: sequence * 33_333,
			arrivalMs: Date.now(),
			payload: new Uint8Array(200).fill(sequence & 0xff),
		}),
	);

const probe = <T>(page: Page, read: (p: { sequences: number[]; errors: string[]; closed: string | null }) => T) =>
	page.evaluate(`(${read.toString()})(window.probe)`) as Promise<T>;

describe("monitor channel (renderer)", () => {
	it("delivers in order, acknowledges the highest sequence taken, acknowledges promptly, survives a malformed message", { timeout: 60_000 }, async () => {
		const { page, errors } = await openHarness(browser, script);
		await page.evaluate((u) => (window as unknown as { probe: { open(u: string): void } }).probe.open(u), url);
		await eventually(() => peers.length, (n) => n === 1, 10_000, "the channel to connect");
		const peer = peers[0]!;

		// A burst: every message arrives, in order, and acknowledgements end at the last one.
		for (let s = 0; s < 100; s++) peer.ws.send(frame(s));
		await eventually(() => probe(page, (p) => p.sequences.length), (n) => n === 100, 10_000, "100 messages");
		expect(await probe(page, (p) => p.sequences)).toEqual(Array.from({ length: 100 }, (_, i) => i));
		await eventually(() => peer.acks.at(-1), (a) => JSON.stringify(a) === JSON.stringify({ ack: 99 }), 10_000, "the ack of the last message");
		const acked = peer.acks.map((a) => (a as { ack: number }).ack);
		expect(acked.length).toBeLessThanOrEqual(100);
		expect(acked).toEqual([...acked].sort((a, b) => a - b)); // increasing

		// Acknowledged as soon as taken, whatever the player does with them: one ack per burst.
		const before = peer.acks.length;
		for (let s = 100; s < 120; s++) peer.ws.send(frame(s));
		await eventually(() => peer.acks.at(-1), (a) => JSON.stringify(a) === JSON.stringify({ ack: 119 }), 10_000, "the ack of the burst's last message");
		expect(peer.acks.length - before).toBeLessThanOrEqual(20);

		// A malformed message is reported, and the channel goes on.
		peer.ws.send(Buffer.from([9, 9, 9]));
		peer.ws.send(frame(120));
		await eventually(() => probe(page, (p) => p.sequences.at(-1)), (s) => s === 120, 10_000, "the message after the malformed one");
		expect(await probe(page, (p) => p.errors)).toEqual([expect.stringMatching(/too short/)]);
		expect(peer.acks.every((a) => a !== "binary!")).toBe(true);

		// The engine closes the channel: the owner hears why.
		peer.ws.close(1008, "monitor closed");
		await eventually(() => probe(page, (p) => p.closed), (c) => c === "monitor closed", 10_000, "the close");
		expect(errors).toEqual([]);
		await page.close();
	});
});
