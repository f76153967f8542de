/**
 * The recorder's target writes the same bytes as mediabunny's own in-memory target: real H.264
 * and Opus packets muxed twice, into a file through SinkTarget and a FileRecordingSink and into a
 * BufferTarget, fragmented MP4 and Matroska (whose headers are patched at the end).
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
