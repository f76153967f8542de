/**
 * The in-memory link between the engine and a relay in the same process (transport/in-process.ts):
 * the studio's own session to its embedded relay takes it instead of a loopback WebSocket, and
 * must behave as the socket does everywhere else: the status contract and reconnects, close codes,
 * the relay's admission (token, scope, limits) with the same errors, stats, a wake probe, and only
 * for the relay's own URL.
 */
import * as Moq from "@moq/net";
import { afterEach, describe, expect, it, vi } from "vitest";
import Qmux from "@moq/qmux";
import { closeCodeFor, type RelayHandle, signToken, startRelay } from "../../electron/engine/relay";
import { CLIENT_ALPNS } from "../../electron/engine/transport/alpn";
import { QMUX_WINDOWS } from "../../electron/engine/transport/qmux-config";
import { subprotocolOffer } from "../../electron/engine/transport/websocket";
import { openMoqConnection } from "../../electron/engine/transport/connect";
import { createInProcessLink } from "../../electron/engine/transport/in-process";
import { Studio } from "../../electron/engine/studio";
import { StudioError } from "../../shared/errors";
import { startTestRelay } from "../helpers/relay";
import { connect, connectOwned, quietLibraryLogs, until, within } from "../relay/clients";
import { localBroadcast, makeStudio, readFrames, waitAnnounced } from "../sessions/harness";
import { Logger } from "../../electron/engine/log/logger";

quietLibraryLogs();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

/** The error a connect attempt ends with (the test fails if it connects). */
async function refusal(attempt: Promise<{ close(): void }>): Promise<StudioError> {
	try {
		(await attempt).close();
	} catch (err) {
		return StudioError.from(err);
	}
	throw new Error("connected where a refusal was expected");
}

describe("the in-process link itself", () => {
	it("delivers what was sent before a close, then closes both ends with 1005 (handshake) or 1006 (terminate)", async () => {
		for (const how of ["close", "terminate"] as const) {
			const { client, server } = createInProcessLink("http://127.0.0.1:1/", "qmux-01.moq-lite-05");
			const [c, s] = await Promise.all([client.opened, server.opened]);
			expect(client.readyState).toBe(1);
			const codes: number[] = [];
			client.once("close", (code: number) => codes.push(code));
			server.once("close", (code: number) => codes.push(code));
			const writer = c.writable.getWriter();
			await writer.write(new Uint8Array([1, 2, 3]));
			await writer.write(new Uint8Array([4]));
			expect(client.bufferedAmount).toBe(4); // the server has not read them yet
			if (how === "close") client.close();
			else client.terminate();
			// Written after the close: dropped, as `ws` drops a send on a closing socket.
			await writer.write(new Uint8Array([9]));
			const reader = s.readable.getReader();
			const read: number[] = [];
			for (let r = await reader.read(); !r.done; r = await reader.read()) read.push(...r.value);
			expect(read).toEqual([1, 2, 3, 4]);
			const [clientClosed, serverClosed] = await Promise.all([client.closed, server.closed]);
			const code = how === "close" ? 1005 : 1006;
			expect([clientClosed.closeCode, serverClosed.closeCode]).toEqual([code, code]);
			expect(codes).toEqual([code, code]);
			expect(client.readyState).toBe(3);
			expect(client.counters.bytesOut).toBe(4);
			expect(server.counters.bytesIn).toBe(4);
		}
	});
	it("answers a ping with a pong that proves what was sent before it arrived, as the engine's WebSocket does", async () => {
		const { client, server } = createInProcessLink("http://127.0.0.1:1/", "qmux-01.moq-lite-05");
		const [c] = await Promise.all([client.opened, server.opened]);
		await c.writable.getWriter().write(new Uint8Array(10));
		const pong = new Promise<void>((resolve) => client.once("pong", () => resolve()));
		client.ping();
		expect(client.counters.pinged?.bytesOut).toBe(10);
		await pong;
		expect(client.counters.pinged).toBeUndefined();
		expect(client.counters.delivered?.bytes).toBe(10);
		server.terminate();
		// A closed link answers nothing (and, like `ws`, a ping on it does not throw).
		await client.closed;
		const quiet = vi.fn();
		client.on("pong", quiet);
		client.ping();
		await new Promise((r) => setTimeout(r, 50));
		expect(quiet).not.toHaveBeenCalled();
	});
});

describe("the studio's session to its embedded relay", () => {
	it("rides the in-process link, carries the origin to a WebSocket subscriber, answers a wake probe and closes with status 0", { timeout: 30_000 }, async () => {
		const logger = new Logger();
		const lines: string[] = [];
		logger.addSink((e) => lines.push(`${e.scope}: ${e.message}`));
		const studio = new Studio({ host: "web", logger, embeddedRelay: { port: 0 } });
		cleanups.push(() => studio.close());
		const statuses: number[] = [];
		studio.sessions.onStatus((_id, code) => statuses.push(code));
		await studio.start();
		const relay = studio.embeddedRelay!;
		const session = studio.sessions.list().find((s) => s.embedded)!;
		await until(() => studio.sessions.get(session.id).phase === "connected", 15_000, "the embedded session");
		expect(studio.sessions.get(session.id)).toMatchObject({ transport: "websocket", transportKind: "in-process", epoch: 1 });
		expect(lines.some((l) => /speaks moq-lite-\d+ over in-process/.test(l))).toBe(true);

		const origin = studio.origins.list().find((o) => o.name === "studio")!;
		const live = localBroadcast("show/cam");
		cleanups.push(() => live.stop());
		studio.origins.addBroadcast(origin.id, live.broadcast);
		const sub = await connect(relay.url);
		cleanups.push(() => sub.close());
		await waitAnnounced(sub, "show/cam");
		const frames = await within(readFrames(sub.consume(Moq.Path.from("show/cam")), "video", 5), 10_000, "frames from the studio");
		expect(frames).toHaveLength(5);
		expect(relay.stats().sessions).toBe(2);

		// The session's counters see the link's bytes, both ways, as they would a socket's.
		const stats = studio.sessions.stats(session.id);
		expect(stats.bytesOut).toBeGreaterThan(0);
		expect(stats.bytesIn).toBeGreaterThan(0);
		expect(stats.broadcasts.find((b) => b.path === "show/cam")?.frames).toBeGreaterThan(0);

		// A wake probe must be answered (a pong), or the session would reconnect.
		studio.sessions.wake();
		await new Promise((r) => setTimeout(r, 2500));
		expect(studio.sessions.get(session.id)).toMatchObject({ phase: "connected", epoch: 1 });

		await studio.sessions.close(session.id);
		expect(statuses).toEqual([1, 0]);
		await until(() => relay.stats().sessions === 1, 5000, "the relay to see the session leave");
		expect(lines.some((l) => /session \d+ \(in-process\) left \(close code 0\)/.test(l))).toBe(true);
	});

	it("is taken only for the relay's own URL: the same relay by another name is reached over a socket", { timeout: 30_000 }, async () => {
		const relay = await startTestRelay();
		cleanups.push(() => relay.close());
		const { studio, waitStatus } = makeStudio();
		cleanups.push(() => studio.close());
		studio.sessions.useInProcessRelay(relay);
		const own = studio.sessions.connect({ url: relay.url });
		const other = studio.sessions.connect({ url: `http://localhost:${relay.port}/` });
		await waitStatus(own, 1);
		await waitStatus(other, 1);
		expect(studio.sessions.get(own).transportKind).toBe("in-process");
		expect(studio.sessions.get(other).transportKind).toBe("websocket");
	});

	it("reconnects over the link with backoff after its relay went away, and re-announces (epoch 2)", { timeout: 30_000 }, async () => {
		let relay: RelayHandle = await startTestRelay();
		const port = relay.port;
		cleanups.push(() => relay.close());
		const { studio, statuses, waitStatus } = makeStudio();
		cleanups.push(() => studio.close());
		studio.sessions.useInProcessRelay(relay);
		const origin = studio.origins.create("show");
		const live = localBroadcast("live/cam");
		cleanups.push(() => live.stop());
		studio.origins.addBroadcast(origin.id, live.broadcast);
		const id = studio.sessions.connect({ url: relay.url, publishOrigin: origin.id, backoff: { initial: 100, max: 300 } });
		await waitStatus(id, 1);

		await relay.close();
		await until(() => studio.sessions.get(id).phase === "backoff", 10_000, "backoff after the relay closed");
		// Retrying a relay that is gone fails as a refused connection would.
		await until(() => /connection refused/.test(studio.sessions.get(id).lastError?.message ?? ""), 10_000, "a refused retry");

		relay = await startRelay({ host: "127.0.0.1", port });
		studio.sessions.useInProcessRelay(relay);
		await waitStatus(id, 2);
		expect(studio.sessions.get(id)).toMatchObject({ phase: "connected", epoch: 2, reconnects: 1, transportKind: "in-process" });
		const sub = await connect(relay.url);
		cleanups.push(() => sub.close());
		await waitAnnounced(sub, "live/cam");
		expect(await within(readFrames(sub.consume(Moq.Path.from("live/cam")), "video", 3), 10_000, "frames after the reconnect")).toHaveLength(3);
		await studio.sessions.close(id);
		expect(statuses(id)).toEqual([1, 2, 0]);
	});
});

describe("admission over the link reads as it does over a socket", () => {
	const KEY = new TextEncoder().encode("test-secret-of-reasonable-length");
	const now = () => Math.floor(Date.now() / 1000);

	async function both(relay: RelayHandle, url: URL): Promise<[StudioError, StudioError]> {
		const socket = await refusal(openMoqConnection(url, { transport: "websocket", timeoutMs: 5000 }));
		const link = await refusal(openMoqConnection(url, { transport: "websocket", timeoutMs: 5000, inProcess: relay }));
		return [socket, link];
	}

	it("refuses a missing or misplaced token, a full relay and a closed one with the same error", { timeout: 30_000 }, async () => {
		const relay = await startTestRelay({ jwtKey: KEY, limits: { maxSessions: 2 } });
		cleanups.push(() => relay.close());
		const [noTokenSocket, noTokenLink] = await both(relay, new URL(relay.url));
		expect(noTokenLink.codeName).toBe("UNAUTHORIZED");
		expect(noTokenLink.message).toBe(noTokenSocket.message);

		const elsewhere = new URL("/hall", relay.url);
		elsewhere.searchParams.set("jwt", signToken({ root: "room", put: [""], exp: now() + 60 }, KEY));
		const [scopeSocket, scopeLink] = await both(relay, elsewhere);
		expect(scopeLink.codeName).toBe(scopeSocket.codeName);
		expect(scopeLink.message).toBe(scopeSocket.message);

		// A valid token is admitted over the link with its scope.
		const good = new URL("/room", relay.url);
		good.searchParams.set("jwt", signToken({ root: "room", put: [""], get: [""], exp: now() + 60 }, KEY));
		const first = await openMoqConnection(good, { transport: "websocket", timeoutMs: 5000, inProcess: relay });
		cleanups.push(() => first.close());
		expect(first.kind).toBe("in-process");
		const second = await openMoqConnection(good, { transport: "websocket", timeoutMs: 5000 });
		cleanups.push(() => second.close());
		await until(() => relay.stats().sessions === 2, 5000, "two sessions");
		const [fullSocket, fullLink] = await both(relay, good);
		expect(fullLink.codeName).toBe("LIMIT");
		expect(fullLink.message).toBe(fullSocket.message);
		expect(relay.stats().rejected).toBeGreaterThanOrEqual(6);

		await relay.close();
		const [closedSocket, closedLink] = await both(relay, good);
		expect(closedLink.codeName).toBe("CONNECT");
		expect(closedLink.message).toBe(closedSocket.message);
	});

	it("an expiring token closes the linked session with the relay's QMux close code and reason, as it does a socket's", { timeout: 30_000 }, async () => {
		const relay = await startTestRelay({ jwtKey: KEY });
		cleanups.push(() => relay.close());
		const jwt = signToken({ root: "", get: [""], exp: now() + 2 }, KEY);
		const url = new URL(relay.url);
		url.searchParams.set("jwt", jwt);
		// The engine's end of a link, under QMux as transport/connect.ts runs it.
		const linked = new Qmux(relay.connectInProcess(url, subprotocolOffer(CLIENT_ALPNS)) as unknown as ConstructorParameters<typeof Qmux>[0], { config: { ...QMUX_WINDOWS } });
		await linked.ready;
		const conn = await Moq.Connection.connect(url, { transport: linked });
		cleanups.push(() => conn.close());
		const { conn: other, transport: socket } = await connectOwned(relay.url, { jwt });
		cleanups.push(() => other.close());
		const [a, b] = await Promise.all([within(linked.closed, 10_000, "the linked expiry"), within(socket.closed, 10_000, "the socket's expiry")]);
		expect(a).toEqual({ closeCode: closeCodeFor("UNAUTHORIZED"), reason: "token expired" });
		expect(a).toEqual(b);
		await until(() => relay.stats().sessions === 0, 5000, "both sessions gone");
	});
});
