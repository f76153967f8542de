/**
 * A subscription that reaches a publisher after it ended its tracks (its broadcast still
 * announced, as while a CLI publisher drains) gets the groups the publisher still holds, then
 * the end: it used to get a clean end and nothing. On a starved machine a recorder waiting for a
 * 3 s show can be that late; its file was empty though every group was still retained.
 *
 * Peers as they are: a raw `@moq/net` subscriber and the studio's recorder, both through the
 * project's relay on loopback, the recording checked by ffprobe.
 */
import * as Moq from "@moq/net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HangBroadcastPublisher, type MediaTrackWriter, publishFile } from "../../electron/engine/publish";
import { CatalogConsumer } from "../../electron/engine/hang";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { recordBroadcast } from "../../electron/engine/record";
import type { RelayHandle } from "../../electron/engine/relay";
import { Studio } from "../../electron/engine/studio";
import { type MoqConnection, openMoqConnection } from "../../electron/engine/transport/connect";
import { spawnStudioCli, waitForExit } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { makeH264Mp4, packetHashes, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, until, watchAnnounced, within } from "./clients";

quietLibraryLogs();

let relay: RelayHandle;
let dir: string;
let remove: () => Promise<void>;
let source: string;
beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-late-subscriber-"));
	[relay, source] = await Promise.all([startTestRelay(), makeH264Mp4(`${dir}/src.mp4`, 2)]);
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

const GOPS = 4;
const GOP = 10;
const AUDIO_FRAMES = 60;

function open(url: string): Promise<MoqConnection> {
	return openMoqConnection(new URL(url), { transport: "websocket", timeoutMs: 5000 });
}

/** Reads a subscribed track to its end: frames per group sequence. */
async function drain(track: Moq.Track.Subscriber): Promise<Map<number, number>> {
	const frames = new Map<number, number>();
	for (let group = await track.recvGroup(); group; group = await track.recvGroup()) {
		let n = 0;
		while (await group.readFrame()) n++;
		frames.set(group.sequence, n);
	}
	// Groups travel on streams of their own and may arrive in any order.
	return new Map([...frames].sort(([a], [b]) => a - b));
}

/**
 * Publishes `path` with a real H.264 + Opus catalog, writes a short show with nobody subscribed,
 * ends both tracks and keeps the broadcast announced until the returned `close`.
 */
async function endedShow(conn: MoqConnection, path: string): Promise<{ close: () => void }> {
	const broadcast = new Moq.Broadcast.Producer();
	const publisher = new HangBroadcastPublisher(broadcast);
	const video = publisher.addVideo("video0", { codec: "avc1.42001e", codedWidth: 320, codedHeight: 240 });
	const audio = publisher.addAudio("audio0", { codec: "opus", sampleRate: 48000, numberOfChannels: 1 });
	publisher.publishCatalog();
	conn.established.publish(Moq.Path.from(path), broadcast);
	writeShow(video, audio);
	video.close();
	audio.close();
	return {
		close: () => {
			publisher.close();
			broadcast.close();
		},
	};
}

function writeShow(video: MediaTrackWriter, audio: MediaTrackWriter): void {
	for (let i = 0; i < GOPS * GOP; i++) video.write({ data: new Uint8Array(500).fill(i), timestampUs: i * 33_333, keyframe: i % GOP === 0 });
	for (let a = 0; a < AUDIO_FRAMES; a++) audio.write({ data: new Uint8Array(80).fill(a), timestampUs: a * 20_000, keyframe: true });
}

/** Opens `path` on `sub` once the relay announces it there. */
async function consumeWhenAnnounced(sub: MoqConnection, path: string): Promise<Moq.Broadcast.Consumer> {
	const seen = watchAnnounced(sub.established, "late");
	try {
		await until(() => seen.active.has(Moq.Path.from(path.slice("late/".length))), 10_000, `the announcement of ${path}`);
	} finally {
		seen.close();
	}
	return sub.established.consume(Moq.Path.from(path));
}

it("a subscriber arriving after the tracks ended gets every group it asks for, then the end", { timeout: 60_000 }, async () => {
	const [pub, sub] = await Promise.all([open(relay.url), open(relay.url)]);
	try {
		// From the first group, as a recorder that caught the announcement asks.
		const first = await endedShow(pub, "late/first.hang");
		const consumer = await consumeWhenAnnounced(sub, "late/first.hang");
		const [video, audio] = await within(
			Promise.all([drain(consumer.subscribe("video0", { startGroup: 0 })), drain(consumer.subscribe("audio0", { startGroup: 0 }))]),
			20_000,
			"the late subscriptions to end",
		);
		expect([...video]).toEqual(Array.from({ length: GOPS }, (_, g) => [g, GOP]));
		expect([...audio]).toEqual(Array.from({ length: AUDIO_FRAMES }, (_, a) => [a, 1]));
		// Again, after the relay's own subscription upstream has ended.
		const again = await within(drain(consumer.subscribe("video0", { startGroup: 0 })), 20_000, "the second late subscription to end");
		expect([...again]).toEqual(Array.from({ length: GOPS }, (_, g) => [g, GOP]));
		first.close();
		// Live, with no start: the newest group, as the library serves a created track.
		const live = await endedShow(pub, "late/live.hang");
		const viewer = await consumeWhenAnnounced(sub, "late/live.hang");
		expect([...(await within(drain(viewer.subscribe("video0")), 20_000, "the live subscription to end"))]).toEqual([[GOPS - 1, GOP]]);
		live.close();
	} finally {
		pub.close();
		sub.close();
	}
});

/** Records `path` from its first group through `rec`, after its tracks ended; closes it with `end` once both recorded tracks ended. */
async function recordLate(rec: MoqConnection, path: string, folder: string, end: () => void): Promise<string> {
	const ended = new Set<string>();
	const recording = recordBroadcast({
		consumer: await consumeWhenAnnounced(rec, path),
		folder,
		broadcast: path,
		catalogTimeoutMs: 10_000,
		fromFirstGroup: true,
		onTrackState: (change) => {
			if (change.state === "ended") ended.add(change.track);
		},
	});
	try {
		await until(() => ended.size === 2, 20_000, "both recorded tracks to end");
	} finally {
		end();
	}
	const summary = await within(recording, 20_000, "the recording to finish");
	return summary.path as string;
}

it("a recorder whose subscriptions arrive after the file's publisher ended its tracks records every packet", { timeout: 60_000 }, async () => {
	const [pub, rec] = await Promise.all([open(relay.url), open(relay.url)]);
	try {
		const broadcast = new Moq.Broadcast.Producer();
		pub.established.publish(Moq.Path.from("late/recorded.hang"), broadcast);
		// Ends its tracks and the catalog when it returns; the broadcast stays announced.
		await publishFile({ file: source, broadcast, speed: Number.POSITIVE_INFINITY });
		const file = await recordLate(rec, "late/recorded.hang", `${dir}/rec`, () => broadcast.close());
		for (const kind of ["v", "a"] as const) expect(await packetHashes(file, kind)).toEqual(await packetHashes(source, kind));
	} finally {
		pub.close();
		rec.close();
	}
});

it("the same through the studio's origin and session, as `moq-studio publish` sends it", { timeout: 60_000 }, async () => {
	const studio = new Studio({ host: "web", recordingsDir: `${dir}/unused` });
	const rec = await open(relay.url);
	try {
		const origin = studio.origins.create("out");
		const session = studio.sessions.connect({ url: relay.url, publishOrigin: origin.id });
		await until(() => studio.sessions.get(session).phase === "connected", 10_000, "the session");
		const broadcast = new Moq.Broadcast.Producer();
		studio.origins.addBroadcast(origin.id, new LocalBroadcast("late/studio.hang", broadcast));
		await publishFile({ file: source, broadcast, speed: Number.POSITIVE_INFINITY });
		// The session's forwarder receives every retained group at once, then the end.
		const file = await recordLate(rec, "late/studio.hang", `${dir}/rec-studio`, () => broadcast.close());
		for (const kind of ["v", "a"] as const) expect(await packetHashes(file, kind)).toEqual(await packetHashes(source, kind));
	} finally {
		rec.close();
		await studio.close();
	}
});

it("`moq-studio publish` stays up for a viewer that read the catalog until it asks for the tracks", { timeout: 60_000 }, async () => {
	const sub = await open(relay.url);
	try {
		const cli = spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "late/cli.hang", "--file", source]);
		const consumer = await consumeWhenAnnounced(sub, "late/cli.hang");
		const catalog = new CatalogConsumer(consumer);
		expect((await catalog.next({ timeoutMs: 10_000 }))?.video).toBeDefined();
		// Slow to subscribe: the 2 s file has been sent and its tracks ended meanwhile.
		await within(new Promise<void>((done) => cli.stdout?.on("data", (d: Buffer) => d.toString().includes("published 1.") && done())), 20_000, "the publisher's progress");
		await new Promise((r) => setTimeout(r, 1500));
		const [video, audio] = await within(
			Promise.all([drain(consumer.subscribe("video0", { startGroup: 0 })), drain(consumer.subscribe("audio0", { startGroup: 0 }))]),
			20_000,
			"the tracks to end",
		);
		catalog.close();
		const result = await waitForExit(cli, 30_000);
		expect(result.code, result.stderr).toBe(0);
		const src = await packetHashes(source, "v");
		expect([...video.values()].reduce((a, b) => a + b, 0)).toBe(src.length);
		expect([...audio.values()].reduce((a, b) => a + b, 0)).toBe((await packetHashes(source, "a")).length);
	} finally {
		sub.close();
	}
});
