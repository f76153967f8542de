/**
 * The embedded relay (the studio's default connection) can offer WebTransport over HTTP/2 as
 * well (`embeddedRelay.webTransportH2`, off by default): the studio's own session then carries
 * MoQ over the fails-components stack, and a broadcast in the "studio" origin reaches a second
 * client pinned by the hash the relay serves.
 */
import * as Moq from "@moq/net";
import { afterEach, expect, it } from "vitest";
import { Logger } from "../../electron/engine/log/logger";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { Studio } from "../../electron/engine/studio";
import { openMoqConnection } from "../../electron/engine/transport/connect";
import { quietLibraryLogs, readString, until, within, writeGroup } from "./clients";

quietLibraryLogs();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function startStudio(webTransportH2?: boolean): Promise<Studio> {
	const studio = new Studio({ host: "web", logger: new Logger(), embeddedRelay: { port: 0, ...(webTransportH2 === undefined ? {} : { webTransportH2 }) } });
	cleanups.push(() => studio.close());
	await studio.start();
	return studio;
}

it("off by default: no HTTP/2 listener, and the embedded session does not use one", async () => {
	const studio = await startStudio();
	const relay = studio.embeddedRelay!;
	expect(relay.webTransport.http2Url).toBeUndefined();
	const session = studio.sessions.list().find((s) => s.embedded)!;
	await until(() => studio.sessions.get(session.id).phase === "connected", 15_000, "the embedded session");
	// Its own relay in the same process: an in-memory link (transport/in-process.ts), not a socket.
	expect(studio.sessions.get(session.id).transportKind).toBe("in-process");
});

it("on: the studio's own session connects over WebTransport HTTP/2 and carries its origin's broadcasts", { timeout: 30_000 }, async () => {
	const studio = await startStudio(true);
	const relay = studio.embeddedRelay!;
	const http2Url = relay.webTransport.http2Url!;
	expect(http2Url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
	const session = studio.sessions.list().find((s) => s.embedded)!;
	await until(() => studio.sessions.get(session.id).phase === "connected", 15_000, "the embedded session");
	expect(studio.sessions.get(session.id)).toMatchObject({ transport: "webtransport", transportKind: "webtransport-h2", epoch: 1 });

	const origin = studio.origins.list().find((o) => o.name === "studio")!;
	const producer = new Moq.Broadcast.Producer();
	cleanups.push(() => producer.close());
	const track = producer.createTrack("data");
	studio.origins.addBroadcast(origin.id, new LocalBroadcast("embedded/show.hang", producer));

	const hash = await (await fetch(new URL("/certificate.sha256", relay.url))).text();
	const sub = await openMoqConnection(new URL(relay.url), { transport: "webtransport", webTransportUrl: new URL(http2Url), certificateSha256: hash, timeoutMs: 5000 });
	cleanups.push(() => sub.close());
	const announced = sub.established.announced(Moq.Path.from("embedded"));
	for (;;) {
		const entry = await within(announced.next(), 10_000, "the announcement");
		if (!entry || entry.active) break;
	}
	const frames = sub.established.consume(Moq.Path.from("embedded/show.hang")).subscribe("data");
	const writer = setInterval(() => writeGroup(track, ["from the studio"]), 50);
	cleanups.push(() => clearInterval(writer));
	expect(await readString(frames, 10_000)).toBe("from the studio");
});
