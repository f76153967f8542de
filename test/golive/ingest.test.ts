/**
 * Go Live's engine side as the renderer drives it: `golive.start` over the contract, encoded
 * chunks over the web host's binary media WebSocket, and an independent @moq/net subscriber on
 * the relay that records them. Real H.264/Opus packets from ffmpeg stand in for WebCodecs output,
 * so the recording can be compared packet for packet.
 */
import * as Moq from "@moq/net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { encodeMediaFrame, type LiveBroadcastInfo } from "../../shared/media";
import { ErrorCode } from "../../shared/errors";
import { dispatch } from "../../electron/engine/dispatch";
import { openMediaFile, type SourcePacket } from "../../electron/engine/publish";
import { recordBroadcast } from "../../electron/engine/record";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { connect, quietLibraryLogs, until } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";
import { decodeErrors, ffmpeg, packetHashes, tempDir } from "../media/media-helpers";

quietLibraryLogs();

let t: TestStudio;
let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
	t = await startTestStudio({ embeddedRelay: true });
	({ dir, remove } = await tempDir("moq-golive-"));
});
afterAll(async () => {
	await t?.close();
	await remove?.();
});

/** Chunks a test channel leaves unacknowledged, well under the renderer sink's MAX_INFLIGHT. */
const IN_FLIGHT = 16;
/** Chunks per channel sent one at a time before the window opens. */
const WARMUP = 8;

function openChannel(channel: string, token = t.web.token): Promise<WebSocket | number> {
	const ws = new WebSocket(`ws://127.0.0.1:${t.web.port}/media?token=${encodeURIComponent(token)}&channel=${encodeURIComponent(channel)}`, { origin: t.web.origin });
	return new Promise((resolve) => {
		ws.once("open", () => resolve(ws));
		ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
	});
}

function studioOrigin(): string {
	const origin = t.studio.origins.list().find((o) => o.name === "studio");
	if (!origin) throw new Error("the embedded relay's origin is missing");
	return origin.id;
}

describe("Go Live ingest through the web host", () => {
	it("publishes chunks from media channels as a hang broadcast that an independent subscriber records bit for bit", { timeout: 60_000 }, async () => {
		// Noisy 640x480 at a camera's bitrate: large frames keep the way out of the studio busy,
		// so the stop below always finds a tail still on its way to the relay.
		const source = `${dir}/cam.mp4`;
		await ffmpeg([
			"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30",
			"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
			"-t", "3", "-vf", "noise=alls=40:allf=t",
			"-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "30", "-b:v", "6M", "-pix_fmt", "yuv420p",
			"-c:a", "libopus", "-b:a", "64k",
			source,
		]); // prettier-ignore
		const media = await openMediaFile(source);
		const video = media.tracks.find((tr) => tr.kind === "video");
		const audio = media.tracks.find((tr) => tr.kind === "audio");
		if (video?.kind !== "video" || audio?.kind !== "audio") throw new Error("fixture needs video and audio");

		const started = await dispatch(t.studio.handlers, "golive.start", {
			originId: studioOrigin(),
			path: "live/ingest.hang",
			video: { codec: video.config.codec, description: video.config.description, codedWidth: 320, codedHeight: 240, framerate: 30, bitrate: 1_000_000 },
			audio: { codec: audio.config.codec, description: audio.config.description, sampleRate: audio.config.sampleRate, numberOfChannels: audio.config.numberOfChannels, bitrate: 64_000 },
		});
		expect(started.ok, JSON.stringify(started)).toBe(true);
		const info = (started as { result: LiveBroadcastInfo }).result;

		// An independent subscriber on the studio's own relay records what goes out.
		const sub = await connect(t.studio.embeddedRelay!.url);
		await waitAnnounced(sub, "live/ingest.hang");
		const recording = recordBroadcast({ consumer: sub.consume(Moq.Path.from("live/ingest.hang")), folder: `${dir}/rec`, broadcast: "live/ingest.hang" });
		await until(() => (t.studio.golive.info(info.id).tracks.length > 0 && t.studio.sessions.list().length > 0), 5000, "live");
		// Give the recorder's subscriptions time to reach the publisher before the first keyframe.
		await until(() => t.studio.embeddedRelay!.stats().upstreamSubscriptions >= 3, 10_000, "recorder subscribed to catalog, video and audio");

		// Interleave both tracks in timestamp order, as live encoders produce them, with up to
		// IN_FLIGHT chunks unacknowledged per channel: the renderer's sink is credit-paced by the
		// same acks and allows more (MAX_INFLIGHT). That keeps the way out of the studio busy, so
		// the stop below finds a tail still on its way. The first WARMUP chunks go one at a time:
		// the relay serves a new subscription from the first group it receives and skips older
		// ones arriving after it, and a burst at the start reaches it newest first (its upstream
		// subscription is unordered). That start-of-show loss is the relay's, not this test's.
		const channels = new Map<"video" | "audio", { ws: WebSocket; sequence: number; acked: number; waiters: (() => void)[] }>();
		for (const kind of ["video", "audio"] as const) {
			const channel = info.channels.find((c) => c.kind === kind)!;
			const ws = (await openChannel(channel.channel)) as WebSocket;
			const state = { ws, sequence: 0, acked: -1, waiters: [] as (() => void)[] };
			ws.on("message", (d: Buffer) => {
				state.acked = (JSON.parse(d.toString()) as { ack: number }).ack;
				for (const wake of state.waiters.splice(0)) wake();
			});
			// A channel the engine closes fails the wait below instead of leaving it hanging.
			ws.on("close", () => {
				for (const wake of state.waiters.splice(0)) wake();
			});
			channels.set(kind, state);
		}
		const acked = async (kind: "video" | "audio", sequence: number) => {
			const state = channels.get(kind)!;
			while (state.acked < sequence) {
				if (state.ws.readyState !== WebSocket.OPEN) throw new Error(`the ${kind} channel closed before acknowledging ${sequence}`);
				await new Promise<void>((resolve) => state.waiters.push(resolve));
			}
		};
		// A merge by the head of each queue keeps each track in decode order (B-frames: video
		// presentation times are not monotonic, so a plain sort would reorder the video).
		const queues = { video: [] as SourcePacket[], audio: [] as SourcePacket[] };
		for await (const packet of video.packets()) queues.video.push(packet);
		for await (const packet of audio.packets()) queues.audio.push(packet);
		for (;;) {
			const [v, a] = [queues.video[0], queues.audio[0]];
			if (!v && !a) break;
			const kind = !a || (v && v.timestampUs <= a.timestampUs) ? "video" : "audio";
			const packet = queues[kind].shift()!;
			const state = channels.get(kind)!;
			const sequence = state.sequence++;
			state.ws.send(encodeMediaFrame({ sequence, keyframe: packet.keyframe, timestampUs: Math.max(0, packet.timestampUs + 6500), payload: packet.data }));
			await acked(kind, sequence < WARMUP ? sequence : sequence - IN_FLIGHT);
		}
		for (const [kind, state] of channels) await acked(kind, state.sequence - 1);
		for (const state of channels.values()) state.ws.close();
		media.close();

		// Stop straight after the last ack, as a user would: an ack means the engine ingested a
		// chunk, not that it left the studio, so golive.stop itself must let the tail reach the
		// relay before it unannounces the broadcast (it used to cut the last audio frame off).
		// The moment the broadcast leaves the origin (its unannounce goes out), the relay must
		// already hold every frame: the catalog's and each packet. Read synchronously in the
		// origin's own notification, so no later delivery can hide an overtaking unannounce.
		const frames = 1 + [...channels.values()].reduce((n, c) => n + c.sequence, 0);
		let relayAtUnannounce: number | undefined;
		const unwatch = t.studio.origins.watch(studioOrigin(), ({ broadcast, active }) => {
			if (!active && broadcast.path === "live/ingest.hang") relayAtUnannounce = t.studio.embeddedRelay!.stats().frames;
		});
		const stopped = await dispatch(t.studio.handlers, "golive.stop", { id: info.id });
		unwatch();
		expect(stopped).toMatchObject({ ok: true });
		expect(relayAtUnannounce, "frames the relay held when the broadcast was unannounced").toBe(frames);
		const summary = await recording;
		expect(summary.reason).toBe("ended");
		const path = summary.path as string;
		// Both media: a lost, duplicated or altered packet of either track must fail here.
		const [recVideo, srcVideo, recAudio, srcAudio] = await Promise.all([packetHashes(path, "v"), packetHashes(source, "v"), packetHashes(path, "a"), packetHashes(source, "a")]);
		expect(srcVideo.length).toBeGreaterThan(0);
		expect(srcAudio.length).toBeGreaterThan(0);
		expect(recVideo).toEqual(srcVideo);
		expect(recAudio).toEqual(srcAudio);
		expect(await decodeErrors(path)).toBe("");
		sub.close();
	});

	it("refuses unknown channels and wrong tokens, and closes a channel that sends a malformed frame", async () => {
		const started = await dispatch(t.studio.handlers, "golive.start", {
			originId: studioOrigin(),
			path: "live/hostile.hang",
			audio: { codec: "opus", sampleRate: 48_000, numberOfChannels: 2, bitrate: 64_000 },
		});
		const info = (started as { result: LiveBroadcastInfo }).result;
		expect(await openChannel("not-a-channel")).toBe(404);
		expect(await openChannel(info.channels[0]!.channel, "wrong-token")).toBe(401);
		const ws = (await openChannel(info.channels[0]!.channel)) as WebSocket;
		const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
		ws.send(Buffer.from([9, 9, 9]));
		expect(await closed).toBe(1007);
		// The engine is fine: the broadcast is still live and can be stopped.
		expect(t.studio.golive.list().map((l) => l.path)).toContain("live/hostile.hang");
		const dup = await dispatch(t.studio.handlers, "golive.start", { originId: studioOrigin(), path: "live/hostile.hang", audio: { codec: "opus", sampleRate: 48_000, numberOfChannels: 2, bitrate: 64_000 } });
		expect(dup).toMatchObject({ ok: false, error: { code: ErrorCode.ALREADY_EXISTS } });
		const none = await dispatch(t.studio.handlers, "golive.start", { originId: studioOrigin(), path: "live/none.hang" });
		expect(none).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
		await dispatch(t.studio.handlers, "golive.stop", { id: info.id });
	});
});
