/**
 * The end of a short show is not lost: a publisher that writes as fast as the link allows, then
 * ends its tracks and unannounces at once, still gets every frame through our relay to an
 * independent subscriber and to a recorder (issue: 52 of 60 video packets recorded).
 *
 * Frames are counted per hop: the publisher's track writers, the relay's upstream counters, the
 * subscriber's reads and, for the recorder, ffprobe's packet count of the finished file.
 */
import * as Moq from "@moq/net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HangBroadcastPublisher, publishFile } from "../../electron/engine/publish";
import { recordBroadcast, type TrackState } from "../../electron/engine/record";
import type { RelayHandle } from "../../electron/engine/relay";
import { UNANNOUNCE_DRAIN_MAX_MS } from "../../electron/engine/relay/relay-track";
import { type MoqConnection, openMoqConnection } from "../../electron/engine/transport/connect";
import { makeH264Mp4, probeStreams, tempDir } from "../media/media-helpers";
import { startTestRelay } from "../helpers/relay";
import { quietLibraryLogs } from "./clients";

quietLibraryLogs();

let relay: RelayHandle;
let dir: string;
let remove: () => Promise<void>;
let source: string;
beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-track-end-"));
	[relay, source] = await Promise.all([startTestRelay(), makeH264Mp4(`${dir}/src.mp4`, 2)]);
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

const VIDEO_FRAMES = 60;
const GOP = 10;
const AUDIO_FRAMES = 100;
const RUNS = Number(process.env.TRACK_END_RUNS ?? 10);

function open(url: string): Promise<MoqConnection> {
	return openMoqConnection(new URL(url), { transport: "websocket", timeoutMs: 5000 });
}

/** Reads a subscribed track to its end: frames per group sequence. */
async function drain(track: Moq.Track.Subscriber): Promise<Map<number, number>> {
	const frames = new Map<number, number>();
	const reads: Promise<void>[] = [];
	try {
		for (let group = await track.recvGroup(); group; group = await track.recvGroup()) {
			const g = group;
			reads.push(
				(async () => {
					let n = 0;
					try {
						while (await g.readFrame()) n++;
					} catch {
						// a reset group: count what arrived
					}
					frames.set(g.sequence, n);
				})(),
			);
		}
	} catch {
		// the track ended with an error: count what arrived
	}
	await Promise.all(reads);
	return frames;
}

const total = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** Resolves once the broadcast `path` is announced on `conn` (relative to `prefix`). */
async function announcedOn(conn: MoqConnection, prefix: string, name: string): Promise<void> {
	const announced = conn.established.announced(Moq.Path.from(prefix));
	try {
		for (;;) {
			const entry = await announced.next();
			if (!entry) throw new Error("announcements ended");
			if (entry.active && entry.path === Moq.Path.from(name)) return;
		}
	} finally {
		announced.close();
	}
}

async function runOnce(index: number): Promise<{ video: Map<number, number>; audio: Map<number, number> }> {
	const path = `end/show${index}.hang`;
	const [pub, sub] = await Promise.all([open(relay.url), open(relay.url)]);
	try {
		const broadcast = new Moq.Broadcast.Producer();
		const publisher = new HangBroadcastPublisher(broadcast);
		const video = publisher.addVideo("video0", { codec: "avc1.42001e", codedWidth: 320, codedHeight: 240 });
		const audio = publisher.addAudio("audio0", { codec: "opus", sampleRate: 48000, numberOfChannels: 2 });
		publisher.publishCatalog();
		const seen = announcedOn(sub, "end", `show${index}.hang`);
		pub.established.publish(Moq.Path.from(path), broadcast);
		await seen;
		const consumer = sub.established.consume(Moq.Path.from(path));
		const vsub = consumer.subscribe("video0", { startGroup: 0 });
		const asub = consumer.subscribe("audio0", { startGroup: 0 });
		const got = Promise.all([drain(vsub), drain(asub)]);
		// The relay subscribes upstream once the first downstream request reaches it.
		while (!video.subscribed || !audio.subscribed) await new Promise((r) => setTimeout(r, 5));
		// As fast as possible: 3 KB video frames (a keyframe every GOP) and 200 B audio frames.
		const vpayload = new Uint8Array(3000).fill(7);
		const apayload = new Uint8Array(200).fill(3);
		for (let i = 0, a = 0; i < VIDEO_FRAMES || a < AUDIO_FRAMES; i++) {
			if (i < VIDEO_FRAMES) video.write({ data: vpayload, timestampUs: i * 33_333, keyframe: i % GOP === 0 });
			for (; a < AUDIO_FRAMES && a * 20_000 <= i * 33_333; a++) audio.write({ data: apayload, timestampUs: a * 20_000, keyframe: true });
		}
		// End the tracks and unannounce at once.
		publisher.close();
		broadcast.close();
		const [v, a] = await got;
		return { video: v, audio: a };
	} finally {
		pub.close();
		sub.close();
	}
}

it(`a subscriber through the relay receives every frame of a burst ended at once (${RUNS} runs)`, { timeout: 120_000 }, async () => {
	const failures: string[] = [];
	for (let i = 0; i < RUNS; i++) {
		const { video, audio } = await runOnce(i);
		const v = total(video);
		const a = total(audio);
		if (v !== VIDEO_FRAMES || a !== AUDIO_FRAMES) {
			failures.push(`run ${i}: video ${v}/${VIDEO_FRAMES} ${JSON.stringify([...video])}, audio ${a}/${AUDIO_FRAMES} (${audio.size} groups)`);
		}
	}
	expect(failures).toEqual([]);
});

it(`a recorder and a subscriber through the relay get every packet of a file published at full speed (${RUNS} runs)`, { timeout: 300_000 }, async () => {
	const src = await probeStreams(source);
	const srcVideo = src.find((t) => t.type === "video")?.packets ?? 0;
	const srcAudio = src.find((t) => t.type === "audio")?.packets ?? 0;
	expect(srcVideo).toBe(60);
	expect(srcAudio).toBeGreaterThan(90);
	const failures: string[] = [];
	for (let i = 0; i < RUNS; i++) {
		const path = `file/show${i}.hang`;
		const [pub, rec, sub] = await Promise.all([open(relay.url), open(relay.url), open(relay.url)]);
		try {
			const broadcast = new Moq.Broadcast.Producer();
			const seen = Promise.all([announcedOn(rec, "file", `show${i}.hang`), announcedOn(sub, "file", `show${i}.hang`)]);
			pub.established.publish(Moq.Path.from(path), broadcast);
			// The catalog is published when publishFile starts; the media waits for subscribers.
			const publishing = publishFile({ file: source, broadcast, speed: Number.POSITIVE_INFINITY, waitForSubscribers: true });
			await seen;
			// The recorder subscribes once it has read the catalog; media flows only after that.
			const states = new Map<string, TrackState>();
			const recording = recordBroadcast({
				consumer: rec.established.consume(Moq.Path.from(path)),
				folder: `${dir}/rec${i}`,
				broadcast: path,
				catalogTimeoutMs: 10_000,
				onTrackState: (change) => states.set(change.track, change.state),
			});
			while (states.size < 2) await new Promise((r) => setTimeout(r, 5));
			const consumer = sub.established.consume(Moq.Path.from(path));
			const got = Promise.all([drain(consumer.subscribe("video0", { startGroup: 0 })), drain(consumer.subscribe("audio0", { startGroup: 0 }))]);
			const published = await publishing;
			// End the tracks (publishFile did) and unannounce at once.
			broadcast.close();
			const [summary, [video, audio]] = await Promise.all([recording, got]);
			const file = summary.path as string;
			const recorded = await probeStreams(file);
			const recVideo = recorded.find((t) => t.type === "video")?.packets ?? 0;
			const recAudio = recorded.find((t) => t.type === "audio")?.packets ?? 0;
			const sent = `published video ${published.tracks.video0?.frames} audio ${published.tracks.audio0?.frames}`;
			if (recVideo !== srcVideo || recAudio !== srcAudio || total(video) !== srcVideo || total(audio) !== srcAudio) {
				failures.push(`run ${i}: ${sent}; recorded video ${recVideo} audio ${recAudio}; subscriber video ${total(video)} audio ${total(audio)}`);
			}
		} finally {
			pub.close();
			rec.close();
			sub.close();
		}
	}
	expect(failures).toEqual([]);
});

it("a publisher re-announcing while an unannounced route finishes takes it over: the subscriber's track lives on", { timeout: 60_000 }, async () => {
	const path = "takeover/during-finish";
	const [pubA, pubB, sub] = await Promise.all([open(relay.url), open(relay.url), open(relay.url)]);
	const timers: ReturnType<typeof setInterval>[] = [];
	const publish = (conn: MoqConnection, tag: string) => {
		const producer = new Moq.Broadcast.Producer();
		const track = producer.createTrack("t");
		conn.established.publish(Moq.Path.from(path), producer);
		let n = 0;
		timers.push(
			setInterval(() => {
				const g = track.appendGroup();
				g.writeFrame({ payload: new TextEncoder().encode(`${tag}${n++}`), timestamp: Moq.Time.Timestamp.now() });
				g.close();
			}, 20),
		);
		return producer;
	};
	try {
		const a = publish(pubA, "A");
		const track = sub.established.consume(Moq.Path.from(path)).subscribe("t", {});
		const next = async (): Promise<string | undefined> => {
			const group = await track.recvGroup();
			const frame = await group?.readFrame();
			return frame ? new TextDecoder().decode(frame.payload) : undefined;
		};
		expect(await next()).toMatch(/^A\d+$/);
		// A unannounces (its track stays open and keeps writing, as in topology.test.ts), so the
		// relay starts finishing the route; B announces the same path while it does.
		a.close();
		await new Promise((resolve) => setTimeout(resolve, UNANNOUNCE_DRAIN_MAX_MS / 4));
		publish(pubB, "B");
		// Past the unannounce drain's cap, the same subscription still delivers, and from B.
		const until = Date.now() + 2 * UNANNOUNCE_DRAIN_MAX_MS;
		let last: string | undefined;
		while (Date.now() < until) {
			last = await next();
			expect(last, "the subscriber's track ended despite the takeover").toBeDefined();
		}
		expect(last).toMatch(/^B\d+$/);
	} finally {
		for (const t of timers) clearInterval(t);
		for (const c of [pubA, pubB, sub]) c.close();
	}
});
