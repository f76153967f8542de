import * as Moq from "@moq/net";
import { describe, expect, it, vi } from "vitest";
import { IpcChannel } from "../../shared/api";
import { encodeMediaFrame, type LiveBroadcastInfo } from "../../shared/media";
import { ErrorCode } from "../../shared/errors";
import { decodeMonitorMessage, type MonitorInfo } from "../../shared/monitor";
import { encodeLegacyFrame } from "../engine/hang/container";
import { LocalBroadcast } from "../engine/origins/broadcast";
import { ORPHAN_GRACE_MS } from "../engine/golive/manager";
import { SERVED_DRAIN_TIMEOUT_MS } from "../engine/sessions/drain";
import { Studio } from "../engine/studio";
import { registerIpcHost, trustPage, type IpcEventLike, type IpcMainLike, type WebContentsLike } from "./host";

type Handler = Parameters<IpcMainLike["handle"]>[1];

/** A fake ipcMain that records handlers and lets the test invoke them as a renderer would. */
class FakeIpcMain implements IpcMainLike {
	handlers = new Map<string, Handler>();
	handle(channel: string, listener: Handler) {
		this.handlers.set(channel, listener);
	}
	removeHandler(channel: string) {
		this.handlers.delete(channel);
	}
	listeners = new Map<string, Parameters<IpcMainLike["on"]>[1]>();
	on(channel: string, listener: Parameters<IpcMainLike["on"]>[1]) {
		this.listeners.set(channel, listener);
		return this;
	}
	removeAllListeners(channel: string) {
		this.listeners.delete(channel);
		return this;
	}
	async invoke(event: IpcEventLike, channel: string, ...args: unknown[]) {
		const h = this.handlers.get(channel);
		if (!h) throw new Error(`no handler for ${channel}`);
		return h(event, ...args);
	}
}

class FakeWebContents implements WebContentsLike {
	sent: unknown[][] = [];
	destroyed = false;
	private onDestroyed: (() => void)[] = [];
	constructor(readonly id: number) {}
	send(channel: string, ...args: unknown[]) {
		this.sent.push([channel, ...args]);
	}
	isDestroyed() {
		return this.destroyed;
	}
	once(_event: "destroyed", listener: () => void) {
		this.onDestroyed.push(listener);
	}
	private onNavigate: (() => void)[] = [];
	on(event: "did-navigate" | "render-process-gone", listener: () => void) {
		(event === "did-navigate" ? this.onNavigate : this.onDestroyed).push(listener);
		return this;
	}
	/** A main-frame navigation (a reload): the old page is gone, the webContents stays. */
	navigate() {
		for (const l of this.onNavigate) l();
	}
	destroy() {
		this.destroyed = true;
		for (const l of this.onDestroyed) l();
	}
}

/** A fake MessagePortMain: records what the host sends and lets the test post messages. */
class FakePort {
	sent: unknown[] = [];
	started = false;
	closed = false;
	private onMessage: ((e: { data: unknown }) => void) | undefined;
	private onClose: (() => void)[] = [];
	on(event: "message" | "close", listener: ((e: { data: unknown }) => void) | (() => void)) {
		if (event === "message") this.onMessage = listener as (e: { data: unknown }) => void;
		else this.onClose.push(listener as () => void);
		return this;
	}
	/** The renderer's end went away (its page closed or crashed). */
	disconnect() {
		for (const l of this.onClose) l();
	}
	postMessage(message: unknown) {
		this.sent.push(message);
	}
	start() {
		this.started = true;
	}
	close() {
		this.closed = true;
	}
	emit(data: unknown) {
		this.onMessage?.({ data });
	}
}

const PAGE = "file:///opt/MoQ%20Studio/resources/app/out/renderer/index.html";

function setup() {
	const ipc = new FakeIpcMain();
	const studio = new Studio({ host: "electron" });
	const unregister = registerIpcHost(ipc, studio, trustPage(PAGE));
	const contents = new FakeWebContents(1);
	const own: IpcEventLike = { senderFrame: { url: `${PAGE}#/origins` }, sender: contents };
	return { ipc, studio, unregister, contents, own };
}

describe("Electron IPC host", () => {
	it("serves valid calls from our own page", async () => {
		const { ipc, own, studio } = setup();
		const res = await ipc.invoke(own, IpcChannel.invoke, "origins.create", { name: "show" });
		expect(res).toMatchObject({ ok: true, result: { name: "show" } });
		await studio.close();
	});

	it("rejects invalid arguments with a typed error", async () => {
		const { ipc, own, studio } = setup();
		const res = await ipc.invoke(own, IpcChannel.invoke, "origins.rename", { id: "x" });
		expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
		const unknown = await ipc.invoke(own, IpcChannel.invoke, { not: "a name" }, null);
		expect(unknown).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
		await studio.close();
	});

	it("rejects foreign senders: other files, remote pages, destroyed frames", async () => {
		const { ipc, contents, studio } = setup();
		for (const frame of [
			{ url: "https://evil.example/index.html" },
			{ url: "file:///tmp/index.html" },
			{ url: "file:///opt/MoQ%20Studio/resources/app/out/renderer/other.html" },
			{ url: "not a url" },
			null,
		]) {
			const event: IpcEventLike = { senderFrame: frame, sender: contents };
			const res = await ipc.invoke(event, IpcChannel.invoke, "origins.list", {});
			expect(res, JSON.stringify(frame)).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
			const sub = await ipc.invoke(event, IpcChannel.subscribe, ["origins.changed"]);
			expect(sub).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
		}
		expect(studio.origins.list()).toEqual([]);
		await studio.close();
	});

	it("forwards only subscribed events, and stops after the window is destroyed", async () => {
		// origins.changed is coalesced (about 10 Hz): drive the batch window with fake timers.
		vi.useFakeTimers();
		const { ipc, own, contents, studio } = setup();
		const bad = await ipc.invoke(own, IpcChannel.subscribe, ["no.such.event"]);
		expect(bad).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
		await ipc.invoke(own, IpcChannel.subscribe, ["origins.changed"]);
		studio.origins.create("show");
		vi.advanceTimersByTime(200);
		expect(contents.sent).toHaveLength(1);
		expect(contents.sent[0]?.[0]).toBe(IpcChannel.event);
		expect(contents.sent[0]?.[1]).toBe("origins.changed");
		contents.destroy();
		studio.origins.create("other");
		vi.advanceTimersByTime(200);
		expect(contents.sent).toHaveLength(1);
		vi.useRealTimers();
		await studio.close();
	});

	it("serves Go Live media over a MessagePort: acks frames, refuses foreign senders, unknown channels and malformed frames", async () => {
		const { ipc, own, contents, studio } = setup();
		const origin = studio.origins.create("live");
		const info = studio.golive.start({ originId: origin.id, path: "live/cam.hang", audio: { codec: "opus", sampleRate: 48_000, numberOfChannels: 1, bitrate: 64_000 } });
		const channel = info.channels[0]!.channel;
		const open = (event: IpcEventLike, ch: string) => {
			const port = new FakePort();
			const listener = ipc.listeners.get(IpcChannel.media)!;
			listener({ ...event, ports: [port] }, { channel: ch });
			return port;
		};
		expect(open({ senderFrame: { url: "https://evil.example/" }, sender: contents }, channel).closed).toBe(true);
		expect(open(own, "no-such-channel").closed).toBe(true);
		const port = open(own, channel);
		expect(port.started).toBe(true);
		port.emit(encodeMediaFrame({ sequence: 0, keyframe: true, timestampUs: 0, payload: new Uint8Array([1, 2, 3]) }));
		await new Promise((r) => setImmediate(r)); // acks are coalesced once per turn of the event loop
		expect(port.sent).toEqual([{ ack: 0 }]);
		port.emit("not binary");
		expect(port.sent.at(-1)).toMatchObject({ error: expect.stringMatching(/binary/) });
		expect(port.closed).toBe(true);
		expect(studio.golive.info(info.id).tracks[0]?.frames).toBe(1);
		studio.golive.stopAll();
		await studio.close();
	});

	it("serves a monitor over a MessagePort: config then frames out, acks in, malformed acks refused", async () => {
		const { ipc, own, studio } = setup();
		const origin = studio.origins.create("watch");
		// A local hang broadcast: a catalog and one legacy-container video track.
		const producer = new Moq.Broadcast.Producer();
		const catalog = { video: { renditions: { video0: { codec: "avc1.640028", codedWidth: 64, codedHeight: 64 } } } };
		producer.createTrack("catalog.json").appendGroup().writeFrame({ payload: new TextEncoder().encode(JSON.stringify(catalog)), timestamp: Moq.Time.Timestamp.now() });
		const video = producer.createTrack("video0");
		studio.origins.addBroadcast(origin.id, new LocalBroadcast("cam.hang", producer));
		const res = (await ipc.invoke(own, IpcChannel.invoke, "monitor.open", { originId: origin.id, path: "cam.hang" })) as { ok: boolean; result: MonitorInfo };
		expect(res.ok, JSON.stringify(res)).toBe(true);
		await vi.waitFor(() => expect(studio.monitors.info(res.result.id).state).toBe("live"));

		const port = new FakePort();
		ipc.listeners.get(IpcChannel.media)!({ ...own, ports: [port] }, { channel: res.result.channel });
		expect(port.started).toBe(true);
		await vi.waitFor(() => expect(port.sent.length).toBeGreaterThanOrEqual(1));
		const config = decodeMonitorMessage(port.sent[0] as ArrayBuffer);
		expect(config).toMatchObject({ type: "config", sequence: 0, epoch: 1 });
		expect(JSON.parse(new TextDecoder().decode(config.payload))).toMatchObject({ epoch: 1, video: { track: "video0", config: { codec: "avc1.640028" } }, audio: null });

		const group = video.appendGroup();
		group.writeFrame({ payload: encodeLegacyFrame(new Uint8Array([0, 0, 0, 1, 0x65]), 40_000), timestamp: Moq.Time.Timestamp.now() });
		group.writeFrame({ payload: encodeLegacyFrame(new Uint8Array([0, 0, 0, 1, 0x41]), 80_000), timestamp: Moq.Time.Timestamp.now() });
		await vi.waitFor(() => expect(port.sent.length).toBe(3));
		const frames = port.sent.slice(1).map((m) => decodeMonitorMessage(m as ArrayBuffer));
		expect(frames.map((f) => [f.type, f.sequence, f.keyframe, f.discontinuity, f.timestampUs])).toEqual([
			["video", 1, true, true, 40_000],
			["video", 2, false, false, 80_000],
		]);
		expect(Array.from(frames[0]!.payload)).toEqual([0, 0, 0, 1, 0x65]);

		port.emit({ ack: 2 }); // an acknowledgement as the renderer posts it
		expect(port.closed).toBe(false);
		port.emit(new Uint8Array([1, 2, 3]));
		expect(port.sent.at(-1)).toMatchObject({ error: expect.stringMatching(/ack/) });
		expect(port.closed).toBe(true);
		// The port is gone but the monitor waits for its page to come back (grace period).
		expect(studio.monitors.list().map((m) => m.id)).toEqual([res.result.id]);
		producer.close();
		await studio.close();
		expect(studio.monitors.list()).toEqual([]);
	});

	describe("Go Live whose renderer goes away (issue 18)", () => {
		const audio = { codec: "opus", sampleRate: 48_000, numberOfChannels: 1, bitrate: 64_000 };
		async function goLive(ipc: FakeIpcMain, event: IpcEventLike, originId: string) {
			const res = (await ipc.invoke(event, IpcChannel.invoke, "golive.start", { originId, path: "live/cam.hang", audio })) as { ok: boolean; result: LiveBroadcastInfo };
			expect(res.ok, JSON.stringify(res)).toBe(true);
			return res.result;
		}
		function endedEvents(studio: Studio) {
			const ended: LiveBroadcastInfo[] = [];
			studio.events.listen((event, payload) => {
				if (event === "golive.stats" && (payload as LiveBroadcastInfo).ended) ended.push(payload as LiveBroadcastInfo);
			});
			return ended;
		}

		it("ends it after the grace period when the page reloads, and the path can go live again", async () => {
			const { ipc, own, contents, studio } = setup();
			const origin = studio.origins.create("live");
			const ended = endedEvents(studio);
			const info = await goLive(ipc, own, origin.id);
			vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
			try {
				contents.navigate();
				vi.advanceTimersByTime(ORPHAN_GRACE_MS - 1);
				expect(studio.golive.list().map((l) => l.id)).toEqual([info.id]);
				vi.advanceTimersByTime(1);
				expect(studio.golive.list()).toEqual([]);
				expect(ended.map((e) => [e.id, e.ended?.reason])).toEqual([[info.id, "orphaned"]]);
			} finally {
				vi.useRealTimers();
			}
			// The reloaded page (same webContents) goes live again at the same path and is not orphaned by the old page.
			const again = await goLive(ipc, own, origin.id);
			expect(studio.golive.list().map((l) => l.id)).toEqual([again.id]);
			studio.golive.stopAll();
			await studio.close();
		});

		it("lets a new Go Live take over the path during the grace period after the window closed", async () => {
			const { ipc, own, contents, studio } = setup();
			const origin = studio.origins.create("live");
			const ended = endedEvents(studio);
			const first = await goLive(ipc, own, origin.id);
			const other = new FakeWebContents(2);
			const otherEvent: IpcEventLike = { senderFrame: own.senderFrame, sender: other };
			// While the first page is there, its path is its own.
			const refused = await ipc.invoke(otherEvent, IpcChannel.invoke, "golive.start", { originId: origin.id, path: "live/cam.hang", audio });
			expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.ALREADY_EXISTS } });
			contents.destroy();
			const second = await goLive(ipc, otherEvent, origin.id);
			expect(studio.golive.list().map((l) => l.id)).toEqual([second.id]);
			expect(ended.map((e) => [e.id, e.ended?.reason])).toEqual([[first.id, "replaced"]]);
			studio.golive.stopAll();
			await studio.close();
		});

		it("ends it after the grace period when every media port of the page disconnects", async () => {
			const { ipc, own, studio } = setup();
			const origin = studio.origins.create("live");
			const info = await goLive(ipc, own, origin.id);
			const port = new FakePort();
			ipc.listeners.get(IpcChannel.media)!({ ...own, ports: [port] }, { channel: info.channels[0]!.channel });
			expect(port.started).toBe(true);
			vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
			try {
				port.disconnect();
				vi.advanceTimersByTime(ORPHAN_GRACE_MS);
				expect(studio.golive.list()).toEqual([]);
				// The ended broadcast drains its tail on (fake) timers too: let it finish, or
				// studio.close() would wait for a timer that never fires.
				await vi.advanceTimersByTimeAsync(SERVED_DRAIN_TIMEOUT_MS);
			} finally {
				vi.useRealTimers();
			}
			await studio.close();
		});
	});

	it("unregisters its handlers", async () => {
		const { ipc, unregister, studio } = setup();
		unregister();
		expect(ipc.handlers.size).toBe(0);
		expect(ipc.listeners.size).toBe(0);
		await studio.close();
	});
});
