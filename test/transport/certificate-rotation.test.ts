/**
 * The relay's WebTransport certificate rotates while it runs (issue 12): with a short validity
 * (60 s, renewed 50 s before expiry, so every ~4 s) the hash `/certificate.sha256` serves changes
 * while the old certificate is still valid, new handshakes get the new certificate, a client
 * pinning the new hash connects over WebTransport HTTP/2 through the real fails-components stack,
 * and a session opened before the rotation keeps carrying MoQ.
 */
import { connect as tlsConnect } from "node:tls";
import * as Moq from "@moq/net";
import { afterEach, expect, it } from "vitest";
import { Logger } from "../../electron/engine/log/logger";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import type { RelayHandle } from "../../electron/engine/relay";
import { Studio } from "../../electron/engine/studio";
import { type MoqConnection, openMoqConnection } from "../../electron/engine/transport/connect";
import { startTestRelay } from "../helpers/relay";
import { quietLibraryLogs, readString, until, within, writeGroup } from "../relay/clients";

quietLibraryLogs();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

/** The certificate a fresh TLS handshake with `url` gets: its sha-256 and expiry. */
function peerCertificate(url: string): Promise<{ sha256: string; validTo: number }> {
	const { hostname, port } = new URL(url);
	return new Promise((resolve, reject) => {
		const socket = tlsConnect({ host: hostname, port: Number(port), rejectUnauthorized: false, ALPNProtocols: ["h2"] }, () => {
			const cert = socket.getPeerCertificate();
			socket.destroy();
			resolve({ sha256: cert.fingerprint256.replace(/:/g, "").toLowerCase(), validTo: Date.parse(cert.valid_to) });
		});
		socket.once("error", reject);
	});
}

async function servedHash(relay: RelayHandle): Promise<string> {
	const res = await fetch(new URL("/certificate.sha256", relay.url));
	expect(res.status).toBe(200);
	return res.text();
}

it("rotates before expiry: the served hash changes, a client pinning the new one connects, an open session is not cut", { timeout: 60_000 }, async () => {
	const relayLines: string[] = [];
	const relay = await startTestRelay({
		log: (level, message) => void relayLines.push(`${level} ${message}`),
		webTransport: { http3: false, http2: true, certificate: { validityMs: 60_000, renewBeforeMs: 50_000 } },
	});
	cleanups.push(() => relay.close());
	const http2Url = relay.webTransport.http2Url!;
	const first = await servedHash(relay);
	const firstPeer = await peerCertificate(http2Url);
	expect(firstPeer.sha256).toBe(first);

	// A studio session over WebTransport HTTP/2, opened with the first certificate.
	const logger = new Logger();
	const studio = new Studio({ host: "web", logger });
	cleanups.push(() => studio.close());
	const statuses: number[] = [];
	const origin = studio.origins.create("show");
	const id = studio.sessions.connect({ url: relay.url, webTransportUrl: http2Url, transport: "webtransport", publishOrigin: origin.id });
	studio.sessions.onStatus((sid, code) => sid === id && statuses.push(code));
	await until(() => statuses.includes(1), 15_000, "the session's first connect");
	expect(studio.sessions.get(id).transportKind).toBe("webtransport-h2");

	// The served hash changes while the first certificate is still valid.
	let second = first;
	const poll = setInterval(() => void servedHash(relay).then((h) => (second = h)), 100);
	try {
		await until(() => second !== first, 30_000, "the served hash to change");
	} finally {
		clearInterval(poll);
	}
	expect(Date.now()).toBeLessThan(firstPeer.validTo);
	expect(relayLines.some((l) => l.startsWith(`info WebTransport certificate rotated; sha-256 ${second}`))).toBe(true);

	// A client pinning the hash served now connects. The certificate rotates every ~4 s here: if it
	// rotated again between reading the hash and the handshake, read it again (a pin that fails
	// while the served hash did not change fails the test).
	let pinned: MoqConnection | undefined;
	for (let attempt = 0; !pinned; attempt++) {
		const hash = await servedHash(relay);
		try {
			pinned = await openMoqConnection(new URL(relay.url), { transport: "webtransport", webTransportUrl: new URL(http2Url), certificateSha256: hash, timeoutMs: 5000 });
		} catch (err) {
			if (attempt >= 3 || (await servedHash(relay)) === hash) throw err;
		}
	}
	cleanups.push(() => pinned.close());
	expect(pinned.kind).toBe("webtransport-h2");
	// New handshakes get a rotated certificate, never the first one.
	expect((await peerCertificate(http2Url)).sha256).not.toBe(first);
	// The old pin no longer matches what the relay presents.
	await expect(openMoqConnection(new URL(relay.url), { transport: "webtransport", webTransportUrl: new URL(http2Url), certificateSha256: first, timeoutMs: 5000 })).rejects.toThrow(
		/WebTransport to 127\.0\.0\.1:\d+ failed/,
	);

	// The session opened before the rotation was not cut: same epoch, and it still announces and
	// publishes to the client that pinned the new certificate.
	expect(statuses).toEqual([1]);
	expect(studio.sessions.get(id)).toMatchObject({ phase: "connected", epoch: 1 });
	const announced = pinned.established.announced(Moq.Path.from("rot"));
	const producer = new Moq.Broadcast.Producer();
	cleanups.push(() => producer.close());
	const track = producer.createTrack("data");
	studio.origins.addBroadcast(origin.id, new LocalBroadcast("rot/after.hang", producer));
	for (;;) {
		const entry = await within(announced.next(), 10_000, "the announcement over the pre-rotation session");
		if (!entry || entry.active) break;
	}
	const sub = pinned.established.consume(Moq.Path.from("rot/after.hang")).subscribe("data");
	// Groups until one arrives: the subscription starts at the live edge.
	const writer = setInterval(() => writeGroup(track, ["after rotation"]), 50);
	cleanups.push(() => clearInterval(writer));
	expect(await readString(sub, 10_000)).toBe("after rotation");
	expect(statuses).toEqual([1]);
});
