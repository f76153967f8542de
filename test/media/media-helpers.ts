/**
 * Media fixtures and checks for the media tests, built on Debian's ffmpeg/ffprobe at test time.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs ffmpeg with `-v error -y` and the given arguments. */
export async function ffmpeg(args: string[]): Promise<void> {
	await run("ffmpeg", ["-hide_banner", "-v", "error", "-y", ...args], { maxBuffer: 64 << 20 });
}

/** A fresh temporary directory and its remover. */
export async function tempDir(prefix = "moq-media-"): Promise<{ dir: string; remove: () => Promise<void> }> {
	const dir = await mkdtemp(join(tmpdir(), prefix));
	return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * 3 s of testsrc 320x240@30 H.264 (libx264, GOP 30, with B-frames) + 48 kHz sine Opus, in MP4.
 * B-frames on purpose: the legacy container carries presentation timestamps in decode order.
 * `opusFrameMs` sets the Opus frame length (libopus `-frame_duration`, 20 ms by default).
 */
export async function makeH264Mp4(path: string, seconds = 3, pattern = "testsrc", frequency = 440, opusFrameMs = 20): Promise<string> {
	await ffmpeg([
		"-f", "lavfi", "-i", `${pattern}=size=320x240:rate=30`,
		"-f", "lavfi", "-i", `sine=frequency=${frequency}:sample_rate=48000`,
		"-t", String(seconds),
		"-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "30", "-pix_fmt", "yuv420p",
		"-c:a", "libopus", "-b:a", "64k", "-frame_duration", String(opusFrameMs),
		path,
	]);
	return path;
}

/** 3 s of VP9 (GOP 30) + Opus in WebM. */
export async function makeVp9Webm(path: string, seconds = 3): Promise<string> {
	await ffmpeg([
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000",
		"-t", String(seconds),
		"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-g", "30", "-b:v", "300k", "-pix_fmt", "yuv420p",
		"-c:a", "libopus", "-b:a", "64k",
		path,
	]);
	return path;
}

/** Per stream of a file: codec and packet count, via `ffprobe -count_packets`. */
export async function probeStreams(path: string): Promise<{ codec: string; type: string; packets: number }[]> {
	const { stdout } = await run("ffprobe", [
		"-v", "error", "-count_packets",
		"-show_entries", "stream=codec_name,codec_type,nb_read_packets",
		"-of", "json", path,
	]);
	const parsed = JSON.parse(stdout) as { streams: { codec_name: string; codec_type: string; nb_read_packets: string }[] };
	return parsed.streams.map((s) => ({ codec: s.codec_name, type: s.codec_type, packets: Number(s.nb_read_packets) }));
}

/**
 * Packet hashes of the first stream of `kind` (`v` or `a`): `size,md5` per packet in decode
 * order, from `ffmpeg -c copy -f framemd5` (with stream copy, framemd5 hashes packets).
 * Timestamps are left out on purpose: containers may shift them; the bytes must not change.
 */
export async function packetHashes(path: string, kind: "v" | "a"): Promise<string[]> {
	const { stdout } = await run("ffmpeg", ["-hide_banner", "-v", "error", "-i", path, "-map", `0:${kind}:0`, "-c", "copy", "-f", "framemd5", "-"], {
		maxBuffer: 64 << 20,
	});
	return stdout
		.split("\n")
		.filter((l) => l && !l.startsWith("#"))
		.map((l) => {
			const cols = l.split(",").map((c) => c.trim());
			return `${cols[4]},${cols[5]}`;
		});
}

/** Decode errors ffmpeg reports for a full decode of `path` (empty when it plays cleanly). */
export async function decodeErrors(path: string): Promise<string> {
	try {
		// Decode every frame with its own timestamps. By default ffmpeg re-times the null output to
		// the stream's nominal frame rate, and live capture (frames a few ms apart under load) then
		// "collides" at that rate: a complaint about the check's output, not about the file.
		const args = ["-hide_banner", "-v", "error", "-i", path, "-fps_mode", "passthrough", "-enc_time_base:v", "-1", "-f", "null", "-"];
		const { stderr } = await run("ffmpeg", args, { maxBuffer: 64 << 20 });
		return stderr.trim();
	} catch (err) {
		return String((err as { stderr?: string }).stderr ?? err);
	}
}

/** One sample of a fragmented MP4 track: decode time and duration, in the track's timescale. */
export interface Mp4Sample {
	dts: number;
	duration: number;
}

/**
 * The samples of every track of a fragmented MP4, read from its boxes (`trex` defaults, then per
 * fragment `tfhd`, `tfdt` and `trun`). ffprobe 5.1 reports no durations for a fragmented file's
 * audio packets (`duration=N/A`, ffmpeg's own `-movflags frag_keyframe` output too), so tests that
 * check durations read them here. Keyed by handler type (`vide`, `soun`).
 */
export async function mp4Samples(path: string): Promise<Record<string, { timescale: number; samples: Mp4Sample[]; fragments: number }>> {
	const { readFile } = await import("node:fs/promises");
	const b = await readFile(path);
	const tracks = new Map<number, { type: string; timescale: number; defaultDuration: number; samples: Mp4Sample[]; fragments: number }>();
	type Box = { type: string; start: number; body: number; end: number };
	const boxes = (from: number, to: number): Box[] => {
		const out: Box[] = [];
		for (let off = from; off + 8 <= to; ) {
			let size = b.readUInt32BE(off);
			let body = off + 8;
			if (size === 1) {
				size = Number(b.readBigUInt64BE(off + 8));
				body = off + 16;
			} else if (size === 0) size = to - off;
			if (size < 8 || off + size > to) break; // a box cut short: the rest is not a sample
			out.push({ type: b.toString("latin1", off + 4, off + 8), start: off, body, end: off + size });
			off += size;
		}
		return out;
	};
	const child = (box: Box, type: string) => boxes(box.body, box.end).find((x) => x.type === type);
	const top = boxes(0, b.length);
	const moov = top.find((x) => x.type === "moov");
	if (!moov) throw new Error(`${path}: no moov`);
	for (const trak of boxes(moov.body, moov.end).filter((x) => x.type === "trak")) {
		const tkhd = child(trak, "tkhd")!;
		const id = b.readUInt32BE(tkhd.body + (b[tkhd.body] === 1 ? 20 : 12));
		const mdia = child(trak, "mdia")!;
		const mdhd = child(mdia, "mdhd")!;
		const timescale = b.readUInt32BE(mdhd.body + (b[mdhd.body] === 1 ? 20 : 12));
		const hdlr = child(mdia, "hdlr")!;
		tracks.set(id, { type: b.toString("latin1", hdlr.body + 8, hdlr.body + 12), timescale, defaultDuration: 0, samples: [], fragments: 0 });
	}
	const mvex = child(moov, "mvex");
	for (const trex of mvex ? boxes(mvex.body, mvex.end).filter((x) => x.type === "trex") : []) {
		const t = tracks.get(b.readUInt32BE(trex.body + 4));
		if (t) t.defaultDuration = b.readUInt32BE(trex.body + 12);
	}
	for (const moof of top.filter((x) => x.type === "moof")) {
		for (const traf of boxes(moof.body, moof.end).filter((x) => x.type === "traf")) {
			const tfhd = child(traf, "tfhd")!;
			const flags = b.readUInt32BE(tfhd.body) & 0xffffff;
			const t = tracks.get(b.readUInt32BE(tfhd.body + 4));
			if (!t) continue;
			let p = tfhd.body + 8;
			if (flags & 0x1) p += 8;
			if (flags & 0x2) p += 4;
			const defaultDuration = flags & 0x8 ? b.readUInt32BE(p) : t.defaultDuration;
			const tfdt = child(traf, "tfdt")!;
			let dts = b[tfdt.body] === 1 ? Number(b.readBigUInt64BE(tfdt.body + 4)) : b.readUInt32BE(tfdt.body + 4);
			t.fragments++;
			for (const trun of boxes(traf.body, traf.end).filter((x) => x.type === "trun")) {
				const tf = b.readUInt32BE(trun.body) & 0xffffff;
				const count = b.readUInt32BE(trun.body + 4);
				let q = trun.body + 8;
				if (tf & 0x1) q += 4;
				if (tf & 0x4) q += 4;
				for (let i = 0; i < count; i++) {
					const duration = tf & 0x100 ? b.readUInt32BE(q) : defaultDuration;
					q += (tf & 0x100 ? 4 : 0) + (tf & 0x200 ? 4 : 0) + (tf & 0x400 ? 4 : 0) + (tf & 0x800 ? 4 : 0);
					t.samples.push({ dts, duration });
					dts += duration;
				}
			}
		}
	}
	return Object.fromEntries([...tracks.values()].map((t) => [t.type, { timescale: t.timescale, samples: t.samples, fragments: t.fragments }]));
}
