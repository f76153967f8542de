import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { connect as tcpConnect } from "node:net";
import { closeCodeFor } from "../../electron/engine/relay";
import { closeQuietly, connect, connectOwned, relayFixture, publish, quietLibraryLogs, readString, until, watchAnnounced, within, writeGroup } from "./clients";

quietLibraryLogs();

describe("relay limits and hostile input", () => {
	const { start, client, conns, timers } = relayFixture();

	/** A healthy publisher/subscriber pair streaming through the relay. */
	async function healthyPair(path: string) {
		const published = publish(await client(), path);
		const sub = await client();
		const seen = watchAnnounced(sub);
		await until(() => seen.active.has(path), 5000, "announcement");
		const track = sub.consume(Moq.Path.from(path)).subscribe("video");
		let i = 0;
		timers.push(setInterval(() => writeGroup(published.track(), [`ok${i++}`]), 30));
		expect(await readString(track)).toMatch(/^ok/);
		return track;
	}

	it("closes a publisher that sends an oversized frame and keeps serving others", async () => {
		const r = await start({ limits: { maxFrameBytes: 64 * 1024 } });
		const healthy = await healthyPair("good");
		const { conn: bad, transport } = await connectOwned(r.url);
		conns.push(bad);
		const published = publish(bad, "bad");
		const sub = await client();
		const seen = watchAnnounced(sub);
		await until(() => seen.active.has("bad"), 5000, "bad announcement");
		const badTrack = sub.consume(Moq.Path.from("bad")).subscribe("video");
		const big = new Uint8Array(100 * 1024);
		timers.push(setInterval(() => writeGroup(published.track(), [new TextDecoder().decode(big)]), 50));
		const info = await within(transport.closed, 5000, "the oversized publisher to be closed");
		expect(info.closeCode).toBe(closeCodeFor("LIMIT"));
		expect(info.reason).toMatch(/exceeds the relay limit/);
		void badTrack.readFrame().catch(() => undefined);
		expect(await readString(healthy)).toMatch(/^ok/);
		expect(await readString(healthy)).toMatch(/^ok/);
	});

	it("survives garbage bytes on a WebSocket and non-HTTP bytes on TCP", async () => {
		const r = await start();
		const healthy = await healthyPair("steady");
		const port = r.port;
		// Garbage after a valid QMux upgrade.
		const ws = new WebSocket(`ws://127.0.0.1:${port}/`, ["qmux-01.moq-lite-05"]);
		const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
		ws.on("error", () => {});
		await new Promise<void>((resolve, reject) => {
			ws.on("open", () => resolve());
			ws.on("unexpected-response", () => reject(new Error("upgrade refused")));
		});
		for (let i = 0; i < 20; i++) ws.send(Buffer.from(Array.from({ length: 200 }, (_, j) => (i * 31 + j * 7) & 0xff)));
		ws.send("text is not QMux");
		await within(closed, 5000, "the garbage socket to be closed");
		// No acceptable subprotocol: refused at the upgrade.
		const status = await new Promise<number>((resolve) => {
			const bare = new WebSocket(`ws://127.0.0.1:${port}/`, ["chat"]);
			bare.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
			bare.on("error", () => {});
		});
		expect(status).toBe(400);
		// Raw bytes that are not HTTP at all.
		await new Promise<void>((resolve) => {
			const sock = tcpConnect(port, "127.0.0.1", () => sock.write(Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 13, 10, 13, 10])));
			sock.on("close", () => resolve());
			sock.on("error", () => resolve());
		});
		expect(await readString(healthy)).toMatch(/^ok/);
		expect(await readString(healthy)).toMatch(/^ok/);
		expect(r.stats().sessions).toBe(2);
	});

	it("refuses sessions beyond maxSessions", async () => {
		const r = await start({ limits: { maxSessions: 2 } });
		await client();
		await client();
		await expect(connect(r.url)).rejects.toThrow();
		expect(r.stats().rejected).toBeGreaterThan(0);
		closeQuietly(conns.pop());
		await until(() => r.stats().sessions === 1, 5000, "a slot to free up");
		await client();
	});

	it("closes a session that exceeds maxBroadcasts or maxPathLength", async () => {
		const r = await start({ limits: { maxBroadcasts: 1, maxPathLength: 32 } });
		publish(await client(), "first");
		await until(() => r.stats().broadcasts === 1, 5000, "first broadcast");
		const second = await connectOwned(r.url);
		conns.push(second.conn);
		publish(second.conn, "second");
		const info = await within(second.transport.closed, 5000, "broadcast-limit close");
		expect(info.closeCode).toBe(closeCodeFor("LIMIT"));
		expect(info.reason).toMatch(/limit of 1 broadcasts/);
		const long = await connectOwned(r.url);
		conns.push(long.conn);
		publish(long.conn, "x".repeat(40));
		const info2 = await within(long.transport.closed, 5000, "path-length close");
		expect(info2.closeCode).toBe(closeCodeFor("LIMIT"));
		expect(info2.reason).toMatch(/longer than 32 bytes/);
		expect(r.stats().broadcasts).toBe(1);
	});
});
