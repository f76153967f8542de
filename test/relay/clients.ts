/**
 * Raw @moq/net clients for relay tests: connect (optionally pinned to one protocol), publish a
 * broadcast with a track the test writes to, and read frames or announcements with deadlines.
 */
import * as Moq from "@moq/net";
import Qmux from "@moq/qmux";
import { afterEach, vi } from "vitest";
import type { RelayHandle, RelayOptions } from "../../electron/engine/relay";
import { startTestRelay } from "../helpers/relay";

/** Mutes @moq/net's chatty debug/info/warn console output (errors still print). Call at file top. */
export function quietLibraryLogs(): void {
	if (process.env.RELAY_LOG) return;
	for (const level of ["debug", "info", "warn", "log"] as const) vi.spyOn(console, level).mockImplementation(() => {});
	// Expected when a test closes a connection or sends garbage on purpose.
	const error = console.error.bind(console);
	const expected = /^(fatal error running connection|Protocol violation)/;
	vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
		if (!expected.test(String(args[0]))) error(...args);
	});
}

/** Connects to the relay over WebSocket; `protocol` pins one MoQ ALPN (e.g. "moqt-17"). */
export async function connect(url: string, opts: { protocol?: string; path?: string; jwt?: string } = {}): Promise<Moq.Connection.Established> {
	const u = new URL(url);
	if (opts.path) u.pathname = opts.path;
	if (opts.jwt) u.searchParams.set("jwt", opts.jwt);
	if (!opts.protocol) return Moq.Connection.connect(u, { websocket: { delay: 0 } });
	return (await connectOwned(url, opts)).conn;
}

/**
 * Connects through a QMux transport the test owns, so it can read the relay's close code from
 * `transport.closed`. `protocol` pins one MoQ ALPN; default offers what @moq/net offers.
 */
export async function connectOwned(url: string, opts: { protocol?: string; path?: string; jwt?: string } = {}) {
	const u = new URL(url);
	if (opts.path) u.pathname = opts.path;
	if (opts.jwt) u.searchParams.set("jwt", opts.jwt);
	const protocols = opts.protocol ? [opts.protocol] : ["moq-lite-05", "moq-lite-04", "moq-lite-03", "moql", "moqt-17", "moqt-16", "moqt-15"];
	const transport = new Qmux(u, {
		protocols,
		versions: Object.fromEntries(protocols.map((p) => [p, null])),
		requireProtocol: true,
	});
	await transport.ready;
	const conn = await Moq.Connection.connect(u, { transport });
	return { conn, transport };
}

/** A published broadcast whose named tracks are created up front and served to any subscriber. */
export function publish(conn: Moq.Connection.Established, path: string, tracks: string[] = ["video"]) {
	const broadcast = new Moq.Broadcast.Producer();
	const produced = new Map<string, Moq.Track.Producer>();
	for (const name of tracks) produced.set(name, broadcast.createTrack(name));
	conn.publish(Moq.Path.from(path), broadcast);
	return {
		broadcast,
		track(name = "video"): Moq.Track.Producer {
			const t = produced.get(name);
			if (!t) throw new Error(`no track ${name}`);
			return t;
		},
	};
}

/** Resolves `promise` or rejects after `ms` with `what` in the message. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		promise,
		new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
		}),
	]).finally(() => clearTimeout(timer));
}

/** Waits until `fn` returns true, polling every 20 ms. */
export async function until(fn: () => boolean, ms: number, what: string): Promise<void> {
	const deadline = Date.now() + ms;
	while (!fn()) {
		if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/** Collects announcements seen under a prefix into a live set of active paths. */
export function watchAnnounced(conn: Moq.Connection.Established, prefix = "") {
	const active = new Set<string>();
	const events: Moq.Announce.Event[] = [];
	const consumer = conn.announced(Moq.Path.from(prefix));
	void (async () => {
		try {
			for (let e = await consumer.next(); e; e = await consumer.next()) {
				events.push(e);
				if (e.active) active.add(e.path);
				else active.delete(e.path);
			}
		} catch {
			// connection closed
		}
	})();
	return { active, events, close: () => consumer.close() };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Writes one group of string frames. */
export function writeGroup(track: Moq.Track.Producer, frames: string[]): void {
	const g = track.appendGroup();
	for (const f of frames) g.writeFrame({ payload: enc.encode(f), timestamp: Moq.Time.Timestamp.now() });
	g.close();
}

/** Reads the next frame as a string (or undefined at track end) within `ms`. */
export async function readString(sub: Moq.Track.Subscriber, ms = 5000): Promise<string | undefined> {
	const frame = await within(sub.readFrame(), ms, "a frame");
	return frame ? dec.decode(frame.payload) : undefined;
}

/** Closes a connection, ignoring errors. */
export function closeQuietly(conn: Moq.Connection.Established | undefined): void {
	try {
		conn?.close();
	} catch {
		// ignore
	}
}

/**
 * A relay per test and what the test opened on it (connections, interval timers), all closed
 * after each test. Call once at the top of a `describe`.
 */
export function relayFixture() {
	const fx = {
		relay: undefined as RelayHandle | undefined,
		conns: [] as Moq.Connection.Established[],
		timers: [] as NodeJS.Timeout[],
		/** Starts the test's relay on 127.0.0.1 and a free port. */
		async start(opts?: Omit<RelayOptions, "host" | "port">): Promise<RelayHandle> {
			fx.relay = await startTestRelay(opts);
			return fx.relay;
		},
		/** A plain client of the test's relay, closed after the test. */
		async client(): Promise<Moq.Connection.Established> {
			if (!fx.relay) throw new Error("no relay");
			const c = await connect(fx.relay.url);
			fx.conns.push(c);
			return c;
		},
	};
	afterEach(async () => {
		for (const t of fx.timers.splice(0)) clearInterval(t);
		for (const c of fx.conns.splice(0)) closeQuietly(c);
		await fx.relay?.close();
		fx.relay = undefined;
	});
	return fx;
}
