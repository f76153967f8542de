/**
 * A recording keeps every audio frame of a burst. Hang audio is one group (one stream) per Opus
 * frame, so when seconds of audio are sent at once (a backlog after a stall, a publisher faster
 * than real time) the groups overtake each other on the way through the relay. The recorder used
 * to put them back in order within a window of media time and dropped whatever was later than
 * that (66 of 151 frames); it now writes audio in group-sequence order.
 */
import * as Moq from "@moq/net";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { HangBroadcastPublisher, openMediaFile, type MediaTrackWriter, type SourcePacket } from "../../electron/engine/publish";
import { audioTrackName, videoTrackName } from "../../electron/engine/hang";
import { recordBroadcast } from "../../electron/engine/record";
import { startTestRelay } from "../helpers/relay";
import { connect, quietLibraryLogs, until } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "./media-helpers";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-burst-"));
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

it("records every audio and video packet of 3 s published in one burst, unpaced", { timeout: 60_000 }, async () => {
	const source = await makeH264Mp4(`${dir}/src.mp4`, 3);
	const media = await openMediaFile(source);
	const video = media.tracks.find((tr) => tr.kind === "video");
	const audio = media.tracks.find((tr) => tr.kind === "audio");
	if (video?.kind !== "video" || audio?.kind !== "audio") throw new Error("fixture needs video and audio");
	const packets = { video: [] as SourcePacket[], audio: [] as SourcePacket[] };
	for await (const p of video.packets()) packets.video.push(p);
	for await (const p of audio.packets()) packets.audio.push(p);
	media.close();

	const path = "burst/show.hang";
	const pub = await connect(relay.url);
	const sub = await connect(relay.url);
	const producer = new Moq.Broadcast.Producer();
	const publisher = new HangBroadcastPublisher(producer);
	try {
		const writers: Record<"video" | "audio", MediaTrackWriter> = {
			video: publisher.addVideo(videoTrackName(0), video.config),
			audio: publisher.addAudio(audioTrackName(0), audio.config),
		};
		publisher.publishCatalog();
		pub.publish(Moq.Path.from(path), producer);
		await waitAnnounced(sub, path);
		const recording = recordBroadcast({ consumer: sub.consume(Moq.Path.from(path)), folder: `${dir}/rec`, broadcast: path });
		await until(() => writers.video.subscribed && writers.audio.subscribed, 10_000, "the recorder subscribed to both tracks");

		// The first packet of each track alone, through the relay, so each subscription starts at
		// its first group (the relay serves a subscription from the first group it receives).
		// The legacy container carries unsigned timestamps: shift both tracks by one constant (Opus
		// pre-skip starts the audio below 0).
		const shiftUs = -Math.min(0, ...[...packets.video, ...packets.audio].map((p) => p.timestampUs));
		const write = (kind: "video" | "audio", p: SourcePacket) => writers[kind].write({ data: p.data, timestampUs: p.timestampUs + shiftUs, keyframe: p.keyframe });
		write("video", packets.video[0] as SourcePacket);
		write("audio", packets.audio[0] as SourcePacket);
		await until(() => relay.stats().frames >= 3, 10_000, "the relay to receive the catalog and both first packets");

		// Then the other 3 s at once, merged in decode order as an encoder emits them, unpaced:
		// ~150 audio groups on as many streams, which reach the recorder out of order.
		const queues = { video: packets.video.slice(1), audio: packets.audio.slice(1) };
		for (;;) {
			const [v, a] = [queues.video[0], queues.audio[0]];
			if (!v && !a) break;
			const kind = !a || (v && v.timestampUs <= a.timestampUs) ? "video" : "audio";
			write(kind, queues[kind].shift() as SourcePacket);
		}
		// The tracks end (subscribers see the end after the last group); the broadcast stays
		// announced until the recording has finished, so no unannounce can cut the tail.
		publisher.close();
		const summary = await recording;
		expect(summary.reason).toBe("ended");
		const file = summary.path as string;
		const [recVideo, srcVideo, recAudio, srcAudio] = await Promise.all([packetHashes(file, "v"), packetHashes(source, "v"), packetHashes(file, "a"), packetHashes(source, "a")]);
		expect(srcAudio.length).toBeGreaterThan(100);
		expect(recAudio).toEqual(srcAudio);
		expect(recVideo).toEqual(srcVideo);
		const audioStats = Object.values(summary.tracks).find((tr) => tr.kind === "audio");
		expect(audioStats).toMatchObject({ frames: srcAudio.length, dropped: 0, gaps: 0 });
		expect(await decodeErrors(file)).toBe("");
	} finally {
		producer.close();
		pub.close();
		sub.close();
	}
});
