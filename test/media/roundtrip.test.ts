/**
 * Publish a file as a hang broadcast, record it back from the same producer, and prove every
 * packet survived bit for bit (no relay: the recorder reads `producer.consume()`).
 */
import * as Moq from "@moq/net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishFile } from "../../electron/engine/publish";
import { recordBroadcast } from "../../electron/engine/record";
import { decodeErrors, makeH264Mp4, makeVp9Webm, packetHashes, probeStreams, tempDir } from "./media-helpers";

let dir: string;
let remove: () => Promise<void>;
let h264: string;
let vp9: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir());
	[h264, vp9] = await Promise.all([makeH264Mp4(`${dir}/h264.mp4`), makeVp9Webm(`${dir}/vp9.webm`)]);
});
afterAll(() => remove());

async function roundTrip(source: string, broadcast: string, speed: number) {
	const producer = new Moq.Broadcast.Producer();
	const consumer = producer.consume();
	const recording = recordBroadcast({ consumer, folder: `${dir}/rec`, broadcast, catalogTimeoutMs: 5000 });
	const published = await publishFile({ file: source, broadcast: producer, speed });
	const summary = await recording;
	producer.close();
	return { published, summary };
}

describe("publish → record round trip", () => {
	it("H.264 + Opus in MP4: same codecs, same packet counts, identical packets", async () => {
		const { published, summary } = await roundTrip(h264, "demo/h264.hang", 4);
		expect(published.tracks.video0?.frames).toBe(90);
		expect(summary.reason).toBe("ended");
		expect(summary.path).toMatch(/rec\/demo_h264-\d{8}-\d{6}\.mp4$/);
		const path = summary.path as string;

		const [src, rec] = await Promise.all([probeStreams(h264), probeStreams(path)]);
		expect(rec.map((s) => s.codec)).toEqual(src.map((s) => s.codec));
		expect(rec.map((s) => s.packets)).toEqual(src.map((s) => s.packets));
		for (const kind of ["v", "a"] as const) {
			const [a, b] = await Promise.all([packetHashes(h264, kind), packetHashes(path, kind)]);
			expect(b.length).toBeGreaterThan(0);
			expect(b).toEqual(a);
		}
		expect(await decodeErrors(path)).toBe("");
		expect(summary.tracks.video0).toMatchObject({ kind: "video", frames: 90, dropped: 0 });
		expect(summary.durationS).toBeGreaterThan(2.9);
	});

	it("VP9 + Opus in WebM: identical packets in the recording", async () => {
		const { summary } = await roundTrip(vp9, "demo/vp9", 8);
		const path = summary.path as string;
		const [src, rec] = await Promise.all([probeStreams(vp9), probeStreams(path)]);
		expect(rec.map((s) => s.codec)).toEqual(src.map((s) => s.codec));
		expect(rec.map((s) => s.packets)).toEqual(src.map((s) => s.packets));
		for (const kind of ["v", "a"] as const) {
			expect(await packetHashes(path, kind)).toEqual(await packetHashes(vp9, kind));
		}
		expect(await decodeErrors(path)).toBe("");
	});
});
