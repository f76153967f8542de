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
 */
export async function makeH264Mp4(path: string, seconds = 3, pattern = "testsrc", frequency = 440): Promise<string> {
	await ffmpeg([
		"-f", "lavfi", "-i", `${pattern}=size=320x240:rate=30`,
		"-f", "lavfi", "-i", `sine=frequency=${frequency}:sample_rate=48000`,
		"-t", String(seconds),
		"-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "30", "-pix_fmt", "yuv420p",
		"-c:a", "libopus", "-b:a", "64k",
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
