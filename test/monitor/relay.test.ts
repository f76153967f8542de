/**
 * Monitor of a broadcast that comes through a relay session: a relay restart shows as stalled
 * and then a new epoch, and closing the monitor releases its upstream subscriptions at the relay.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { MonitorInfo, MonitorMessage } from "../../shared/monitor";
import { startRelay, type RelayHandle } from "../../electron/engine/relay";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, until } from "../relay/clients";
import { ok, openBridge, openMonitorPeer, parseConfig, type BridgeClient } from "./peers";

quietLibraryLogs();

let relay: RelayHandle;
let t: TestStudio;
let bridge: BridgeClient;
let dir: string;
let remove: () => Promise<void>;
let source: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-monitor-relay-"));
	[source, relay, t] = await Promise.all([makeH264Mp4(`${dir}/show.mp4`, 3), startTestRelay(), startTestStudio()]);
	bridge = await openBridge(t);
});
afterAll(async () => {
	bridge?.close();
	await t?.close();
	await relay?.close();
	await remove?.();
});

const PATH = "remote/show.hang";
const latest = (id: string): MonitorInfo | undefined => bridge.states.filter((s) => s.id === id).at(-1);
/** Tracks of the broadcast that the relay subscribes upstream right now. */
const upstreamTracks = () => relay.stats().routes.filter((r) => r.path === PATH).flatMap((r) => r.tracks.filter((tr) => tr.upstream).map((tr) => tr.name));

it("follows a broadcast through a relay restart (stalled, then epoch 2) and releases every upstream subscription on close", { timeout: 90_000 }, async () => {
	const pub = ok(await bridge.invoke("origins.create", { name: "pub" }));
	const watch = ok(await bridge.invoke("origins.create", { name: "watch" }));
	ok(await bridge.invoke("sessions.connect", { url: relay.url, publishOrigin: pub.id }));
	ok(await bridge.invoke("sessions.connect", { url: relay.url, consumeOrigin: watch.id }));
	const pubId = ok(await bridge.invoke("publishing.start", { originId: pub.id, path: PATH, file: source, loop: true })).id;

	const info = ok(await bridge.invoke("monitor.open", { originId: watch.id, path: PATH }));
	const peer = await openMonitorPeer(t, info.channel);
	await peer.until((m) => m.filter((x) => x.type === "video").length >= 10, 30_000, "video of epoch 1");
	expect(peer.messages[0]?.type).toBe("config");
	expect(upstreamTracks().sort()).toEqual(["audio0", "catalog.json", "video0"]);

	// The relay goes away: the consuming session's broadcast drops with its connection.
	const port = relay.port;
	await relay.close();
	await until(() => latest(info.id)?.state === "stalled", 20_000, "stalled");
	expect(latest(info.id)?.epoch).toBe(1);

	const mark = peer.messages.length;
	relay = await startRelay({ host: "127.0.0.1", port });
	await peer.until((m) => m.slice(mark).some((x) => x.type === "video" && x.epoch === 2), 45_000, "video of epoch 2");
	const epoch2 = peer.messages.slice(mark).filter((m) => m.epoch === 2);
	expect(epoch2[0]?.type).toBe("config");
	expect(parseConfig(epoch2[0] as MonitorMessage).epoch).toBe(2);
	expect(epoch2.find((m) => m.type === "video")).toMatchObject({ keyframe: true, discontinuity: true });
	await until(() => latest(info.id)?.state === "live" && latest(info.id)?.epoch === 2, 5000, "live in epoch 2");
	expect(upstreamTracks().length).toBeGreaterThan(0);

	ok(await bridge.invoke("monitor.close", { id: info.id }));
	await until(() => upstreamTracks().length === 0, 10_000, "the relay to drop its upstream subscriptions");
	expect(relay.stats().upstreamSubscriptions).toBe(0);
	ok(await bridge.invoke("publishing.stop", { id: pubId }));
});

it("keeps the relay's upstream subscriptions while another monitor of the broadcast still watches", { timeout: 60_000 }, async () => {
	const path = "remote/shared.hang";
	const upstream = () => relay.stats().routes.filter((r) => r.path === path).flatMap((r) => r.tracks.filter((tr) => tr.upstream).map((tr) => tr.name));
	const pub = ok(await bridge.invoke("origins.create", { name: "pub2" }));
	const watch = ok(await bridge.invoke("origins.create", { name: "watch2" }));
	ok(await bridge.invoke("sessions.connect", { url: relay.url, publishOrigin: pub.id }));
	ok(await bridge.invoke("sessions.connect", { url: relay.url, consumeOrigin: watch.id }));
	const pubId = ok(await bridge.invoke("publishing.start", { originId: pub.id, path, file: source, loop: true })).id;

	const a = ok(await bridge.invoke("monitor.open", { originId: watch.id, path }));
	const b = ok(await bridge.invoke("monitor.open", { originId: watch.id, path }));
	const [peerA, peerB] = await Promise.all([openMonitorPeer(t, a.channel), openMonitorPeer(t, b.channel)]);
	await Promise.all([peerA, peerB].map((p) => p.until((m) => m.some((x) => x.type === "video"), 30_000, "video")));

	ok(await bridge.invoke("monitor.close", { id: a.id }));
	const mark = peerB.messages.length;
	await peerB.until((m) => m.slice(mark).filter((x) => x.type === "video").length >= 30, 20_000, "video for the monitor that stays");
	expect(upstream().sort()).toEqual(["audio0", "catalog.json", "video0"]);

	ok(await bridge.invoke("monitor.close", { id: b.id }));
	await until(() => upstream().length === 0, 10_000, "the relay to drop its upstream subscriptions");
	ok(await bridge.invoke("publishing.stop", { id: pubId }));
});
