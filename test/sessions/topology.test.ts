import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as Moq from "@moq/net";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../shared/errors";
import { dispatch } from "../../electron/engine/dispatch";
import { certificateSha256 } from "../../electron/engine/relay/server";
import { startRelay } from "../../electron/engine/relay";
import { signToken } from "../../electron/engine/relay";
import { startTestRelay } from "../helpers/relay";
import { startProxy } from "../helpers/proxy";
import { connect, quietLibraryLogs, until, within } from "../relay/clients";
import { localBroadcast, makeStudio, readFrames, waitAnnounced } from "./harness";

quietLibraryLogs();

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function relay(opts: Parameters<typeof startTestRelay>[0] = {}) {
	const r = await startTestRelay(opts);
	cleanups.push(() => r.close());
	return r;
}

function studio() {
	const s = makeStudio();
	cleanups.push(() => s.studio.close());
	return s;
}

describe("origins shared across sessions", () => {
	it("fans one origin out to two relays", async () => {
		const [a, b] = [await relay(), await relay()];
		const { studio: st, waitStatus } = studio();
		const show = st.origins.create("show");
		const live = localBroadcast("show/cam");
		cleanups.push(() => live.stop());
		st.origins.addBroadcast(show.id, live.broadcast);
		const ida = st.sessions.connect({ url: a.url, publishOrigin: show.id });
		const idb = st.sessions.connect({ url: b.url, publishOrigin: show.id });
		await waitStatus(ida, 1);
		await waitStatus(idb, 1);
		for (const r of [a, b]) {
			const sub = await connect(r.url);
			cleanups.push(() => sub.close());
			await waitAnnounced(sub, "show/cam");
			expect(await within(readFrames(sub.consume(Moq.Path.from("show/cam")), "video", 3), 10_000, `frames from ${r.url}`)).toHaveLength(3);
		}
		const stats = st.sessions.stats(ida);
		expect(stats.bytesOut).toBeGreaterThan(0);
		expect(stats.broadcasts).toContainEqual(expect.objectContaining({ path: "show/cam", direction: "publish" }));
		await until(() => (st.sessions.stats(ida).broadcasts[0]?.frames ?? 0) >= 3, 5000, "served frame counter");
		const served = st.sessions.stats(ida).broadcasts[0]!;
		expect(served.tracks).toEqual([expect.objectContaining({ name: "video", subscribers: 1 })]);
		expect(served.tracks[0]!.frames).toBeGreaterThanOrEqual(3);
		expect(served.tracks[0]!.bytes).toBe(served.bytes);
	});

	it("relays: what session A consumes into an origin, session B publishes to another relay", async () => {
		const [a, b] = [await relay(), await relay()];
		const { studio: st, waitStatus } = studio();
		const bridge = st.origins.create("bridge");
		const ida = st.sessions.connect({ url: a.url, consumeOrigin: bridge.id });
		const idb = st.sessions.connect({ url: b.url, publishOrigin: bridge.id });
		await waitStatus(ida, 1);
		await waitStatus(idb, 1);

		const pub = await connect(a.url);
		cleanups.push(() => pub.close());
		const producer = new Moq.Broadcast.Producer();
		const t = producer.createTrack("video");
		pub.publish(Moq.Path.from("guest/cam"), producer);
		let n = 0;
		const timer = setInterval(() => {
			const g = t.appendGroup();
			g.writeFrame({ payload: new TextEncoder().encode(`f${n++}`), timestamp: Moq.Time.Timestamp.now() });
			g.close();
		}, 25);
		cleanups.push(() => clearInterval(timer));

		const sub = await connect(b.url);
		cleanups.push(() => sub.close());
		await waitAnnounced(sub, "guest/cam");
		const frames = await within(readFrames(sub.consume(Moq.Path.from("guest/cam")), "video", 3), 10_000, "relayed frames");
		expect(frames.every((f) => /^f\d+$/.test(f))).toBe(true);

		// Unannounce propagates through the bridge.
		producer.close();
		await until(() => st.origins.broadcast(bridge.id, "guest/cam") === undefined, 10_000, "unannounce in the bridge origin");
	});
});

describe("bad input gets typed errors and nothing crashes", () => {
	it("invalid URL, unknown origin, duplicate broadcast path", async () => {
		const { studio: st } = studio();
		const bad = await dispatch(st.handlers, "sessions.connect", { url: "not a url" });
		expect(bad).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
		const scheme = await dispatch(st.handlers, "sessions.connect", { url: "file:///etc/passwd" });
		expect(scheme).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
		const unknown = await dispatch(st.handlers, "sessions.connect", { url: "http://127.0.0.1:1/", publishOrigin: "nope" });
		expect(unknown).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND } });
		const noSession = await dispatch(st.handlers, "sessions.stats", { id: "nope" });
		expect(noSession).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND } });
		const badPin = await dispatch(st.handlers, "sessions.connect", { url: "https://127.0.0.1:1/", certificateSha256: "xyz" });
		expect(badPin).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });

		const origin = st.origins.create("o");
		const one = localBroadcast("same/path");
		const two = localBroadcast("same/path");
		cleanups.push(() => one.stop(), () => two.stop());
		st.origins.addBroadcast(origin.id, one.broadcast);
		expect(() => st.origins.addBroadcast(origin.id, two.broadcast)).toThrowError(expect.objectContaining({ code: ErrorCode.ALREADY_EXISTS }));
		expect(st.sessions.list()).toEqual([]);
	});

	it("a bad or expired token fails once with UNAUTHORIZED and the token never appears in state or logs", async () => {
		const key = new TextEncoder().encode("topology-test-key-0123456789abcd");
		const r = await relay({ jwtKey: key });
		const { studio: st, statuses } = studio();
		const expired = signToken({ root: "", get: [""], put: [""], exp: Math.floor(Date.now() / 1000) - 60 }, key);
		const id = st.sessions.connect({ url: r.url, token: expired, backoff: { initial: 50 } });
		await until(() => st.sessions.get(id).phase === "failed", 10_000, "failure");
		expect(statuses(id)).toEqual([ErrorCode.UNAUTHORIZED]);
		expect(st.sessions.get(id).lastError).toMatchObject({ name: "UNAUTHORIZED" });
		const everything = JSON.stringify([st.sessions.list(), st.logger.recent("trace", 5000)]);
		expect(everything).not.toContain(expired);
		// The token is kept apart from the URL, which is shown without it (issue 14).
		expect(st.sessions.get(id).url).toBe(r.url);
		expect(JSON.stringify(st.sessions.list())).not.toContain("jwt");

		const good = signToken({ root: "", get: [""], put: [""], exp: Math.floor(Date.now() / 1000) + 600 }, key);
		const ok = st.sessions.connect({ url: r.url, token: good });
		await until(() => statuses(ok).includes(1), 10_000, "authorised connect");
	});

	it("pins the relay certificate: the right sha-256 connects, a wrong one fails with CERTIFICATE", async () => {
		const dir = mkdtempSync(join(tmpdir(), "moq-tls-"));
		execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
		const tls = { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) };
		const r = await startRelay({ host: "127.0.0.1", port: 0, tls });
		cleanups.push(() => r.close());
		expect(r.url).toMatch(/^https:/);
		const pin = certificateSha256(tls.cert);
		const { studio: st, statuses } = studio();
		const good = st.sessions.connect({ url: r.url, certificateSha256: pin });
		await until(() => statuses(good).includes(1), 10_000, "pinned connect");
		const wrong = st.sessions.connect({ url: r.url, certificateSha256: "00".repeat(32) });
		await until(() => st.sessions.get(wrong).phase === "failed", 10_000, "pin mismatch");
		expect(statuses(wrong)).toEqual([ErrorCode.CERTIFICATE]);
		const unpinned = st.sessions.connect({ url: r.url, backoff: { timeout: 500, initial: 50 } });
		await until(() => st.sessions.get(unpinned).phase === "failed", 10_000, "untrusted self-signed");
		expect(st.sessions.get(unpinned).lastError?.name).toBe("CERTIFICATE");
	});
});

describe("stalls", () => {
	it("wake() after a silent stall reconnects within one backoff step", async () => {
		const r = await relay();
		const proxy = await startProxy(r.port);
		cleanups.push(() => proxy.close());
		const { studio: st, waitStatus } = studio();
		const id = st.sessions.connect({ url: `http://127.0.0.1:${proxy.port}/`, backoff: { initial: 200, max: 200 }, stallTimeoutMs: 60_000 });
		await waitStatus(id, 1);
		const backoffs: { attempt: number; reason: string }[] = [];
		st.events.listen((event, payload) => {
			if (event !== "sessions.state") return;
			const { session } = payload as { session: { id: string; phase: string; attempt: number; lastError: { message: string } | null } };
			if (session.id === id && session.phase === "backoff") backoffs.push({ attempt: session.attempt, reason: session.lastError?.message ?? "" });
		});
		proxy.freeze();
		st.sessions.wake();
		// The stall timeout is a minute: only the wake probe can bring epoch 2 within the wait.
		await waitStatus(id, 2, 10_000);
		expect(backoffs).toEqual([{ attempt: 1, reason: "the relay did not answer after the machine woke up" }]);
	});

	it("notices a stall by itself through the keepalive", async () => {
		const r = await relay();
		const proxy = await startProxy(r.port);
		cleanups.push(() => proxy.close());
		const { studio: st, waitStatus } = studio();
		const id = st.sessions.connect({ url: `http://127.0.0.1:${proxy.port}/`, backoff: { initial: 100, max: 100 }, stallTimeoutMs: 1000 });
		await waitStatus(id, 1);
		proxy.freeze();
		await waitStatus(id, 2, 10_000);
	});
});
