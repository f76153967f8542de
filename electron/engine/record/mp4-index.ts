/**
 * Keeps a long fragmented-MP4 recording's memory flat (issue 18).
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
