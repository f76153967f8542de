/**
 * What a screenshot of a player shows, measured the same way by every test that checks pictures:
 * luminance mean and spread (a blank or black picture has almost none) and a coarse 8x8 signature
 * (two different frames differ in it).
 */
import type { Page } from "playwright-core";

/** Luminance mean and spread of a PNG, and a coarse 8x8 signature to tell two pictures apart. */
export interface PictureFacts {
	mean: number;
	stddev: number;
	signature: number[];
}

/**
 * Decodes a PNG with Chromium's own decoder in `scratch`, a blank page (so the studio page's CSP
 * stays untouched), and measures it.
 */
export async function pictureFacts(scratch: Page, png: Buffer): Promise<PictureFacts> {
	return scratch.evaluate(async (b64) => {
		const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
		const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
		const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
		const ctx = canvas.getContext("2d")!;
		ctx.drawImage(bitmap, 0, 0);
		const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
		let sum = 0;
		let sq = 0;
		const cells = new Array<number>(64).fill(0);
		const counts = new Array<number>(64).fill(0);
		for (let y = 0; y < height; y++) {
			for (let x = 0; x < width; x++) {
				const i = (y * width + x) * 4;
				const l = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
				sum += l;
				sq += l * l;
				const cell = Math.floor((y * 8) / height) * 8 + Math.floor((x * 8) / width);
				cells[cell]! += l;
				counts[cell]!++;
			}
		}
		const n = width * height;
		const mean = sum / n;
		return { mean, stddev: Math.sqrt(Math.max(0, sq / n - mean * mean)), signature: cells.map((c, i) => c / Math.max(1, counts[i]!)) };
	}, png.toString("base64"));
}
