/**
 * Subscriptions end when nobody needs them (the Monitor issue): after a 4 s `moq-studio record`
 * through a second relay, the studio went on pulling the broadcast from its embedded relay at
 * about 130 kb/s for minutes. Every hop must release its upstream subscription once the recorder
 * leaves: the second relay unsubscribes from the studio's forwarding session, the forward
 * (`origins/forward.ts`) drops its track subscription, so the studio's consuming session
 * unsubscribes from the embedded relay, whose upstream to the publisher ends.
 *
 * Real processes throughout: the studio engine with its embedded relay, a second relay on
 * loopback, and the `moq-studio` CLI publishing a looped file and recording.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Logger } from "../../electron/engine/log/logger";
import type { RelayHandle } from "../../electron/engine/relay";
import { Studio } from "../../electron/engine/studio";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, until } from "../relay/clients";

quietLibraryLogs();

const BROADCAST = "demo/cam2.hang";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

/** The studio with its embedded relay (and its session to it), a looped file published into that relay. */
async function liveStudio() {
	const { dir, remove } = await tempDir("moq-release-");
	cleanups.push(remove);
	const source = await makeH264Mp4(`${dir}/source.mp4`, 3);
	const logger = new Logger();
	if (process.env.STUDIO_LOG) logger.addSink((e) => process.stderr.write(`[${e.level}] ${e.scope}: ${e.message}\n`));
	const studio = new Studio({ host: "web", logger, dataDir: dir, recordingsDir: dir, embeddedRelay: { port: 0 } });
	await studio.start();
	cleanups.push(() => studio.close());
	const embedded = studio.embeddedRelay!;
	const session = studio.sessions.list().find((s) => s.embedded)!;
	const publisher = spawnStudioCli(["publish", "--url", embedded.url, "--broadcast", BROADCAST, "--file", source, "--loop", "--json"]);
	cleanups.push(() => void publisher.kill("SIGKILL"));
	await waitForLine(publisher, /"event":"status","code":1/);
	// The studio's own session sees the broadcast: the state the user's studio was in.
	const originId = session.consumeOrigin!;
	await until(() => studio.origins.broadcast(originId, BROADCAST) !== undefined, 10_000, "the broadcast in the studio origin");
	return { dir, studio, embedded, embeddedSession: session.id, originId };
}

/** Tracks of `path` on `relay` holding an upstream subscription. */
function upstreamTracks(relay: RelayHandle, path = BROADCAST): string[] {
	const route = relay.stats().routes.find((r) => r.path === path);
	return (route?.tracks ?? []).filter((t) => t.upstream).map((t) => t.name);
}

/** Runs `moq-studio record` for 4 s of media; resolves once it has exited, after checking it subscribed through `relay`. */
async function recordFourSeconds(relay: RelayHandle, out: string): Promise<void> {
	const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", BROADCAST, "--out", out, "--duration", "4", "--json"]);
	cleanups.push(() => void recorder.kill("SIGKILL"));
	// While it records, the relay it reads from holds upstream subscriptions for it.
	await until(() => upstreamTracks(relay).length > 0 || recorder.exitCode !== null, 30_000, "the recorder's subscriptions on the relay");
	const result = await waitForExit(recorder, 60_000);
	expect(result.code, result.stderr).toBe(0);
	expect(result.stdout).toMatch(/"event":"done".*"reason":"duration"/);
}

describe("subscriptions end when nobody needs them", () => {
	it("a recorder through a second relay leaves: every hop unsubscribes and the studio stops pulling", { timeout: 120_000 }, async () => {
		const { dir, studio, embedded, embeddedSession, originId } = await liveStudio();
		const second = await startTestRelay();
		cleanups.push(() => second.close());
		// The studio forwards its origin to the second relay.
		const forward = studio.sessions.connect({ url: second.url, publishOrigin: originId });
		await until(() => second.stats().routes.some((r) => r.path === BROADCAST), 15_000, "the broadcast forwarded to the second relay");
		expect(upstreamTracks(embedded)).toEqual([]);

		await recordFourSeconds(second, `${dir}/through-second.mp4`);
		// The chain was in use: the forward served the recorder's tracks from the embedded relay.
		const served = () => studio.sessions.stats(forward).broadcasts.find((b) => b.path === BROADCAST);
		expect(served()?.tracks.length ?? 0).toBeGreaterThan(0);

		// Hop 1: the second relay unsubscribes from the studio's forwarding session.
		await until(() => upstreamTracks(second).length === 0, 15_000, `the second relay to release its upstream (${upstreamTracks(second).join(", ")})`);
		// Hop 2: the forward stops serving (nobody subscribed to it any more).
		await until(() => served()?.subscribers === 0, 15_000, `the forward to drop its subscriptions (${JSON.stringify(served()?.tracks)})`);
		// Hop 3: the studio's consuming session unsubscribed, so the embedded relay drops its upstream to the publisher.
		await until(() => upstreamTracks(embedded).length === 0, 15_000, `the embedded relay to release its upstream (${upstreamTracks(embedded).join(", ")})`);
		expect(embedded.stats().upstreamSubscriptions).toBe(0);
		expect(second.stats().upstreamSubscriptions).toBe(0);
		// The broadcast itself is still live everywhere: released for want of demand, not because it ended.
		expect(embedded.stats().routes.map((r) => r.path)).toContain(BROADCAST);
		expect(second.stats().routes.map((r) => r.path)).toContain(BROADCAST);

		// The consuming session's IN counter stops growing: the looped file is ~20 kB/s, so three
		// seconds of it would be ~60 kB; keepalives are a few bytes.
		const before = studio.sessions.stats(embeddedSession).bytesIn;
		await new Promise((r) => setTimeout(r, 3000));
		const grew = studio.sessions.stats(embeddedSession).bytesIn - before;
		expect(grew).toBeLessThan(2000);
	});

	it("a recorder straight through the embedded relay leaves: the relay's upstream to the publisher ends", { timeout: 120_000 }, async () => {
		const { dir, studio, embedded, embeddedSession } = await liveStudio();
		await recordFourSeconds(embedded, `${dir}/single-hop.mp4`);
		await until(() => upstreamTracks(embedded).length === 0, 15_000, `the embedded relay to release its upstream (${upstreamTracks(embedded).join(", ")})`);
		expect(embedded.stats().upstreamSubscriptions).toBe(0);
		expect(embedded.stats().routes.map((r) => r.path)).toContain(BROADCAST);
		// Nothing in the studio pulled it either.
		const before = studio.sessions.stats(embeddedSession).bytesIn;
		await new Promise((r) => setTimeout(r, 3000));
		expect(studio.sessions.stats(embeddedSession).bytesIn - before).toBeLessThan(2000);
	});

	it("a recording in the studio is stopped: its session unsubscribes from the embedded relay", { timeout: 120_000 }, async () => {
		const { studio, embedded, embeddedSession, originId } = await liveStudio();
		const recording = studio.recordings.start({ originId, path: BROADCAST, fileName: "in-studio.mp4" });
		const info = () => studio.recordings.list().find((r) => r.id === recording.id)!;
		await until(() => info().bytes > 0 && upstreamTracks(embedded).length > 0, 30_000, "the recording to write media");
		await studio.recordings.stop(recording.id);
		await until(() => upstreamTracks(embedded).length === 0, 15_000, `the embedded relay to release its upstream (${upstreamTracks(embedded).join(", ")})`);
		const before = studio.sessions.stats(embeddedSession).bytesIn;
		await new Promise((r) => setTimeout(r, 3000));
		expect(studio.sessions.stats(embeddedSession).bytesIn - before).toBeLessThan(2000);
	});
});
