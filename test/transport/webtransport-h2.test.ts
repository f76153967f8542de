/**
 * MoQ over WebTransport through the real @fails-components/webtransport stack, from the studio's
 * engine (sessions) to the studio's relay, on loopback. HTTP/2 runs everywhere; HTTP/3 needs the
 * optional quiche addon (`npm install @fails-components/webtransport-transport-http3-quiche`,
 * which downloads a prebuilt binary from GitHub): its tests are in webtransport-h3.test.ts.
 */
import * as Moq from "@moq/net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Logger } from "../../electron/engine/log/logger";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { publishFile } from "../../electron/engine/publish";
import { recordBroadcast } from "../../electron/engine/record";
import { type RelayHandle, type RelayOptions, signToken, startRelay } from "../../electron/engine/relay";
import { Studio } from "../../electron/engine/studio";
import { openMoqConnection } from "../../electron/engine/transport/connect";
import { HTTP3_UNAVAILABLE, QUICHE_PACKAGE } from "../../electron/engine/transport/webtransport";
import { startTestRelay } from "../helpers/relay";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "../media/media-helpers";
import { until, within } from "../relay/clients";

// Probed the way the engine does: importing the addon itself.
const quiche = await import(/* @vite-ignore */ QUICHE_PACKAGE).then(
	() => true,
	() => false,
);

// Everything the library or @moq/net prints, to check what reaches the console.
const printed: string[] = [];
beforeAll(() => {
	for (const level of ["debug", "info", "log", "warn", "error"] as const) {
		vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")));
	}
});

afterAll(async () => {
	if (process.env.WT_DUMP) (await import("node:fs")).writeFileSync(process.env.WT_DUMP, printed.join("\n"));
	// Closing sessions made the library's HTTP/2 streams print ERR_STREAM_WRITE_AFTER_END.
	expect(printed.filter((l) => l.includes("ERR_STREAM_WRITE_AFTER_END"))).toEqual([]);
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

/** An engine whose log lines are collected. */
function studioWithLog() {
	const logger = new Logger();
	const lines: string[] = [];
	logger.addSink((e) => void lines.push(`${e.level} ${e.message}`));
	const studio = new Studio({ host: "web", logger });
	const statuses = new Map<string, number[]>();
	studio.sessions.onStatus((id, code) => statuses.set(id, [...(statuses.get(id) ?? []), code]));
	cleanups.push(() => studio.close());
	return {
		studio,
		lines,
		statuses: (id: string) => statuses.get(id) ?? [],
		waitStatus: (id: string, code: number, ms = 15_000) => until(() => (statuses.get(id) ?? []).includes(code), ms, `status ${code}`),
	};
}

async function relayWithLog(opts: RelayOptions = {}): Promise<{ relay: RelayHandle; lines: string[] }> {
	const lines: string[] = [];
	const relay = await startTestRelay({ ...opts, log: (level, message) => void lines.push(`${level} ${message}`) });
	cleanups.push(() => relay.close());
	return { relay, lines };
}

// First in the file: "HTTP/3 unavailable" is said once per process, so this test sees it.
describe.skipIf(quiche)("without the quiche addon", () => {
	it("relay and client say HTTP/3 is unavailable once, clearly, and WebSocket carries the session", async () => {
		const { relay, lines: relayLines } = await relayWithLog();
		expect(relay.webTransport).toEqual({ http3Port: undefined, http2Url: undefined, http3Missing: HTTP3_UNAVAILABLE, certificateSha256: undefined });
		// No WebTransport listener, no hash: browsers get a 404 (with CORS) and use WebSocket.
		const cert = await fetch(new URL("/certificate.sha256", relay.url));
		expect([cert.status, cert.headers.get("access-control-allow-origin")]).toEqual([404, "*"]);
		expect(relay.listeners).toContain(`no webtransport http/3: ${HTTP3_UNAVAILABLE}`);
		// Once, in the startup line that names the listeners.
		expect(relayLines.filter((l) => l.includes("HTTP/3 unavailable"))).toEqual([`info relay listening on ${relay.listeners}`]);

		const { studio, lines, waitStatus } = studioWithLog();
		const a = studio.sessions.connect({ url: relay.url });
		const b = studio.sessions.connect({ url: relay.url });
		await Promise.all([waitStatus(a, 1), waitStatus(b, 1)]);
		expect(studio.sessions.get(a)).toMatchObject({ transport: "websocket", transportKind: "websocket" });
		expect(studio.sessions.get(b)).toMatchObject({ transport: "websocket", transportKind: "websocket" });
		expect(lines.filter((l) => l.includes("HTTP/3 unavailable"))).toEqual([`info ${HTTP3_UNAVAILABLE}`]);
		// The library's own loader complaint never reaches the console.
		expect(printed.filter((l) => /Problem loading http3-quiche|http3 loader/.test(l))).toEqual([]);
	});

	it("a session forced onto WebTransport without an HTTP/2 URL fails with what to install", async () => {
		const { relay } = await relayWithLog({ webTransport: { http3: false } });
		await expect(openMoqConnection(new URL(relay.url), { transport: "webtransport", timeoutMs: 5000 })).rejects.toThrow(HTTP3_UNAVAILABLE);
	});
});

describe("/certificate.sha256", () => {
	it("serves the WebTransport certificate's hash with CORS, and 404 with CORS when there is none", async () => {
		const { relay } = await relayWithLog({ webTransport: { http3: true, http2: true } });
		const res = await fetch(new URL("/certificate.sha256", relay.url), { headers: { origin: "http://example.test" } });
		expect(res.status).toBe(200);
		expect(res.headers.get("access-control-allow-origin")).toBe("*");
		const hash = await res.text();
		expect(hash).toMatch(/^[0-9a-f]{64}$/);
		expect(hash).toBe(relay.webTransport.certificateSha256);

		const { relay: plain } = await relayWithLog({ webTransport: { http3: false } });
		const none = await fetch(new URL("/certificate.sha256", plain.url), { headers: { origin: "http://example.test" } });
		expect(none.status).toBe(404);
		expect(none.headers.get("access-control-allow-origin")).toBe("*");
		expect(plain.webTransport.certificateSha256).toBeUndefined();
	});
});

describe("MoQ over WebTransport HTTP/2", () => {
	let dir: string;
	let remove: () => Promise<void>;
	let source: string;
	beforeAll(async () => {
		({ dir, remove } = await tempDir());
		source = await makeH264Mp4(`${dir}/src.mp4`, 2);
	});
	afterAll(async () => {
		await remove?.();
	});

	it("an engine session connects, announces and publishes a file that a WebTransport subscriber records bit for bit", async () => {
		const { relay, lines: relayLines } = await relayWithLog({ webTransport: { http2: true } });
		const http2Url = relay.webTransport.http2Url!;
		expect(http2Url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
		expect(relay.listeners).toContain(`${http2Url} (webtransport http/2)`);

		const { studio, waitStatus } = studioWithLog();
		const origin = studio.origins.create("show");
		const path = "wt/show.hang";
		const producer = new Moq.Broadcast.Producer();
		studio.origins.addBroadcast(origin.id, new LocalBroadcast(path, producer));
		cleanups.push(() => producer.close());
		const id = studio.sessions.connect({ url: relay.url, webTransportUrl: http2Url, transport: "webtransport", publishOrigin: origin.id });
		await waitStatus(id, 1);
		expect(studio.sessions.get(id)).toMatchObject({ phase: "connected", epoch: 1, transport: "webtransport", transportKind: "webtransport-h2" });

		// The recorder is another engine connection, also over WebTransport HTTP/2, pinned by the hash.
		const sub = await openMoqConnection(new URL(relay.url), {
			transport: "webtransport",
			webTransportUrl: new URL(http2Url),
			certificateSha256: relay.webTransport.certificateSha256,
			timeoutMs: 5000,
		});
		cleanups.push(() => sub.close());
		expect(sub.kind).toBe("webtransport-h2");
		const announced = sub.established.announced(Moq.Path.from("wt"));
		for (;;) {
			const entry = await within(announced.next(), 10_000, "the announcement");
			if (!entry || entry.active) break;
		}
		expect(relayLines.filter((l) => l.includes("over webtransport-h2"))).toHaveLength(2);

		const recording = recordBroadcast({ consumer: sub.established.consume(Moq.Path.from(path)), folder: `${dir}/rec`, broadcast: path, catalogTimeoutMs: 5000 });
		await publishFile({ file: source, broadcast: producer, speed: 2, waitForSubscribers: true });
		await new Promise((r) => setTimeout(r, 500)); // let the tail cross the relay
		producer.close();
		const summary = await recording;
		const file = summary.path as string;
		expect(await packetHashes(file, "v")).toEqual(await packetHashes(source, "v"));
		// Audio starts at the live edge of the subscription (as over WebSocket): an unbroken run.
		const [srcAudio, recAudio] = await Promise.all([packetHashes(source, "a"), packetHashes(file, "a")]);
		const start = srcAudio.indexOf(recAudio[0] as string);
		expect(start).toBeGreaterThanOrEqual(0);
		expect(recAudio).toEqual(srcAudio.slice(start, start + recAudio.length));
		expect(await decodeErrors(file)).toBe("");
		expect(printed.filter((l) => l.includes("ERR_STREAM_WRITE_AFTER_END"))).toEqual([]);
	});

	it("admits WebTransport sessions with the relay's JWT rules: a token connects, none is refused", async () => {
		const key = new TextEncoder().encode("webtransport-test-key");
		const { relay, lines } = await relayWithLog({ jwtKey: key, webTransport: { http2: true } });
		const http2Url = relay.webTransport.http2Url!;
		const token = signToken({ root: "room", put: [""], get: [""], exp: Math.floor(Date.now() / 1000) + 60 }, key);
		const { studio, waitStatus } = studioWithLog();
		const id = studio.sessions.connect({ url: new URL("room", relay.url).toString(), token, webTransportUrl: http2Url, transport: "webtransport" });
		await waitStatus(id, 1);
		expect(studio.sessions.get(id).transportKind).toBe("webtransport-h2");
		// Refused before the session exists (HTTP 401 on the CONNECT), as a WebSocket upgrade is.
		const refused = await openMoqConnection(new URL("room", relay.url), { transport: "webtransport", webTransportUrl: new URL(http2Url), timeoutMs: 3000 }).then(
			() => undefined,
			(err: unknown) => err as Error,
		);
		expect(refused?.message).toMatch(/^WebTransport to 127\.0\.0\.1:\d+ failed/);
		await until(() => lines.some((l) => l.includes("(webtransport-h2): this relay requires a ?jwt= token")), 5000, "the refusal in the relay log");
		expect(relay.stats().rejected).toBe(1);
	});

	it("reconnects after a relay restart (epoch 2), fetching the new certificate's hash", async () => {
		let { relay } = await relayWithLog({ webTransport: { http2: true } });
		const port = relay.port;
		const http2Url = relay.webTransport.http2Url!;
		const http2Port = Number(new URL(http2Url).port);
		const firstHash = relay.webTransport.certificateSha256;
		const { studio, waitStatus, statuses } = studioWithLog();
		const id = studio.sessions.connect({ url: relay.url, webTransportUrl: http2Url, transport: "webtransport", backoff: { initial: 100, max: 500 } });
		await waitStatus(id, 1);
		expect(studio.sessions.get(id).transportKind).toBe("webtransport-h2");

		await relay.close();
		await until(() => studio.sessions.get(id).phase === "backoff", 10_000, "backoff after the relay died");
		relay = await startRelay({ host: "127.0.0.1", port, webTransport: { http2: { port: http2Port } } });
		cleanups.push(() => relay.close());
		expect(relay.webTransport.certificateSha256).not.toBe(firstHash);
		await waitStatus(id, 2);
		expect(studio.sessions.get(id)).toMatchObject({ phase: "connected", epoch: 2, reconnects: 1, transportKind: "webtransport-h2" });
		await studio.sessions.close(id);
		expect(statuses(id)).toEqual([1, 2, 0]);
	});
});

describe("auto transport and the CLI", () => {
	it("auto uses the HTTP/2 WebTransport listener when given one, and falls back to WebSocket when it is unreachable", async () => {
		const { relay } = await relayWithLog({ webTransport: { http2: true } });
		const { studio, waitStatus } = studioWithLog();
		const good = studio.sessions.connect({ url: relay.url, webTransportUrl: relay.webTransport.http2Url! });
		// A port that was just freed: nothing listens there, the TCP connect is refused.
		const closed = await startTestRelay();
		const deadUrl = `https://127.0.0.1:${closed.port}/`;
		await closed.close();
		const fallback = studio.sessions.connect({ url: relay.url, webTransportUrl: deadUrl });
		await Promise.all([waitStatus(good, 1), waitStatus(fallback, 1)]);
		expect(studio.sessions.get(good)).toMatchObject({ transport: "webtransport", transportKind: "webtransport-h2" });
		expect(studio.sessions.get(fallback)).toMatchObject({ transport: "websocket", transportKind: "websocket" });
	});

	it("`moq-studio relay --webtransport-h2 0` names every listener and why HTTP/3 is missing; --json status lines carry the transport", async () => {
		const { relayCommand } = await import("../../electron/cli/relay");
		const out: string[] = [];
		const abort = new AbortController();
		const running = relayCommand.run({ listen: "127.0.0.1:0", "webtransport-h2": "0" }, [], { stdout: (l) => out.push(l), stderr: () => {}, signal: abort.signal });
		await until(() => out.some((l) => l.includes("webtransport http/2")), 10_000, "the listener lines");
		expect(out[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\/ \(websocket\)$/);
		expect(out).toContainEqual(expect.stringMatching(/^listening on https:\/\/127\.0\.0\.1:\d+\/ \(webtransport http\/2\)$/));
		expect(out).toContainEqual(expect.stringMatching(/^certificate sha-256 [0-9a-f]{64} \(also at http:\/\/127\.0\.0\.1:\d+\/certificate\.sha256\)$/));
		if (!quiche) expect(out).toContain(`no webtransport http/3: ${HTTP3_UNAVAILABLE}`);
		// --help says it too, before anything starts.
		if (!quiche) expect(relayCommand.optionHelp["no-http3"]).toContain(HTTP3_UNAVAILABLE);
		const relayUrl = /(http:\S+)/.exec(out[0] ?? "")?.[1] ?? "";
		const h2 = /(https:\S+)/.exec(out.find((l) => l.includes("webtransport http/2")) ?? "")?.[1] ?? "";

		const { holdSession } = await import("../../electron/cli/held-session");
		const lines: string[] = [];
		const held = holdSession(
			{ stdout: (l) => lines.push(l), stderr: () => {}, signal: new AbortController().signal },
			{ url: relayUrl, json: true, role: "consume", transport: { transport: "webtransport", webTransportUrl: h2 } },
		);
		await until(() => lines.some((l) => l.includes('"event":"status"')), 10_000, "a status line");
		const status = JSON.parse(lines.find((l) => l.includes('"event":"status"'))!) as Record<string, unknown>;
		expect(status).toMatchObject({ event: "status", code: 1, transport: "webtransport", transportKind: "webtransport-h2" });
		await held.close();
		abort.abort();
		expect(await running).toBe(0);
	});
});
