/**
 * What the recorder knows about the fragmented MP4 it writes: where its last complete fragment
 * ends ({@link Mp4FragmentTracker}, to cut the file back there when a write fails), and how to
 * keep a long recording's memory flat (issue 18, {@link trimWrittenFragments}).
 *
 *
 * mediabunny 1.x (`IsobmffMuxer`, fragmented mode) keeps every written fragment's chunk with the
 * metadata object of every sample in it (`finalizedChunks[i].samples`), about 250 bytes a sample
 * after the sample data itself is dropped: ~70 MB an hour for 30 fps video plus Opus, for a file
 * whose only later use of them is the `mfra` index at `finalize()`, which reads
 * `samples[0].timestamp` of each chunk. So once a fragment is written, its chunk can keep its
 * first sample alone. Works on the muxer's internals, so every step is guarded: another muxer
 * or version is left alone (and the soak test, test/media/long-show.test.ts, would tell).
 */
import type { Output } from "mediabunny";

interface Chunk {
	samples: unknown[];
}

interface FragmentedMuxer {
	isFragmented?: unknown;
	finalizedChunks?: unknown;
}

// How far each muxer's finalized chunks were already trimmed (chunks are only ever appended).
const trimmed = new WeakMap<object, number>();

/**
 * Drops the per-sample metadata of fragments already written to the file, except each chunk's
 * first sample. Cheap to call often (it only visits chunks finalized since the last call).
 * Returns how many sample records it released.
 */
export function trimWrittenFragments(output: Output): number {
	const muxer = (output as unknown as { _muxer?: FragmentedMuxer })._muxer;
	if (!muxer || muxer.isFragmented !== true || !Array.isArray(muxer.finalizedChunks)) return 0;
	const chunks = muxer.finalizedChunks as Chunk[];
	let released = 0;
	for (let i = trimmed.get(muxer) ?? 0; i < chunks.length; i++) {
		const samples = chunks[i]?.samples;
		if (Array.isArray(samples) && samples.length > 1) {
			released += samples.length - 1;
			samples.length = 1;
		}
	}
	trimmed.set(muxer, chunks.length);
	return released;
}

/** Top-level boxes after which a fragmented MP4 is complete: the init segment, a fragment's media, the index. */
const COMPLETE_AFTER = new Set(["moov", "mdat", "mfra"]);

/**
 * Follows the bytes of a fragmented MP4 as they reach the file and knows where its last complete
 * fragment ends, so a write that fails (a full disk) can cut the file back to it: a fragment is
 * a `moof` then its `mdat`, and a player reading a `moof` whose `mdat` is cut short decodes
 * garbage (ffmpeg: "Invalid NAL unit size"). It reads only the top-level box headers. The muxer
 * writes the file front to back; a write elsewhere (none in fragmented mode) stops the tracking,
 * and {@link completeEnd} stays at the last boundary known to be complete.
 */
export class Mp4FragmentTracker {
	/** Bytes written contiguously from the start of the file. */
	#pos = 0;
	/** Start and, once its header is read, end of the top-level box being written. */
	#boxStart = 0;
	#boxEnd: number | undefined;
	#boxType = "";
	readonly #header = new Uint8Array(16);
	#headerBytes = 0;
	#lost = false;
	#completeEnd = 0;

	/** End of the last complete `moov`, `mdat` or `mfra` box: the length the file can be cut back to. */
	get completeEnd(): number {
		return this.#completeEnd;
	}

	/** Records that `data` is now in the file at `position` (call only once the write succeeded). */
	written(data: Uint8Array, position: number): void {
		if (this.#lost) return;
		if (position + data.byteLength <= this.#pos) return; // a rewrite of bytes already seen: no new boxes
		if (position !== this.#pos) {
			this.#lost = true; // out of order: box boundaries beyond here are unknown
			return;
		}
		let off = 0;
		while (off < data.byteLength) {
			if (this.#boxEnd === undefined) {
				// Collect the header: 8 bytes, or 16 when the 32-bit size is 1 (a 64-bit size follows).
				const need = this.#headerBytes < 8 ? 8 : 16;
				const take = Math.min(need - this.#headerBytes, data.byteLength - off);
				this.#header.set(data.subarray(off, off + take), this.#headerBytes);
				this.#headerBytes += take;
				off += take;
				this.#pos += take;
				if (this.#headerBytes < need) continue;
				const view = new DataView(this.#header.buffer);
				const size32 = view.getUint32(0);
				if (size32 === 1 && this.#headerBytes < 16) continue;
				const size = size32 === 1 ? Number(view.getBigUint64(8)) : size32;
				if (size < this.#headerBytes) {
					// Size 0 ("to the end of the file") or nonsense: nothing after it can be placed.
					this.#lost = true;
					return;
				}
				this.#boxType = String.fromCharCode(...this.#header.subarray(4, 8));
				this.#boxEnd = this.#boxStart + size;
			}
			const take = Math.min(this.#boxEnd - this.#pos, data.byteLength - off);
			off += take;
			this.#pos += take;
			if (this.#pos === this.#boxEnd) {
				if (COMPLETE_AFTER.has(this.#boxType)) this.#completeEnd = this.#boxEnd;
				this.#boxStart = this.#boxEnd;
				this.#boxEnd = undefined;
				this.#headerBytes = 0;
			}
		}
	}
}
