/**
 * Monitor end to end through the web host: a studio with its embedded relay publishes a real
 * H.264/Opus file, and a page-like peer watches it over `/bridge` and a `/media` channel.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../shared/errors";
import type { MonitorInfo, MonitorMessage } from "../../shared/monitor";
import { MAX_UNACKED_AUDIO, MAX_UNACKED_BYTES, MAX_UNACKED_VIDEO } from "../../electron/engine/monitor/channel";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, until } from "../relay/clients";
import { avccNalTypes, ok, openBridge, openMonitorPeer, parseConfig, type BridgeClient } from "./peers";

quietLibraryLogs();

let t: TestStudio;
let bridge: BridgeClient;
let dir: string;
let remove: () => Promise<void>;
let source: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-monitor-"));
	[source, t] = await Promise.all([makeH264Mp4(`${dir}/show.mp4`, 3), startTestStudio({ embeddedRelay: true })]);
	bridge = await openBridge(t);
});
afterAll(async () => {
	bridge?.close();
	await t?.close();
	await remove?.();
});

function studioOrigin(): string {
	const origin = t.studio.origins.list().find((o) => o.name === "studio");
	if (!origin) throw new Error("the embedded relay's origin is missing");
	return origin.id;
}

async function publish(path: string): Promise<string> {
	return ok(await bridge.invoke("publishing.start", { originId: studioOrigin(), path, file: source, loop: true })).id;
}

const ofKind = (messages: MonitorMessage[], type: MonitorMessage["type"]) => messages.filter((m) => m.type === type);
const latest = (id: string): MonitorInfo | undefined => bridge.states.filter((s) => s.id === id).at(-1);

describe("monitor through the web host", () => {
	it("forwards a published file: config first, video from a keyframe (an IDR), audio, stats and the catalog", { timeout: 60_000 }, async () => {
		const pubId = await publish("mon/show.hang");
		const info = ok(await bridge.invoke("monitor.open", { originId: studioOrigin(), path: "mon/show.hang" }));
		expect(info.channel.length).toBeGreaterThanOrEqual(32);
		expect(info.channel).not.toBe(info.id);
		const peer = await openMonitorPeer(t, info.channel);
		await peer.until((m) => ofKind(m, "video").length >= 70 && ofKind(m, "audio").length >= 60, 30_000, "video and audio frames");

		const [first] = peer.messages;
		expect(first?.type).toBe("config");
		const config = parseConfig(first as MonitorMessage);
		expect(config.epoch).toBe(1);
		expect(config.video?.track).toBe("video0");
		expect(config.video?.config.codec).toMatch(/^avc1\./);
		expect(config.video?.config.description).toMatch(/^01/); // an avcC record
		expect(config.video?.config).toMatchObject({ codedWidth: 320, codedHeight: 240 });
		expect(config.audio).toMatchObject({ track: "audio0", config: { codec: "opus", sampleRate: 48_000 } });

		const video = ofKind(peer.messages, "video");
		const firstVideo = video[0] as MonitorMessage;
		expect(firstVideo).toMatchObject({ keyframe: true, discontinuity: true, epoch: 1 });
		expect(avccNalTypes(firstVideo.payload)).toContain(5);
		// Every group starts with its keyframe and groups come in order; keyframe times increase
		// (frames inside a group are in decode order, so B-frames make their times non-monotonic).
		for (let i = 1; i < video.length; i++) {
			const [prev, cur] = [video[i - 1] as MonitorMessage, video[i] as MonitorMessage];
			expect(cur.group).toBeGreaterThanOrEqual(prev.group);
			expect(cur.keyframe).toBe(cur.group !== prev.group);
			expect(cur.discontinuity).toBe(false);
		}
		const keyTimes = video.filter((m) => m.keyframe).map((m) => m.timestampUs);
		expect(keyTimes.length).toBeGreaterThanOrEqual(2);
		for (let i = 1; i < keyTimes.length; i++) expect(keyTimes[i]).toBeGreaterThan(keyTimes[i - 1] as number);
		const audio = ofKind(peer.messages, "audio");
		for (let i = 1; i < audio.length; i++) expect((audio[i] as MonitorMessage).timestampUs).toBeGreaterThan((audio[i - 1] as MonitorMessage).timestampUs);
		// Sequences number every message of the channel, config included.
		expect(peer.messages.map((m) => m.sequence)).toEqual(peer.messages.map((_, i) => i));
		// Arrival is the engine's wall clock, in the same domain as this process's Date.now().
		expect(Math.abs((video.at(-1) as MonitorMessage).arrivalMs - Date.now())).toBeLessThan(60_000);

		await until(() => (latest(info.id)?.tracks.length ?? 0) === 2 && latest(info.id)?.tracks.every((s) => s.fps > 0) === true, 5000, "stats of both tracks");
		const state = latest(info.id) as MonitorInfo;
		expect(state).toMatchObject({ state: "live", epoch: 1, video: "video0", audio: "audio0", error: null, originId: studioOrigin(), path: "mon/show.hang" });
		expect(state.renditions).toEqual([
			expect.objectContaining({ name: "video0", kind: "video", container: "legacy", priority: 60, width: 320, height: 240, playable: true }),
			expect.objectContaining({ name: "audio0", kind: "audio", codec: "opus", container: "legacy", priority: 80, sampleRate: 48_000, playable: true }),
		]);
		expect((state.catalog as { video: { renditions: Record<string, unknown> } }).video.renditions).toHaveProperty("video0");
		const vstats = state.tracks.find((s) => s.kind === "video");
		expect(vstats).toMatchObject({ name: "video0", skippedGroups: 0 });
		expect(vstats?.frames).toBeGreaterThan(0);
		// Fresh numbers count every frame that arrived, forwarded or not.
		const fresh = ok(await bridge.invoke("monitor.list", {})).find((m) => m.id === info.id);
		expect(fresh?.tracks.find((s) => s.kind === "video")?.frames).toBeGreaterThanOrEqual(video.length);
		expect(vstats?.bitrate).toBeGreaterThan(0);
		expect(vstats?.groups).toBeGreaterThanOrEqual(2);
		expect(vstats?.frameBytesMax).toBeGreaterThanOrEqual(vstats?.frameBytesAvg ?? Infinity);
		expect(vstats?.latencyMs).not.toBeNull();
		expect(vstats?.latencyMs).toBeGreaterThanOrEqual(0);
		expect(vstats?.jitterMs).not.toBeNull();
		expect(ok(await bridge.invoke("monitor.list", {})).map((m) => m.id)).toContain(info.id);

		ok(await bridge.invoke("monitor.close", { id: info.id }));
		await until(() => peer.closeCode !== undefined, 5000, "the channel to close");
		expect(peer.closeCode).toBe(1000);
		expect(latest(info.id)?.closed).toBe(true);
		expect(ok(await bridge.invoke("monitor.list", {})).map((m) => m.id)).not.toContain(info.id);
		ok(await bridge.invoke("publishing.stop", { id: pubId }));
	});

	it("skips whole video groups for a peer that never acknowledges, holding what it sends bounded, and resumes at a keyframe", { timeout: 60_000 }, async () => {
		const pubId = await publish("mon/slow.hang");
		const info = ok(await bridge.invoke("monitor.open", { originId: studioOrigin(), path: "mon/slow.hang" }));
		const peer = await openMonitorPeer(t, info.channel, { ack: false });
		await until(() => (t.studio.monitors.info(info.id).tracks.find((s) => s.kind === "video")?.skippedGroups ?? 0) >= 2, 30_000, "skipped video groups");
		await until(() => (t.studio.monitors.info(info.id).tracks.find((s) => s.kind === "audio")?.skippedFrames ?? 0) > 0, 30_000, "dropped audio frames");
		// Let anything in flight land before counting what the peer holds.
		const settle = peer.messages.length;
		await new Promise((r) => setTimeout(r, 300));
		const video = ofKind(peer.messages, "video");
		expect(video.length).toBeLessThanOrEqual(MAX_UNACKED_VIDEO);
		expect(ofKind(peer.messages, "audio").length).toBeLessThanOrEqual(MAX_UNACKED_AUDIO);
		expect(peer.messages.length - settle).toBeLessThanOrEqual(2);
		const largest = Math.max(...peer.messages.map((m) => m.payload.byteLength + 32));
		expect(peer.bytes).toBeLessThanOrEqual(MAX_UNACKED_BYTES + largest);
		const stats = t.studio.monitors.info(info.id).tracks.find((s) => s.kind === "video");
		expect(stats?.frames).toBeGreaterThan(video.length); // it kept reading what it did not send

		// Credit back: video resumes at the next group's first frame, flagged as a discontinuity.
		const before = peer.messages.length;
		peer.ackAll();
		await peer.until((m) => ofKind(m.slice(before), "video").length > 0, 10_000, "video after the ack");
		expect(ofKind(peer.messages.slice(before), "video")[0]).toMatchObject({ keyframe: true, discontinuity: true });
		ok(await bridge.invoke("monitor.close", { id: info.id }));
		ok(await bridge.invoke("publishing.stop", { id: pubId }));
	});

	it("select switches renditions: a new config, then video from a keyframe; bad choices are typed errors", { timeout: 60_000 }, async () => {
		const pubId = await publish("mon/select.hang");
		const info = ok(await bridge.invoke("monitor.open", { originId: studioOrigin(), path: "mon/select.hang", audio: null }));
		const peer = await openMonitorPeer(t, info.channel);
		await peer.until((m) => ofKind(m, "video").length >= 5, 20_000, "video");
		expect(ofKind(peer.messages, "audio")).toEqual([]);
		expect(parseConfig(peer.messages[0] as MonitorMessage).audio).toBeNull();

		const notFound = await bridge.invoke("monitor.select", { id: info.id, video: "video9" });
		expect(notFound).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND } });
		const wrongKind = await bridge.invoke("monitor.select", { id: info.id, video: "audio0" });
		expect(wrongKind).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });

		const mark = peer.messages.length;
		const selected = ok(await bridge.invoke("monitor.select", { id: info.id, audio: "audio0" }));
		expect(selected).toMatchObject({ video: "video0", audio: "audio0" });
		await peer.until((m) => ofKind(m.slice(mark), "audio").length >= 5 && ofKind(m.slice(mark), "video").length >= 1, 20_000, "audio after select");
		const after = peer.messages.slice(mark);
		const configAt = after.findIndex((m) => m.type === "config");
		expect(configAt).toBeGreaterThanOrEqual(0);
		expect(parseConfig(after[configAt] as MonitorMessage)).toMatchObject({ video: { track: "video0" }, audio: { track: "audio0" } });
		// Nothing of the old subscriptions after the config; video starts over at a group start.
		expect(after.slice(configAt + 1).find((m) => m.type === "video")).toMatchObject({ keyframe: true, discontinuity: true });
		expect(after.slice(0, configAt).every((m) => m.type === "video")).toBe(true);

		const mark2 = peer.messages.length;
		ok(await bridge.invoke("monitor.select", { id: info.id, video: null }));
		await peer.until((m) => m.slice(mark2).some((x) => x.type === "config") && ofKind(m.slice(mark2), "audio").length >= 5, 20_000, "audio only");
		const after2 = peer.messages.slice(mark2);
		const configAt2 = after2.findIndex((m) => m.type === "config");
		expect(parseConfig(after2[configAt2] as MonitorMessage).video).toBeNull();
		expect(ofKind(after2.slice(configAt2), "video")).toEqual([]);
		ok(await bridge.invoke("monitor.close", { id: info.id }));
		ok(await bridge.invoke("publishing.stop", { id: pubId }));
	});

	it("shows a publication that stops as ended, and resumes in a new epoch when it is published again", { timeout: 60_000 }, async () => {
		const path = "mon/again.hang";
		const pubId = await publish(path);
		const info = ok(await bridge.invoke("monitor.open", { originId: studioOrigin(), path }));
		const peer = await openMonitorPeer(t, info.channel);
		await peer.until((m) => ofKind(m, "video").length >= 5, 20_000, "video");
		ok(await bridge.invoke("publishing.stop", { id: pubId }));
		await until(() => latest(info.id)?.state === "ended", 20_000, "ended");
		expect(latest(info.id)?.epoch).toBe(1);
		expect(latest(info.id)?.closed).toBeUndefined();

		const mark = peer.messages.length;
		const pub2 = await publish(path);
		await peer.until((m) => m.slice(mark).some((x) => x.type === "video" && x.epoch === 2), 20_000, "video of epoch 2");
		const after = peer.messages.slice(mark).filter((m) => m.epoch === 2);
		expect(after[0]?.type).toBe("config");
		expect(parseConfig(after[0] as MonitorMessage).epoch).toBe(2);
		expect(after.find((m) => m.type === "video")).toMatchObject({ keyframe: true, discontinuity: true });
		await until(() => latest(info.id)?.state === "live" && latest(info.id)?.epoch === 2, 5000, "live in epoch 2");
		ok(await bridge.invoke("monitor.close", { id: info.id }));
		ok(await bridge.invoke("publishing.stop", { id: pub2 }));
	});

	it("waits for a path nobody publishes yet", async () => {
		const info = ok(await bridge.invoke("monitor.open", { originId: studioOrigin(), path: "mon/nobody.hang" }));
		expect(info).toMatchObject({ state: "waiting", epoch: 0, catalog: null, renditions: [], video: null, audio: null, tracks: [], error: null });
		ok(await bridge.invoke("monitor.close", { id: info.id }));
	});

	it("refuses bad input with typed errors", async () => {
		expect(await bridge.invoke("monitor.open", { originId: "no-such-origin", path: "mon/x.hang" })).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND } });
		expect(await bridge.invoke("monitor.open", { originId: studioOrigin(), path: "" })).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
		expect(await bridge.invoke("monitor.close", { id: "no-such-monitor" })).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND } });
		expect(await bridge.invoke("monitor.select", { id: "no-such-monitor", video: null })).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND } });
		await expect(openMonitorPeer(t, "no-such-channel")).rejects.toThrow(/404/);

		// A channel message that is not an acknowledgement closes the channel (1007), not the engine.
		const info = ok(await bridge.invoke("monitor.open", { originId: studioOrigin(), path: "mon/bad.hang" }));
		const peer = await openMonitorPeer(t, info.channel);
		peer.ws.send("hello");
		await until(() => peer.closeCode !== undefined, 5000, "the channel to close");
		expect(peer.closeCode).toBe(1007);
		ok(await bridge.invoke("monitor.close", { id: info.id }));
	});

	it("closes a monitor whose page went away once the grace period passes", { timeout: 30_000 }, async () => {
		const info = ok(await bridge.invoke("monitor.open", { originId: studioOrigin(), path: "mon/gone.hang" }));
		const peer = await openMonitorPeer(t, info.channel);
		await until(() => t.studio.monitors.list().some((m) => m.id === info.id), 1000, "open");
		peer.close();
		await until(() => latest(info.id)?.closed === true, 15_000, "the monitor to close itself");
		expect(t.studio.monitors.owns(info.channel)).toBe(false);
	});
});
