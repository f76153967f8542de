/**
 * Monitor rules that need no web host: rendition picking, catalogs it cannot use, and a monitor
 * whose renderer never comes.
 */
import * as Moq from "@moq/net";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../shared/errors";
import { validateCatalog } from "../../electron/engine/hang/catalog";
import { EventBus } from "../../electron/engine/events";
import { Logger } from "../../electron/engine/log/logger";
import { MonitorManager } from "../../electron/engine/monitor/manager";
import { flattenRenditions, pickRendition } from "../../electron/engine/monitor/renditions";
import { TrackMeter } from "../../electron/engine/monitor/track-stats";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { encodeLegacyFrame } from "../../electron/engine/hang/container";
import type { MonitorPeer } from "../../electron/engine/monitor/channel";
import { decodeMonitorMessage, type MonitorInfo, type MonitorMessage } from "../../shared/monitor";
import { OriginRegistry } from "../../electron/engine/origins/registry";
import { until } from "../relay/clients";

const catalog = validateCatalog({
	video: {
		renditions: {
			small: { codec: "avc1.42e01e", codedWidth: 640, codedHeight: 360 },
			large: { codec: "avc1.640028", codedWidth: 1280, codedHeight: 720, framerate: 30, bitrate: 3_000_000 },
			huge: { codec: "avc1.640033", codedWidth: 3840, codedHeight: 2160, container: { kind: "loc" } },
		},
	},
	audio: {
		renditions: {
			cmafAudio: { codec: "mp4a.40.2", sampleRate: 48_000, numberOfChannels: 2, container: { kind: "cmaf", init: "AAAA" } },
			opus: { codec: "opus", sampleRate: 48_000, numberOfChannels: 2 },
		},
	},
});

describe("renditions", () => {
	it("flattens the catalog and picks the largest playable video and the first playable audio", () => {
		const renditions = flattenRenditions(catalog);
		expect(renditions.map((r) => [r.name, r.kind, r.container, r.playable, r.priority])).toEqual([
			["small", "video", "legacy", true, 60],
			["large", "video", "legacy", true, 60],
			["huge", "video", "loc", false, 60],
			["cmafAudio", "audio", "cmaf", false, 80],
			["opus", "audio", "legacy", true, 80],
		]);
		expect(renditions[1]).toMatchObject({ width: 1280, height: 720, framerate: 30, bitrate: 3_000_000, sampleRate: null });
		expect(pickRendition(renditions, "video", undefined)).toBe("large");
		expect(pickRendition(renditions, "audio", undefined)).toBe("opus");
		expect(pickRendition(renditions, "video", "small")).toBe("small");
		expect(pickRendition(renditions, "video", null)).toBeNull();
	});

	it("refuses an unknown, wrong-kind or unplayable choice with typed errors", () => {
		const renditions = flattenRenditions(catalog);
		expect(() => pickRendition(renditions, "video", "nope")).toThrow(expect.objectContaining({ code: ErrorCode.NOT_FOUND }));
		expect(() => pickRendition(renditions, "video", "opus")).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
		expect(() => pickRendition(renditions, "video", "huge")).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
	});
});

describe("track stats", () => {
	it("measures rates over the last second and latency against the media clock, B-frames included", () => {
		const meter = new TrackMeter("video0", "video");
		expect(meter.stats(0)).toMatchObject({ frames: 0, latencyMs: null, jitterMs: null, keyframeIntervalS: null, lastFrameAt: null });
		// 25 fps in decode order (I P B B ...: presentation times go back and forth), arriving
		// exactly on time, a group every 25 frames.
		const start = 1_000_000;
		for (let i = 0; i < 50; i++) {
			const pts = (i % 3 === 0 ? i + 2 : i - 1) * 40_000;
			meter.frame(start + i * 40, Math.max(0, pts), 100 + (i % 25 === 0 ? 900 : 0), i % 25 === 0);
		}
		const steady = meter.stats(start + 49 * 40);
		expect(steady).toMatchObject({ frames: 50, bytes: 50 * 100 + 2 * 900, groups: 2, frameBytesMax: 1000, skippedGroups: 0 });
		expect(steady.fps).toBe(25);
		expect(steady.groupRate).toBe(1);
		expect(steady.bitrate).toBe((24 * 100 + 1000) * 8);
		expect(steady.keyframeIntervalS).toBeCloseTo((24 * 40_000 - 2 * 40_000) / 1e6, 6); // between the two keyframes' media times
		expect(steady.latencyMs).toBeLessThan(100); // bounded by the B-frame reorder depth, not growing
		// One frame 100 ms late: latency shows it, and the window's jitter rises.
		meter.frame(start + 50 * 40 + 100, 51 * 40_000, 100, false);
		const late = meter.stats(start + 50 * 40 + 100);
		expect(late.latencyMs).toBeGreaterThan(steady.latencyMs as number);
		expect(late.jitterMs).toBeGreaterThan(steady.jitterMs as number);
		// Nothing for over a second: rates fall to zero, totals stay.
		expect(meter.stats(start + 5000)).toMatchObject({ fps: 0, bitrate: 0, frames: 51 });
		meter.skippedGroup();
		expect(meter.stats(start + 5000).skippedGroups).toBe(1);
	});
});

describe("monitor manager", () => {
	const cleanups: (() => void)[] = [];
	afterEach(() => {
		for (const c of cleanups.splice(0)) c();
	});

	/** Short lifetimes only where a test waits for them: the others must not lose their monitor. */
	function setup(lifetimeMs = 30_000) {
		const origins = new OriginRegistry();
		const events = new EventBus();
		const states: MonitorInfo[] = [];
		events.listen((event, payload) => {
			if (event === "monitor.state") states.push(payload as MonitorInfo);
		});
		const monitors = new MonitorManager({ origins, events, log: new Logger().scope("monitor"), attachTimeoutMs: lifetimeMs, detachGraceMs: lifetimeMs });
		cleanups.push(() => monitors.closeAll());
		const origin = origins.create("o");
		return { origins, monitors, states, originId: origin.id };
	}

	/** A local broadcast whose catalog track carries `payload` as its only frame. */
	function broadcastWithCatalog(origins: OriginRegistry, originId: string, path: string, payload: string) {
		const producer = new Moq.Broadcast.Producer();
		const track = producer.createTrack("catalog.json");
		let group: Moq.Group.Producer | undefined;
		// One group per version, the previous one closed, as hang's catalog producers write it.
		const write = (text: string) => {
			group?.close();
			group = track.appendGroup();
			group.writeFrame({ payload: new TextEncoder().encode(text), timestamp: Moq.Time.Timestamp.now() });
		};
		write(payload);
		origins.addBroadcast(originId, new LocalBroadcast(path, producer));
		cleanups.push(() => producer.close());
		return { write };
	}

	it("closes a monitor whose channel is never opened, with a last event marked closed", async () => {
		const { monitors, states, originId } = setup(200);
		const info = monitors.open({ originId, path: "a.hang" });
		expect(monitors.owns(info.channel)).toBe(true);
		await until(() => states.some((s) => s.id === info.id && s.closed === true), 5000, "the monitor to close itself");
		expect(monitors.list()).toEqual([]);
		expect(monitors.owns(info.channel)).toBe(false);
		expect(() => monitors.info(info.id)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_FOUND }));
	});

	it("fails on a catalog that is not JSON, and on one with nothing it can play", async () => {
		const { origins, monitors, originId } = setup();
		const catalogTrack = broadcastWithCatalog(origins, originId, "bad.hang", "not json");
		const bad = monitors.open({ originId, path: "bad.hang" });
		await until(() => monitors.info(bad.id).state === "failed", 5000, "failed");
		expect(monitors.info(bad.id)).toMatchObject({ epoch: 1, error: { code: ErrorCode.MEDIA } });
		// The publisher's next version is readable: the monitor recovers in the same epoch.
		catalogTrack.write(JSON.stringify({ audio: { renditions: { audio0: { codec: "opus", sampleRate: 48_000, numberOfChannels: 2 } } } }));
		await until(() => monitors.info(bad.id).state === "live", 5000, "live after a good catalog");
		expect(monitors.info(bad.id)).toMatchObject({ epoch: 1, error: null, audio: "audio0", video: null });

		broadcastWithCatalog(origins, originId, "loc.hang", JSON.stringify({ video: { renditions: { v: { codec: "avc1.640028", container: { kind: "loc" } } } } }));
		const loc = monitors.open({ originId, path: "loc.hang" });
		await until(() => monitors.info(loc.id).state === "failed", 5000, "failed");
		expect(monitors.info(loc.id)).toMatchObject({ error: { code: ErrorCode.UNSUPPORTED }, video: null, renditions: [expect.objectContaining({ name: "v", playable: false })] });
	});

	it("goes live on a usable catalog and keeps the catalog as the publisher wrote it", async () => {
		const { origins, monitors, originId } = setup();
		const raw = { video: { renditions: { video0: { codec: "avc1.640028", codedWidth: 1280, codedHeight: 720 } } } };
		broadcastWithCatalog(origins, originId, "ok.hang", JSON.stringify(raw));
		const info = monitors.open({ originId, path: "ok.hang" });
		await until(() => monitors.info(info.id).state === "live", 5000, "live");
		expect(monitors.info(info.id)).toMatchObject({ catalog: raw, video: "video0", audio: null, epoch: 1 });
	});

	it("reports an announced broadcast whose frames stop as stalled, and live again when they resume", { timeout: 20_000 }, async () => {
		const { origins, monitors, states, originId } = setup();
		const producer = new Moq.Broadcast.Producer();
		const catalog = { video: { renditions: { video0: { codec: "avc1.640028", codedWidth: 64, codedHeight: 64 } } } };
		producer.createTrack("catalog.json").appendGroup().writeFrame({ payload: new TextEncoder().encode(JSON.stringify(catalog)), timestamp: Moq.Time.Timestamp.now() });
		const video = producer.createTrack("video0");
		origins.addBroadcast(originId, new LocalBroadcast("stall.hang", producer));
		cleanups.push(() => producer.close());
		let n = 0;
		let group: Moq.Group.Producer | undefined;
		const write = () => {
			if (n % 10 === 0) {
				group?.close();
				group = video.appendGroup();
			}
			group?.writeFrame({ payload: encodeLegacyFrame(new Uint8Array([n % 256]), n * 40_000), timestamp: Moq.Time.Timestamp.now() });
			n++;
		};
		let timer = setInterval(write, 40);
		cleanups.push(() => clearInterval(timer));

		const received: MonitorMessage[] = [];
		const peer: MonitorPeer = { send: (d) => void received.push(decodeMonitorMessage(d)), bufferedBytes: () => 0, fail: () => {} };
		const info = monitors.open({ originId, path: "stall.hang" });
		const channel = monitors.attach(info.channel, peer);
		await until(() => received.filter((m) => m.type === "video").length >= 5, 5000, "video");
		channel.receive(JSON.stringify({ ack: received.at(-1)?.sequence }));
		expect(monitors.info(info.id).state).toBe("live");

		clearInterval(timer); // the publisher goes quiet but stays announced
		await until(() => monitors.info(info.id).state === "stalled", 10_000, "stalled");
		expect(monitors.info(info.id).epoch).toBe(1);
		timer = setInterval(write, 40);
		await until(() => monitors.info(info.id).state === "live", 10_000, "live again");
		const seen = states.filter((s) => s.id === info.id).map((s) => s.state);
		expect(seen.indexOf("stalled")).toBeGreaterThan(seen.indexOf("live"));
		expect(seen.lastIndexOf("live")).toBeGreaterThan(seen.indexOf("stalled"));
		channel.closed();
	});
});
