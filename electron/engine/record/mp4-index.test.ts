import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { BufferTarget, EncodedAudioPacketSource, EncodedPacket, Mp4OutputFormat, Output } from "mediabunny";
import { expect, it } from "vitest";
import { Mp4FragmentTracker, trimWrittenFragments } from "./mp4-index";

const run = promisify(execFile);

// OpusHead: version 1, 2 channels, pre-skip 312, 48 kHz, gain 0, mapping family 0.
const OPUS_HEAD = new Uint8Array([0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0]);

interface Chunk {
	samples: unknown[];
}

/** Muxes `packets` Opus packets into a fragmented MP4, trimming after every packet when `trim`. */
async function mux(packets: number, trim: boolean): Promise<{ bytes: Uint8Array; released: number; chunks: Chunk[] }> {
	const target = new BufferTarget();
	const output = new Output({ format: new Mp4OutputFormat({ fastStart: "fragmented", minimumFragmentDuration: 1 }), target });
	const source = new EncodedAudioPacketSource("opus");
	output.addAudioTrack(source);
	await output.start();
	let released = 0;
	for (let i = 0; i < packets; i++) {
		const packet = new EncodedPacket(new Uint8Array(40).fill(i & 0xff), "key", i * 0.02, 0.02);
		await source.add(packet, i === 0 ? { decoderConfig: { codec: "opus", sampleRate: 48_000, numberOfChannels: 2, description: OPUS_HEAD } } : undefined);
		if (trim) released += trimWrittenFragments(output);
	}
	const chunks = [...(output as unknown as { _muxer: { finalizedChunks: Chunk[] } })._muxer.finalizedChunks];
	await output.finalize();
	return { bytes: new Uint8Array(target.buffer as ArrayBuffer), released, chunks };
}

it("keeps one sample record per written fragment, and the file comes out byte for byte the same", async () => {
	const PACKETS = 600; // 12 s of 20 ms frames: ~12 fragments of ~50 samples
	const [trimmed, full] = await Promise.all([mux(PACKETS, true), mux(PACKETS, false)]);
	expect(trimmed.chunks.length).toBeGreaterThan(5);
	// Every fragment but the one still open at the end holds a single sample record.
	expect(trimmed.chunks.slice(0, -1).every((c) => c.samples.length === 1)).toBe(true);
	expect(trimmed.released).toBeGreaterThan(PACKETS / 2);
	expect(full.chunks.some((c) => c.samples.length > 1)).toBe(true);
	// The moofs and the final mfra index (built from each chunk's first sample) are unchanged.
	expect(Buffer.compare(Buffer.from(trimmed.bytes), Buffer.from(full.bytes))).toBe(0);

	const dir = await mkdtemp(join(tmpdir(), "mp4-index-"));
	try {
		const file = join(dir, "a.mp4");
		await writeFile(file, trimmed.bytes);
		const { stdout } = await run("ffprobe", ["-v", "error", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", file]);
		expect(Number(stdout.trim())).toBe(PACKETS);
		expect(new TextDecoder("latin1").decode(trimmed.bytes.subarray(-4096))).toContain("tfra");
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
});

it("leaves other outputs alone", async () => {
	const output = new Output({ format: new Mp4OutputFormat({ fastStart: "in-memory" }), target: new BufferTarget() });
	expect(trimWrittenFragments(output)).toBe(0);
});

/** The top-level boxes of `bytes`: type and end offset. */
function topLevelBoxes(bytes: Uint8Array): { type: string; end: number }[] {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const out: { type: string; end: number }[] = [];
	for (let off = 0; off + 8 <= bytes.byteLength; ) {
		const size32 = view.getUint32(off);
		const size = size32 === 1 ? Number(view.getBigUint64(off + 8)) : size32;
		out.push({ type: String.fromCharCode(...bytes.subarray(off + 4, off + 8)), end: off + size });
		off += size;
	}
	return out;
}

it("knows where the last complete fragment ends, whatever the write sizes", async () => {
	const { bytes } = await mux(300, false);
	const boxes = topLevelBoxes(bytes);
	expect(boxes.filter((b) => b.type === "moof").length).toBeGreaterThan(3);
	// The length the file may be cut back to after a write failing at `failAt`.
	const expected = (failAt: number) => Math.max(0, ...boxes.filter((b) => ["moov", "mdat", "mfra"].includes(b.type) && b.end <= failAt).map((b) => b.end));
	for (const chunkSize of [1, 7, 4096, bytes.byteLength]) {
		const tracker = new Mp4FragmentTracker();
		for (let pos = 0; pos < bytes.byteLength; pos += chunkSize) {
			expect(tracker.completeEnd).toBe(expected(pos));
			tracker.written(bytes.subarray(pos, pos + chunkSize), pos);
		}
		expect(tracker.completeEnd).toBe(bytes.byteLength); // ends with the mfra index
	}
	// Half a moof and half an mdat are not a fragment.
	const mdat = boxes.find((b) => b.type === "mdat")!;
	const tracker = new Mp4FragmentTracker();
	tracker.written(bytes.subarray(0, mdat.end - 1), 0);
	expect(tracker.completeEnd).toBe(boxes.find((b) => b.type === "moov")!.end);
	// A write out of order leaves the boundary where it was known.
	tracker.written(bytes.subarray(mdat.end + 10, mdat.end + 20), mdat.end + 10);
	tracker.written(bytes.subarray(mdat.end - 1), mdat.end - 1);
	expect(tracker.completeEnd).toBe(boxes.find((b) => b.type === "moov")!.end);
});
