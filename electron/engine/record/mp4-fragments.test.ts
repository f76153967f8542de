import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { BufferTarget, EncodedAudioPacketSource, EncodedPacket, EncodedVideoPacketSource, MkvOutputFormat, Mp4OutputFormat, Output } from "mediabunny";
import { expect, it } from "vitest";
import { installFragmentWriter } from "./mp4-fragments";

const run = promisify(execFile);

// OpusHead: version 1, 2 channels, pre-skip 312, 48 kHz, gain 0, mapping family 0.
const OPUS_HEAD = new Uint8Array([0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0]);
// avcC of a 320x240 High profile stream (x264): one SPS, one PPS.
const AVCC = new Uint8Array([
	0x01, 0x64, 0x00, 0x0d, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x64, 0x00, 0x0d, 0xac, 0xd9, 0x41, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10,
	0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x42, 0x99, 0x60, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0,
]);

interface VideoPacket {
	kind: "video";
	data: Uint8Array;
	key: boolean;
	ts: number;
	duration: number;
}
interface AudioPacket {
	kind: "audio";
	data: Uint8Array;
	ts: number;
	duration: number;
}
type Packet = VideoPacket | AudioPacket;

/** A small deterministic generator, so both runs see the same bytes. */
function rng(seed: number): () => number {
	let s = seed >>> 0;
	return () => {
		s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
		return s / 2 ** 32;
	};
}

/**
 * Video in decode order with B-frames (I P B B P B B ..., presentation times out of order),
 * `gop` frames a GOP at `fps`; sizes vary unless `constantSize`.
 */
function video(seconds: number, opts: { fps?: number; gop?: number; bframes?: boolean; constantSize?: number; jitter?: boolean; seed?: number } = {}): VideoPacket[] {
	const fps = opts.fps ?? 30;
	const gop = opts.gop ?? 30;
	const rand = rng(opts.seed ?? 1);
	const frames = Math.round(seconds * fps);
	const pts: number[] = [];
	for (let g = 0; g < frames; g += gop) {
		const n = Math.min(gop, frames - g);
		pts.push(g);
		if (!opts.bframes) for (let i = 1; i < n; i++) pts.push(g + i);
		else {
			// P every third frame, the two B-frames before it after it in decode order.
			let i = 1;
			while (i < n) {
				const p = Math.min(i + 2, n - 1);
				pts.push(g + p);
				for (let b = i; b < p; b++) pts.push(g + b);
				i = p + 1;
			}
		}
	}
	let t = 0;
	const times = Array.from({ length: frames }, () => {
		const at = t;
		t += (1 / fps) * (opts.jitter ? 0.8 + rand() * 0.4 : 1);
		return at;
	});
	return pts.map((p) => {
		const size = opts.constantSize ?? 200 + Math.floor(rand() * 3000);
		const data = new Uint8Array(size).map(() => Math.floor(rand() * 256));
		return { kind: "video", data, key: p % gop === 0, ts: times[p]!, duration: 1 / fps };
	});
}

function audio(seconds: number, opts: { constantSize?: number; seed?: number } = {}): AudioPacket[] {
	const rand = rng(opts.seed ?? 2);
	return Array.from({ length: Math.round(seconds / 0.02) }, (_, i) => ({
		kind: "audio",
		data: new Uint8Array(opts.constantSize ?? 60 + Math.floor(rand() * 200)).fill(i & 0xff),
		ts: i * 0.02,
		duration: 0.02,
	}));
}

/** Interleaves packets by timestamp (video in decode order), as a recorder hands them over. */
function interleave(v: VideoPacket[], a: AudioPacket[]): Packet[] {
	const out: Packet[] = [];
	let i = 0;
	let j = 0;
	while (i < v.length || j < a.length) {
		if (j >= a.length || (i < v.length && v[i]!.ts <= a[j]!.ts)) out.push(v[i++]!);
		else out.push(a[j++]!);
	}
	return out;
}

/** Muxes `packets` into a fragmented MP4, with the direct fragment writer when `fast`; returns the file and how many writes the target saw. */
async function mux(packets: Packet[], fast: boolean, fragmentS = 1): Promise<{ bytes: Uint8Array; writes: number; installed: boolean }> {
	let writes = 0;
	const target = new BufferTarget();
	const write = (target as unknown as { _write: (data: Uint8Array, pos: number) => void })._write.bind(target);
	(target as unknown as { _write: (data: Uint8Array, pos: number) => void })._write = (data, pos) => {
		writes++;
		write(data, pos);
	};
	const output = new Output({ format: new Mp4OutputFormat({ fastStart: "fragmented", minimumFragmentDuration: fragmentS }), target });
	const hasVideo = packets.some((p) => p.kind === "video");
	const hasAudio = packets.some((p) => p.kind === "audio");
	const vs = hasVideo ? new EncodedVideoPacketSource("avc") : undefined;
	const as = hasAudio ? new EncodedAudioPacketSource("opus") : undefined;
	if (vs) output.addVideoTrack(vs);
	if (as) output.addAudioTrack(as);
	const installed = fast ? installFragmentWriter(output) : false;
	await output.start();
	let sentV = false;
	let sentA = false;
	const adds: Promise<void>[] = [];
	for (const p of packets) {
		if (p.kind === "video") {
			adds.push(vs!.add(new EncodedPacket(p.data, p.key ? "key" : "delta", p.ts, p.duration), sentV ? undefined : { decoderConfig: { codec: "avc1.64000d", codedWidth: 320, codedHeight: 240, description: AVCC } }));
			sentV = true;
		} else {
			adds.push(as!.add(new EncodedPacket(p.data, "key", p.ts, p.duration), sentA ? undefined : { decoderConfig: { codec: "opus", sampleRate: 48_000, numberOfChannels: 2, description: OPUS_HEAD } }));
			sentA = true;
		}
	}
	vs?.close();
	as?.close();
	await Promise.all(adds);
	await output.finalize();
	return { bytes: new Uint8Array(target.buffer as ArrayBuffer), writes, installed };
}

async function same(packets: Packet[], fragmentS = 1): Promise<{ bytes: Uint8Array; fastWrites: number; plainWrites: number }> {
	const plain = await mux(packets, false, fragmentS);
	const fast = await mux(packets, true, fragmentS);
	expect(fast.installed).toBe(true);
	expect(fast.bytes.byteLength).toBe(plain.bytes.byteLength);
	expect(Buffer.compare(Buffer.from(fast.bytes), Buffer.from(plain.bytes))).toBe(0);
	return { bytes: fast.bytes, fastWrites: fast.writes, plainWrites: plain.writes };
}

it("writes video with B-frames byte for byte as mediabunny does, in far fewer writes", async () => {
	const packets = video(10, { bframes: true });
	const { bytes, fastWrites, plainWrites } = await same(packets);
	// The direct writer ran: after the first fragment (mediabunny's, with the moov), one write per
	// fragment for its moof and mdat header instead of about ten per fragment (box headers and their patches).
	expect(plainWrites - fastWrites).toBeGreaterThan(50);

	const dir = await mkdtemp(join(tmpdir(), "mp4-fragments-"));
	try {
		const file = join(dir, "v.mp4");
		await writeFile(file, bytes);
		const { stdout } = await run("ffprobe", ["-v", "error", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", file]);
		expect(Number(stdout.trim())).toBe(packets.length);
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
});

it("writes interleaved video and Opus the same, with uneven frame durations", async () => {
	await same(interleave(video(8, { bframes: true, jitter: true, seed: 7 }), audio(8, { seed: 9 })));
	await same(interleave(video(6, { gop: 15, seed: 3 }), audio(6, { constantSize: 120 })), 0.5);
});

it("writes runs whose fields are all alike the same (constant sizes, one-sample fragments, audio alone)", async () => {
	await same(video(4, { constantSize: 1000 }));
	await same(video(3, { gop: 1, fps: 10 }));
	await same(audio(7, { constantSize: 80 }));
	await same(audio(5));
});

it("leaves other outputs alone", () => {
	expect(installFragmentWriter(new Output({ format: new Mp4OutputFormat({ fastStart: "in-memory" }), target: new BufferTarget() }))).toBe(false);
	expect(installFragmentWriter(new Output({ format: new MkvOutputFormat(), target: new BufferTarget() }))).toBe(false);
	const callbacks = new Output({ format: new Mp4OutputFormat({ fastStart: "fragmented", onMoof: () => undefined }), target: new BufferTarget() });
	expect(installFragmentWriter(callbacks)).toBe(false);
});
