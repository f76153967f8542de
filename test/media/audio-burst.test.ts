/**
 * A recording keeps every audio frame of a burst. Hang audio is one group (one stream) per Opus
 * frame, so when seconds of audio are sent at once (a backlog after a stall, a publisher faster
 * than real time) the groups overtake each other on the way through the relay. The recorder used
 * to put them back in order within a window of media time and dropped whatever was later than
 * that (66 of 151 frames); it now writes audio in group-sequence order.
 *
 * A subscription made before the track's first group must get every group of a burst too: the
 * relay serves the backlog newest first, and it used to announce that first served group as the
 * subscription's start (SUBSCRIBE_START) while still delivering the older ones, so the subscriber
 * let the track's end through once the groups above it were in and dropped the rest (~90 of 401
 * audio groups, no error, no gap counted).
 */
import * as Moq from "@moq/net";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
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

type Kind = "video" | "audio";

/** A fresh H.264 + Opus file of `seconds`, its track configs and every packet of each track. */
async function fixture(name: string, seconds: number) {
	const source = await makeH264Mp4(`${dir}/${name}.mp4`, seconds);
	const media = await openMediaFile(source);
	const video = media.tracks.find((tr) => tr.kind === "video");
	const audio = media.tracks.find((tr) => tr.kind === "audio");
	if (video?.kind !== "video" || audio?.kind !== "audio") throw new Error("fixture needs video and audio");
	const packets = { video: [] as SourcePacket[], audio: [] as SourcePacket[] };
	for await (const p of video.packets()) packets.video.push(p);
	for await (const p of audio.packets()) packets.audio.push(p);
	media.close();
	return { source, video, audio, packets };
}

/**
 * Writes `packets` merged in decode order, as an encoder emits them, unpaced. The legacy container
 * carries unsigned timestamps: both tracks are shifted by one constant (Opus pre-skip starts the
 * audio below 0), computed over `all`.
 */
function writeBurst(writers: Record<Kind, MediaTrackWriter>, packets: Record<Kind, SourcePacket[]>, all: Record<Kind, SourcePacket[]>): void {
	const shiftUs = -Math.min(0, ...[...all.video, ...all.audio].map((p) => p.timestampUs));
	const queues = { video: packets.video.slice(0), audio: packets.audio.slice(0) };
	for (;;) {
		const [v, a] = [queues.video[0], queues.audio[0]];
		if (!v && !a) break;
		const kind = !a || (v && v.timestampUs <= a.timestampUs) ? "video" : "audio";
		const p = queues[kind].shift() as SourcePacket;
		writers[kind].write({ data: p.data, timestampUs: p.timestampUs + shiftUs, keyframe: p.keyframe });
	}
}

/** Reads every group sequence of a track until it ends, in arrival order. */
async function sequences(track: Moq.Track.Subscriber): Promise<number[]> {
	const seen: number[] = [];
	for (let group = await track.recvGroup(); group; group = await track.recvGroup()) {
		seen.push(group.sequence);
		group.close();
	}
	return seen;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

it("records every audio and video packet of 3 s published in one burst, unpaced", { timeout: 60_000 }, async () => {
	const { source, video, audio, packets } = await fixture("src", 3);

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

		// The first packet of each track alone, through the relay, so each subscription's first
		// served group is its group 0 (the next test covers a subscription whose first is not).
		writeBurst(writers, { video: packets.video.slice(0, 1), audio: packets.audio.slice(0, 1) }, packets);
		await until(() => relay.stats().frames >= 3, 10_000, "the relay to receive the catalog and both first packets");

		// Then the other 3 s at once: ~150 audio groups on as many streams, which reach the
		// recorder out of order.
		writeBurst(writers, { video: packets.video.slice(1), audio: packets.audio.slice(1) }, packets);
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

it("a subscription made before the first group gets every group of a burst", { timeout: 60_000 }, async () => {
	// 8 s: ~400 audio groups, enough that the newest arrive at the relay, and are served, first.
	const { source, video, audio, packets } = await fixture("before-first", 8);
	const gops = packets.video.filter((p) => p.keyframe).length;

	const path = "burst/early.hang";
	const pub = await connect(relay.url);
	const rec = await connect(relay.url);
	const plain = await connect(relay.url);
	const producer = new Moq.Broadcast.Producer();
	const publisher = new HangBroadcastPublisher(producer);
	// The relay runs in this process: its publishing side answers each downstream SUBSCRIBE with
	// `Broadcast.Producer#subscribe` on that session's view (the publisher's own answers are on
	// `producer`), which is how this test knows both subscribers reached the relay before any group.
	const serveSpy = vi.spyOn(Moq.Broadcast.Producer.prototype, "subscribe");
	const relaySubscribes = (name: string) => serveSpy.mock.calls.filter(([track], i) => track === name && serveSpy.mock.contexts[i] !== producer).length;
	try {
		const writers: Record<Kind, MediaTrackWriter> = {
			video: publisher.addVideo(videoTrackName(0), video.config),
			audio: publisher.addAudio(audioTrackName(0), audio.config),
		};
		publisher.publishCatalog();
		pub.publish(Moq.Path.from(path), producer);
		await Promise.all([waitAnnounced(rec, path), waitAnnounced(plain, path)]);
		const recording = recordBroadcast({ consumer: rec.consume(Moq.Path.from(path)), folder: `${dir}/rec-early`, broadcast: path });
		// A plain subscriber on its own connection: what the relay delivers, without the recorder.
		const broadcast = plain.consume(Moq.Path.from(path));
		const received = { video: sequences(broadcast.subscribe(videoTrackName(0))), audio: sequences(broadcast.subscribe(audioTrackName(0))) };
		const subscribedAtRelay = () => relaySubscribes(videoTrackName(0)) >= 2 && relaySubscribes(audioTrackName(0)) >= 2;
		await until(subscribedAtRelay, 10_000, "the recorder and the plain subscriber to subscribe to both tracks at the relay");

		// No group exists yet: the whole show goes out as one burst, then the tracks end.
		writeBurst(writers, packets, packets);
		publisher.close();

		const [videoSeqs, audioSeqs] = await Promise.all([received.video, received.audio]);
		expect([...audioSeqs].sort((a, b) => a - b)).toEqual(range(packets.audio.length));
		expect([...videoSeqs].sort((a, b) => a - b)).toEqual(range(gops));

		const summary = await recording;
		expect(summary.reason).toBe("ended");
		const file = summary.path as string;
		const [recVideo, srcVideo, recAudio, srcAudio] = await Promise.all([packetHashes(file, "v"), packetHashes(source, "v"), packetHashes(file, "a"), packetHashes(source, "a")]);
		expect(srcAudio.length).toBeGreaterThan(300);
		expect(recAudio).toEqual(srcAudio);
		const audioStats = Object.values(summary.tracks).find((tr) => tr.kind === "audio");
		expect(audioStats).toMatchObject({ frames: srcAudio.length, dropped: 0, gaps: 0 });
		// The video too: the relay takes the backlog in newest first (its upstream subscription is
		// not ordered) and serves it in that order; the recorder puts the GOPs back in sequence
		// order (it used to start at the newest GOP and drop the 6 older ones).
		const videoStats = Object.values(summary.tracks).find((tr) => tr.kind === "video");
		expect(videoStats).toMatchObject({ frames: srcVideo.length, dropped: 0 });
		expect(recVideo).toEqual(srcVideo);
		expect(await decodeErrors(file)).toBe("");
	} finally {
		serveSpy.mockRestore();
		producer.close();
		pub.close();
		rec.close();
		plain.close();
	}
});
