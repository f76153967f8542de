/**
 * Pictures out of recordings, for tests that check what a program showed where: a decoded frame
 * as RGB24 and the mean colour of a part of it.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A decoded picture as packed RGB24. */
export interface Picture {
	width: number;
	height: number;
	rgb: Buffer;
}

/** One decoded frame of the file's first video stream, `at` seconds in. */
export async function frameAt(path: string, at: number): Promise<Picture> {
	const probe = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path]);
	const [width, height] = probe.stdout.trim().split(",").map(Number) as [number, number];
	const { stdout } = await run("ffmpeg", ["-v", "error", "-ss", String(at), "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], { encoding: "buffer", maxBuffer: 64 << 20 });
	return { width, height, rgb: stdout };
}

/** The mean colour of a square `size` (a fraction of the width and height) wide around (fx, fy). */
export function meanColour(f: Picture, fx: number, fy: number, size = 0.04): [number, number, number] {
	const sum: [number, number, number] = [0, 0, 0];
	let n = 0;
	const x0 = Math.round((fx - size / 2) * f.width);
	const y0 = Math.round((fy - size / 2) * f.height);
	for (let y = y0; y < y0 + size * f.height; y++) {
		for (let x = x0; x < x0 + size * f.width; x++) {
			const i = (y * f.width + x) * 3;
			sum[0] += f.rgb[i]!;
			sum[1] += f.rgb[i + 1]!;
			sum[2] += f.rgb[i + 2]!;
			n++;
		}
	}
	return sum.map((v) => v / n) as [number, number, number];
}

/** How far apart two RGB colours are (Euclidean, 0 to about 441). */
export function colourDistance(a: readonly number[], b: readonly number[]): number {
	return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}
