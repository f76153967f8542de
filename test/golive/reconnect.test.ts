/**
 * A relay restart during a live session: the session reconnects (epoch 2), re-announces the live
 * broadcast, and a subscriber resumes at the next group, which starts with a keyframe.
 */
import * as Moq from "@moq/net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { encodeMediaFrame, type LiveBroadcastInfo } from "../../shared/media";
import { dispatch } from "../../electron/engine/dispatch";
import { decodeLegacyFrame } from "../../electron/engine/hang";
import { openMediaFile, type SourcePacket } from "../../electron/engine/publish";
import { startRelay, type RelayHandle } from "../../electron/engine/relay";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { connect, quietLibraryLogs, until, within } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";
import { makeH264Mp4, tempDir } from "../media/media-helpers";

quietLibraryLogs();

let t: TestStudio;
let relay: RelayHandle;
let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
	t = await startTestStudio();
	relay = await startTestRelay();
	({ dir, remove } = await tempDir("moq-golive-reconnect-"));
});
afterAll(async () => {
	await t?.close();
	await relay?.close();
	await remove?.();
});

/** Reads frames of video0 until `count` arrive (and one at or past `untilUs`); returns their timestamps in µs. */
async function readTimestamps(conn: Moq.Connection.Established, count: number, untilUs = 0): Promise<number[]> {
	const sub = conn.consume(Moq.Path.from("live/rc.hang")).track("video0").subscribe();
	const out: number[] = [];
	try {
		while (out.length < count || (out.at(-1) ?? -1) < untilUs) {
			const frame = await sub.readFrame();
			if (!frame) break;
			out.push(decodeLegacyFrame(frame.payload).timestampUs);
		}
	} finally {
		sub.close();
	}
	return out;
}

describe("Go Live across a relay restart", () => {
	it("reconnects, re-announces, and a subscriber resumes at the next keyframe", { timeout: 60_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/cam.mp4`, 2);
		const media = await openMediaFile(source);
		const video = media.tracks.find((tr) => tr.kind === "video");
		if (video?.kind !== "video") throw new Error("no video");
		const packets: SourcePacket[] = [];
		for await (const p of video.packets()) packets.push(p);
		media.close();
		const keyframes = new Set<number>();

		const origin = t.studio.origins.create("live");
		const session = t.studio.sessions.connect({ url: relay.url, publishOrigin: origin.id, backoff: { initial: 100, max: 300 } });
		await until(() => t.studio.sessions.get(session).epoch === 1, 10_000, "epoch 1");
		const started = await dispatch(t.studio.handlers, "golive.start", {
			originId: origin.id,
			path: "live/rc.hang",
			video: { codec: video.config.codec, description: video.config.description, codedWidth: 320, codedHeight: 240, framerate: 30, bitrate: 1_000_000 },
		});
		const info = (started as { result: LiveBroadcastInfo }).result;
		const ws = new WebSocket(`ws://127.0.0.1:${t.web.port}/media?token=${t.web.token}&channel=${info.channels[0]!.channel}`, { origin: t.web.origin });
		await new Promise((r) => ws.once("open", r));

		// The "encoder": the file looped at 30 fps with increasing timestamps.
		let sequence = 0;
		let sending = true;
		const sender = (async () => {
			for (let loop = 0; sending; loop++) {
				for (const p of packets) {
					if (!sending) break;
					const ts = loop * 2_000_000 + p.timestampUs;
					if (p.keyframe) keyframes.add(ts);
					ws.send(encodeMediaFrame({ sequence: sequence++, keyframe: p.keyframe, timestampUs: ts, payload: p.data }));
					await new Promise((r) => setTimeout(r, 33));
				}
			}
		})();

		const first = await connect(relay.url);
		await waitAnnounced(first, "live/rc.hang");
		// Read into the second group, so a replay from the first group would be caught below.
		const before = await within(readTimestamps(first, 5, 1_100_000), 10_000, "frames before");
		first.close();

		const port = relay.port;
		await relay.close();
		await until(() => t.studio.sessions.get(session).phase === "backoff", 10_000, "backoff");
		relay = await startRelay({ host: "127.0.0.1", port });
		await until(() => t.studio.sessions.get(session).epoch === 2, 15_000, "epoch 2");

		const second = await connect(relay.url);
		await waitAnnounced(second, "live/rc.hang");
		const after = await within(readTimestamps(second, 10), 15_000, "frames after the restart");
		expect(after).toHaveLength(10);
		// A late joiner starts at the latest group, from its keyframe: not a replay of old groups.
		expect(keyframes.has(after[0]!)).toBe(true);
		const groupOfLastBefore = Math.max(...[...keyframes].filter((k) => k <= before.at(-1)!));
		expect(after[0]!).toBeGreaterThanOrEqual(groupOfLastBefore);
		second.close();

		sending = false;
		await sender;
		ws.close();
		await dispatch(t.studio.handlers, "golive.stop", { id: info.id });
	});
});
