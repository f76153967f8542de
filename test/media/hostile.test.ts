/**
 * Hostile and broken input: corrupt media files, escaping recording paths, garbage catalogs and
 * frames, a full disk, and a reconnect that continues the same recording.
 */
import { readFile, readdir, writeFile } from "node:fs/promises";
import * as Moq from "@moq/net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StudioError } from "../../shared/errors";
import { encodeLegacyFrame } from "../../electron/engine/hang";
import { HangBroadcastPublisher, openMediaFile, publishFile } from "../../electron/engine/publish";
import { FileRecordingSink, Recorder, recordBroadcast } from "../../electron/engine/record";
import { within } from "../relay/clients";
import { decodeErrors, ffmpeg, makeH264Mp4, packetHashes, probeStreams, tempDir } from "./media-helpers";

let dir: string;
let remove: () => Promise<void>;
let h264: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir());
	h264 = await makeH264Mp4(`${dir}/h264.mp4`, 2);
});
afterAll(() => remove());

async function codeOf(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
	} catch (err) {
		expect(err).toBeInstanceOf(StudioError);
		return (err as StudioError).codeName;
	}
	return "resolved";
}

describe("broken media files", () => {
	it("a missing file is IO, garbage bytes are MEDIA", async () => {
		const producer = new Moq.Broadcast.Producer();
		expect(await codeOf(publishFile({ file: `${dir}/nope.mp4`, broadcast: producer }))).toBe("IO");
		await writeFile(`${dir}/garbage.mp4`, Buffer.from("this is not a media file at all".repeat(100)));
		expect(await codeOf(publishFile({ file: `${dir}/garbage.mp4`, broadcast: producer }))).toBe("MEDIA");
	});

	it("an MP4 truncated before its moov is MEDIA", async () => {
		const bytes = await readFile(h264);
		await writeFile(`${dir}/cut.mp4`, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
		expect(await codeOf(publishFile({ file: `${dir}/cut.mp4`, broadcast: new Moq.Broadcast.Producer(), speed: 100 }))).toBe("MEDIA");
	});

	it("a fast-start MP4 truncated inside its media data is MEDIA, and tracks are closed", async () => {
		await ffmpeg(["-i", h264, "-c", "copy", "-movflags", "+faststart", `${dir}/fast.mp4`]);
		const bytes = await readFile(`${dir}/fast.mp4`);
		await writeFile(`${dir}/fastcut.mp4`, bytes.subarray(0, Math.floor(bytes.byteLength * 0.6)));
		const producer = new Moq.Broadcast.Producer();
		// Subscribers waiting on every track (requests are answered once the tracks exist).
		const consumer = producer.consume();
		const subs = ["catalog.json", "video0", "audio0"].map((name) => ({ name, sub: consumer.subscribe(name) }));
		expect(await codeOf(publishFile({ file: `${dir}/fastcut.mp4`, broadcast: producer, speed: 100 }))).toBe("MEDIA");
		// Positive control: the media tracks did carry packets before the cut.
		expect(await within(subs[1]!.sub.recvGroup(), 5000, "a video group")).toBeDefined();
		// Closed when publishFile returns, the media tracks with the error and the catalog cleanly,
		// so no subscriber (a relay, a recorder) is left waiting on a track that will never end.
		const closed = subs.map(({ name, sub }) => [name, sub.closed.peek()] as const);
		expect(closed.map(([name, c]) => [name, c === undefined ? "open" : c === null ? "ended" : "aborted"])).toEqual([
			["catalog.json", "ended"],
			["video0", "aborted"],
			["audio0", "aborted"],
		]);
		expect(String(closed[1]![1])).toMatch(/truncated|cannot read/);
		consumer.close();
		producer.close();
	});
});

describe("recording paths", () => {
	it("file names escaping the folder are FORBIDDEN", async () => {
		const consumer = new Moq.Broadcast.Producer().consume();
		for (const fileName of ["../escape.mp4", "/etc/passwd", "sub/dir.mp4", "..\\x.mp4", ".."]) {
			expect(await codeOf(recordBroadcast({ consumer, folder: `${dir}/rec`, broadcast: "x", fileName }))).toBe("FORBIDDEN");
		}
		expect(await codeOf(recordBroadcast({ consumer, folder: `${dir}/rec`, broadcast: "x", fileName: "" }))).toBe("INVALID_ARGUMENT");
	});

	it("a broadcast path full of traversal still lands inside the folder", async () => {
		const rec = await Recorder.open({ folder: `${dir}/rec-names`, broadcast: "../../etc/passwd", startedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) });
		expect(rec.path).toBeUndefined(); // created lazily, with the first catalog
		const { summary } = await recordOnce({ folder: `${dir}/rec-names`, broadcast: "../../etc/passwd" });
		expect(summary.path).toMatch(new RegExp(`^${dir}/rec-names/etc_passwd-\\d{8}-\\d{6}\\.mp4$`));
	});

	it("an unusable folder is IO", async () => {
		await writeFile(`${dir}/a-file`, "x");
		const consumer = new Moq.Broadcast.Producer().consume();
		expect(await codeOf(recordBroadcast({ consumer, folder: `${dir}/a-file/rec`, broadcast: "x" }))).toBe("IO");
	});
});

/** Publishes the fixture and records it, returning the summary. */
async function recordOnce(opts: { folder: string; broadcast: string; fileName?: string }) {
	const producer = new Moq.Broadcast.Producer();
	const recording = recordBroadcast({ ...opts, consumer: producer.consume() });
	await publishFile({ file: h264, broadcast: producer, speed: 8 });
	return { summary: await recording };
}

describe("garbage from the network", () => {
	it("a catalog that is not JSON is MEDIA, and no file is created", async () => {
		const producer = new Moq.Broadcast.Producer();
		const track = producer.createTrack("catalog.json");
		const group = track.appendGroup();
		group.writeFrame({ payload: new TextEncoder().encode("{not json"), timestamp: Moq.Time.Timestamp.now() });
		expect(await codeOf(recordBroadcast({ consumer: producer.consume(), folder: `${dir}/rec-garbage`, broadcast: "g" }))).toBe("MEDIA");
		expect(await readdir(`${dir}/rec-garbage`)).toEqual([]);
	});

	it("a catalog that fails the schema is MEDIA", async () => {
		const producer = new Moq.Broadcast.Producer();
		const group = producer.createTrack("catalog.json").appendGroup();
		group.writeFrame({ payload: new TextEncoder().encode(JSON.stringify({ video: { renditions: { v: { codec: 5 } } } })), timestamp: Moq.Time.Timestamp.now() });
		expect(await codeOf(recordBroadcast({ consumer: producer.consume(), folder: `${dir}/rec-garbage`, broadcast: "g" }))).toBe("MEDIA");
	});

	it("a catalog with nothing recordable is MEDIA; no catalog at all is TIMEOUT", async () => {
		const producer = new Moq.Broadcast.Producer();
		const publisher = new HangBroadcastPublisher(producer);
		publisher.addVideo("v", { codec: "theora" });
		publisher.publishCatalog();
		expect(await codeOf(recordBroadcast({ consumer: producer.consume(), folder: `${dir}/rec-garbage`, broadcast: "g" }))).toBe("MEDIA");
		const silent = new Moq.Broadcast.Producer();
		expect(await codeOf(recordBroadcast({ consumer: silent.consume(), folder: `${dir}/rec-garbage`, broadcast: "g", catalogTimeoutMs: 200 }))).toBe("TIMEOUT");
	});

	it("garbage media frames are dropped without breaking the file", async () => {
		const producer = new Moq.Broadcast.Producer();
		const publisher = new HangBroadcastPublisher(producer);
		const audio = publisher.addAudio("audio0", { codec: "opus", sampleRate: 48000, numberOfChannels: 1 });
		publisher.publishCatalog();
		const recording = recordBroadcast({ consumer: producer.consume(), folder: `${dir}/rec-garbage`, broadcast: "frames" });
		// Frames are written only once the recorder subscribed: on a loaded machine a fixed pause was
		// not enough and the publisher closed before the catalog was asked for.
		await untilSubscribed(audio);
		// Real Opus packets (silence, 20 ms, TOC 0xf8), with junk frames in between.
		const silence = new Uint8Array([0xf8, 0xff, 0xfe]);
		for (let i = 0; i < 100; i++) {
			audio.write({ data: silence, timestampUs: i * 20_000, keyframe: true });
			// A frame whose varint claims 8 bytes but has 2: undecodable, must be dropped.
			audio.fanout.writeSingle({ payload: new Uint8Array([0xc0, 0x01]), timestamp: Moq.Time.Timestamp.now() });
			// An out-of-order duplicate: dropped.
			if (i > 0) audio.fanout.writeSingle({ payload: encodeLegacyFrame(silence, (i - 1) * 20_000), timestamp: Moq.Time.Timestamp.now() });
		}
		publisher.close();
		const summary = await recording;
		expect(summary.tracks.audio0).toMatchObject({ frames: 100, dropped: 199 });
		expect(await decodeErrors(summary.path as string)).toBe("");
	});
});

/** Resolves once a subscriber asked for the writer's track (at most 10 s). */
async function untilSubscribed(writer: { readonly subscribed: boolean }): Promise<void> {
	for (const end = Date.now() + 10_000; !writer.subscribed; ) {
		if (Date.now() > end) throw new Error("nobody subscribed to the track within 10 s");
		await new Promise((r) => setTimeout(r, 10));
	}
}

describe("repeated presentation times", () => {
	it("a video frame repeating a timestamp already in the file is dropped, and the file decodes", async () => {
		const media = await openMediaFile(h264);
		const video = media.tracks.find((t) => t.kind === "video");
		if (video?.kind !== "video") throw new Error("fixture has no video");
		const producer = new Moq.Broadcast.Producer();
		const publisher = new HangBroadcastPublisher(producer);
		const writer = publisher.addVideo("video0", video.config);
		publisher.publishCatalog();
		const recording = recordBroadcast({ consumer: producer.consume(), folder: `${dir}/rec-repeat`, broadcast: "repeat" });
		await untilSubscribed(writer);
		let written = 0;
		let previousUs = 0;
		for await (const p of video.packets()) {
			// A capture that stalls re-delivers a frame at the time of the one before it.
			if (written === 5) writer.write({ data: p.data, timestampUs: previousUs, keyframe: false });
			writer.write({ data: p.data, timestampUs: p.timestampUs, keyframe: p.keyframe });
			previousUs = p.timestampUs;
			written++;
		}
		media.close();
		publisher.close();
		const summary = await recording;
		expect(summary.tracks.video0).toMatchObject({ frames: written, dropped: 1 });
		expect(await decodeErrors(summary.path as string)).toBe("");
	});
});

describe("disk full", () => {
	it("a write hitting a full disk is IO", async () => {
		const sink = await FileRecordingSink.create("/dev/full", "w");
		const err = await sink.write(new Uint8Array(4096), 0).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(StudioError);
		expect((err as StudioError).codeName).toBe("IO");
		expect((err as StudioError).message).toMatch(/disk full/);
		await sink.close();
	});

	it("recordBroadcast rejects with IO when the disk fills up", async () => {
		const producer = new Moq.Broadcast.Producer();
		const recording = recordBroadcast({
			consumer: producer.consume(),
			folder: `${dir}/rec-full`,
			broadcast: "full",
			openSink: () => FileRecordingSink.create("/dev/full", "w"),
		});
		const publishing = publishFile({ file: h264, broadcast: producer, speed: 8 });
		expect(await codeOf(recording)).toBe("IO");
		await publishing;
	});
});

describe("reconnect", () => {
	it("a second consumer continues the same file with increasing timestamps", async () => {
		const folder = `${dir}/rec-reconnect`;
		// Same encoder settings (so the same decoder config), different pictures and tone: a
		// publisher that restarted. Its timestamps start at 0 again.
		const second = await makeH264Mp4(`${dir}/h264-b.mp4`, 2, "testsrc2", 880);
		const files = [h264, second];
		const producers = [new Moq.Broadcast.Producer(), new Moq.Broadcast.Producer()];
		let next = 0;
		const recording = recordBroadcast({
			folder,
			broadcast: "live/show",
			consumer: async () => {
				const producer = producers[next++];
				if (!producer) return undefined;
				void publishFile({ file: files[next - 1] as string, broadcast: producer, speed: 8 });
				return producer.consume();
			},
		});
		const summary = await recording;
		expect(summary.epochs).toBe(2); // two consumers, then the source said "no more"
		const path = summary.path as string;
		const [a, b, rec] = await Promise.all([probeStreams(h264), probeStreams(second), probeStreams(path)]);
		expect(rec.map((s) => s.packets)).toEqual(a.map((s, i) => s.packets + (b[i]?.packets ?? 0)));
		for (const kind of ["v", "a"] as const) {
			expect(await packetHashes(path, kind)).toEqual([...(await packetHashes(h264, kind)), ...(await packetHashes(second, kind))]);
		}
		expect(await decodeErrors(path)).toBe("");
		expect(summary.durationS).toBeGreaterThan(3.9);
	});

	it("the same publisher re-subscribed mid-stream is deduplicated: no packet twice, none lost", async () => {
		const producer = new Moq.Broadcast.Producer();
		const recorder = await Recorder.open({ folder: `${dir}/rec-resub`, broadcast: "live/resub" });
		const publishing = publishFile({ file: h264, broadcast: producer, speed: 4 });
		const first = recorder.record(producer.consume());
		await new Promise((r) => setTimeout(r, 250));
		// A reconnect: the new consumer replays the retained groups the file already has.
		const second = recorder.record(producer.consume());
		expect((await first).reason).toBe("replaced");
		await publishing;
		expect((await second).reason).toBe("ended");
		const summary = await recorder.finish();
		const path = summary.path as string;
		for (const kind of ["v", "a"] as const) expect(await packetHashes(path, kind)).toEqual(await packetHashes(h264, kind));
		expect(summary.epochs).toBe(2);
		expect(await decodeErrors(path)).toBe("");
	});
});
