/**
 * The recorder's target writes the same bytes as mediabunny's own in-memory target: real H.264
 * and Opus packets muxed twice, into a file through SinkTarget and a FileRecordingSink and into a
 * BufferTarget, fragmented MP4 and Matroska (whose headers are patched at the end). And any
 * sequence of writes and flushes (gathered small writes, patches, gaps, writes behind what is
 * pending or already flushed) leaves the file as the writes applied one after the other would.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
	ALL_FORMATS,
	BufferTarget,
	EncodedAudioPacketSource,
	EncodedPacketSink,
	EncodedVideoPacketSource,
	FilePathSource,
	Input,
	MkvOutputFormat,
	Mp4OutputFormat,
	Output,
	type EncodedPacket,
	type Target,
} from "mediabunny";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RecordingSink } from "./sink";
import { Mp4FragmentTracker } from "./mp4-index";
import { FileRecordingSink } from "./sink";
import { SinkTarget } from "./sink-target";

const run = promisify(execFile);
let dir: string;
let video: { packets: EncodedPacket[]; config: VideoDecoderConfig };
let audio: { packets: EncodedPacket[]; config: AudioDecoderConfig };

beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), "moq-sink-target-"));
	const source = join(dir, "src.mp4");
	await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "libopus", source]);
	const input = new Input({ source: new FilePathSource(source), formats: ALL_FORMATS });
	const v = (await input.getPrimaryVideoTrack())!;
	const a = (await input.getPrimaryAudioTrack())!;
	const all = async (t: typeof v | typeof a) => {
		const out: EncodedPacket[] = [];
		for await (const p of new EncodedPacketSink(t).packets()) out.push(p);
		return out;
	};
	video = { packets: await all(v), config: (await v.getDecoderConfig())! };
	audio = { packets: await all(a), config: (await a.getDecoderConfig())! };
	input.dispose();
});
afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});

/** Muxes the packets, interleaved by time, into `target`. */
async function mux(target: Target, format: "mp4" | "mkv"): Promise<void> {
	const output = new Output({ format: format === "mp4" ? new Mp4OutputFormat({ fastStart: "fragmented", minimumFragmentDuration: 1 }) : new MkvOutputFormat({ minimumClusterDuration: 1 }), target });
	const vs = new EncodedVideoPacketSource("avc");
	const as = new EncodedAudioPacketSource("opus");
	output.addVideoTrack(vs);
	output.addAudioTrack(as);
	await output.start();
	const queue = [...video.packets.map((p) => ({ p, v: true })), ...audio.packets.map((p) => ({ p, v: false }))].sort((x, y) => x.p.timestamp - y.p.timestamp);
	const first = { v: true, a: true };
	await Promise.all(
		queue.map(({ p, v }) => {
			if (v) {
				const meta = first.v ? { decoderConfig: video.config } : undefined;
				first.v = false;
				return vs.add(p, meta);
			}
			const meta = first.a ? { decoderConfig: audio.config } : undefined;
			first.a = false;
			return as.add(p, meta);
		}),
	);
	await output.finalize();
}

for (const format of ["mp4", "mkv"] as const) {
	it(`writes the same ${format} bytes as mediabunny's BufferTarget, and the fragment tracker sees the final headers`, { timeout: 30_000 }, async () => {
		const reference = new BufferTarget();
		await mux(reference, format);
		const path = join(dir, `out.${format}`);
		const sink = await FileRecordingSink.create(path);
		const tracker = new Mp4FragmentTracker();
		await mux(new SinkTarget(sink, { written: (d, p) => tracker.written(d, p), failed: async (err) => err }), format);
		await sink.close();
		const written = await readFile(path);
		expect(written.byteLength).toBe(reference.buffer!.byteLength);
		expect(Buffer.compare(written, Buffer.from(reference.buffer!))).toBe(0);
		// MP4: every box was followed, so the whole file (ending with its mfra index) is complete.
		if (format === "mp4") expect(tracker.completeEnd).toBe(written.byteLength);
	});
}

/** A deterministic pseudo-random generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

it("leaves any sequence of writes and flushes as the writes applied in order would", { timeout: 30_000 }, async () => {
	for (let seed = 1; seed <= 40; seed++) {
		const rnd = random(seed);
		const path = join(dir, `random-${seed}.bin`);
		const file = await FileRecordingSink.create(path);
		const pieces: { position: number; length: number }[] = [];
		const sink: RecordingSink = {
			write: (data, position) => {
				pieces.push({ position, length: data.byteLength });
				return file.write(data, position);
			},
			writev: (buffers, position) => {
				pieces.push({ position, length: buffers.reduce((n, b) => n + b.byteLength, 0) });
				return file.writev(buffers, position);
			},
			close: () => file.close(),
			get bytes() {
				return file.bytes;
			},
		};
		const seen: { position: number; length: number }[] = [];
		const target = new SinkTarget(sink, { written: (d, p) => seen.push({ position: p, length: d.byteLength }), failed: async (err) => err });
		const model = new Uint8Array(1 << 20);
		let size = 0;
		let pos = 0;
		// The muxers' own habit: one scratch buffer rewritten for every small write.
		const scratch = new Uint8Array(8);
		for (let step = 0; step < 300; step++) {
			const r = rnd();
			let data: Uint8Array;
			if (r < 0.5) {
				// A small write from the scratch buffer, at the current position or back over a header.
				const n = 1 + Math.floor(rnd() * 8);
				for (let i = 0; i < n; i++) scratch[i] = Math.floor(rnd() * 256);
				data = scratch.subarray(0, n);
				if (rnd() < 0.2) pos = Math.max(0, pos - Math.floor(rnd() * 64));
			} else if (r < 0.8) {
				// A sample: large, its own buffer.
				data = new Uint8Array(4096 + Math.floor(rnd() * 20_000)).map(() => Math.floor(rnd() * 256));
			} else if (r < 0.9) {
				data = new Uint8Array(100 + Math.floor(rnd() * 3000)).map(() => Math.floor(rnd() * 256));
				pos = Math.floor(rnd() * (size + 1)); // anywhere, behind or over what was written
			} else {
				pos += Math.floor(rnd() * 100); // a gap
				continue;
			}
			if (pos + data.byteLength > model.byteLength) break;
			model.set(data, pos);
			target._write(data, pos);
			pos += data.byteLength;
			size = Math.max(size, pos);
			if (rnd() < 0.1) await target._flush();
		}
		await target._flush();
		await sink.close();
		const written = await readFile(path);
		// Gaps never written read as zeros, in the file as in the model.
		expect(written.byteLength, `seed ${seed}`).toBe(size);
		expect(Buffer.compare(written, Buffer.from(model.subarray(0, size))), `seed ${seed}`).toBe(0);
		// Every byte handed to the sink was reported as written, piece by piece.
		expect(seen.reduce((n, s) => n + s.length, 0), `seed ${seed}`).toBe(pieces.reduce((n, p) => n + p.length, 0));
	}
});
