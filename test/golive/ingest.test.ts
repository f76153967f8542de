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
import { openMediaFile } from "../../electron/engine/publish";
import { recordBroadcast } from "../../electron/engine/record";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { connect, quietLibraryLogs, until } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "../media/media-helpers";

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
		const source = await makeH264Mp4(`${dir}/cam.mp4`, 3);
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

		for (const [track, kind] of [[video, "video"], [audio, "audio"]] as const) {
			const channel = info.channels.find((c) => c.kind === kind)!;
			const ws = (await openChannel(channel.channel)) as WebSocket;
			let sequence = 0;
			let acked = -1;
			ws.on("message", (d: Buffer) => (acked = (JSON.parse(d.toString()) as { ack: number }).ack));
			for await (const packet of track.packets()) {
				ws.send(encodeMediaFrame({ sequence: sequence++, keyframe: packet.keyframe, timestampUs: Math.max(0, packet.timestampUs + 6500), payload: packet.data }));
			}
			await until(() => acked === sequence - 1, 10_000, `${kind} acknowledged`);
			ws.close();
		}
		media.close();

		await dispatch(t.studio.handlers, "golive.stop", { id: info.id });
		const summary = await recording;
		expect(summary.reason).toBe("ended");
		const path = summary.path as string;
		expect(await packetHashes(path, "v")).toEqual(await packetHashes(source, "v"));
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
