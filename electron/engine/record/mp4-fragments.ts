/**
 * A faster writer for the fragments of a fragmented MP4 muxed by mediabunny: the same bytes,
 * serialized directly.
 *
 * mediabunny 1.x (`IsobmffMuxer.finalizeFragment`) builds each fragment's `moof` twice (once to
 * measure it, once to write it) as trees of nested number arrays flattened with `Array#flat`,
 * one array per field of every sample, then writes it a 4-byte field at a time and patches
 * every box header. With 8 broadcasts of 1080p recorded at once that was the recorder's largest
 * JavaScript cost (bench/record-throughput.ts: about a quarter of its main-thread CPU, plus the
 * garbage). {@link installFragmentWriter} replaces that one method on the muxer instance with one
 * that computes the sizes, fills one buffer with the `moof` and the `mdat` header, and writes the
 * samples after it, leaving the muxer's state (fragment numbers, chunk offsets, the index the
 * `mfra` is built from) exactly as the original leaves it. Everything else (interleaving,
 * timestamps, the `moov`, the `mfra`) stays mediabunny's.
 *
 * It works on the muxer's internals, so it installs only on the shape it was written against
 * (fragmented, not CMAF, no `onMoof`/`onMdat` callbacks) and hands anything unusual (the first
 * fragment, which writes the `moov`; an `mdat` of 4 GiB or more) to the original method.
 * mp4-fragments.test.ts checks that files come out byte-identical to mediabunny's own.
 */
import type { Output } from "mediabunny";

interface Sample {
	timestamp: number;
	decodeTimestamp: number;
	size: number;
	type: string;
	timescaleUnitsToNextSample: number;
	data: Uint8Array | null;
}

interface Chunk {
	startTimestamp: number;
	samples: Sample[];
	offset: number | null;
	moofOffset: number | null;
	trafIndex: number | null;
}

interface TrackData {
	track: { id: number };
	timescale: number;
	startTimestampOffset: number | null;
	currentChunk: Chunk | null;
	finalizedChunks: Chunk[];
}

interface MuxWriter {
	getPos(): number;
	seek(pos: number): void;
	write(data: Uint8Array): void;
	flush(): Promise<void>;
}

interface FragmentedMuxer {
	isFragmented: boolean;
	isCmaf: boolean;
	wroteFragmentedHeader: boolean;
	nextFragmentNumber: number;
	trackDatas: TrackData[];
	finalizedChunks: Chunk[];
	writer: MuxWriter | null;
	formatOptions: { fastStart?: unknown; onMoof?: unknown; onMdat?: unknown };
	finalizeFragment: (flushWriter?: boolean) => Promise<void>;
}

/** `fragmentSampleFlags` of mediabunny: a delta sample depends on others and has redundant coding. */
const DELTA_FLAGS = 0x01010000;
const KEY_FLAGS = 0x02000000;

/** Same-value-zero, as mediabunny's `Set`s of field values compare them. */
function same(a: number, b: number): boolean {
	return a === b || (a !== a && b !== b);
}

/** What one `traf`'s `trun` carries, decided as mediabunny decides it (see `trun` in isobmff-boxes.js). */
interface RunLayout {
	track: TrackData;
	chunk: Chunk;
	flags: number;
	firstFlags: boolean;
	durations: boolean;
	sizes: boolean;
	sampleFlags: boolean;
	offsets: boolean;
	/** Bytes of the `traf` box. */
	bytes: number;
}

function layout(track: TrackData, chunk: Chunk): RunLayout {
	const samples = chunk.samples;
	const first = samples[0]!;
	let durations = false;
	let sizes = false;
	let hasKey = false;
	let hasDelta = false;
	let offsets = false;
	for (const s of samples) {
		if (!durations && !same(s.timescaleUnitsToNextSample, first.timescaleUnitsToNextSample)) durations = true;
		if (!sizes && !same(s.size, first.size)) sizes = true;
		if (s.type === "delta") hasDelta = true;
		else hasKey = true;
		if (!offsets && Math.round((s.timestamp - s.decodeTimestamp) * track.timescale) !== 0) offsets = true;
	}
	const distinctFlags = hasKey && hasDelta;
	const firstFlags = distinctFlags && samples.length > 1 && (samples[0]!.type === "delta") !== (samples[1]!.type === "delta");
	const sampleFlags = !firstFlags && distinctFlags;
	const perSample = 4 * (+durations + +sizes + +sampleFlags + +offsets);
	// traf header, tfhd (full box, 4 fields), tfdt (full box version 1, 64-bit time), trun (full box, count, data offset).
	const bytes = 8 + 28 + 20 + 20 + (firstFlags ? 4 : 0) + samples.length * perSample;
	const flags = 0x0001 | (firstFlags ? 0x0004 : 0) | (durations ? 0x0100 : 0) | (sizes ? 0x0200 : 0) | (sampleFlags ? 0x0400 : 0) | (offsets ? 0x0800 : 0);
	return { track, chunk, flags, firstFlags, durations, sizes, sampleFlags, offsets, bytes };
}

/** Serializes box fields big-endian into one buffer, with mediabunny's integer conversions. */
class Fields {
	readonly bytes: Uint8Array;
	readonly #view: DataView;
	#at = 0;

	constructor(length: number) {
		this.bytes = new Uint8Array(length);
		this.#view = new DataView(this.bytes.buffer);
	}

	get at(): number {
		return this.#at;
	}

	u32(v: number): void {
		this.#view.setUint32(this.#at, v, false);
		this.#at += 4;
	}

	i32(v: number): void {
		this.#view.setInt32(this.#at, v, false);
		this.#at += 4;
	}

	u64(v: number): void {
		this.#view.setUint32(this.#at, Math.floor(v / 2 ** 32), false);
		this.#view.setUint32(this.#at + 4, v, false);
		this.#at += 8;
	}

	/** A box header with its final size (mediabunny writes 0 and patches it; the file ends up the same). */
	header(size: number, type: string): void {
		this.u32(size);
		for (let i = 0; i < 4; i++) this.bytes[this.#at + i] = type.charCodeAt(i);
		this.#at += 4;
	}

	/** A full box's header: size, type, version byte, 24-bit flags. */
	fullHeader(size: number, type: string, version: number, flags: number): void {
		this.header(size, type);
		this.u32(((version & 0xff) << 24) | (flags & 0xffffff));
	}
}

function sampleFlags(s: Sample): number {
	return s.type === "delta" ? DELTA_FLAGS : KEY_FLAGS;
}

/** mediabunny's own `finalizeFragment` of each muxer the writer is installed on: it takes every case the writer does not handle. */
const originals = new WeakMap<object, (flushWriter?: boolean) => Promise<void>>();

/**
 * The replacement `finalizeFragment` (see the module comment). One function shared by every
 * muxer, not a closure per muxer: V8 compiles it once, where a closure per file was compiled again.
 */
async function finalizeFragment(this: FragmentedMuxer, flushWriter = !this.isCmaf): Promise<void> {
	const original = originals.get(this)!;
	const writer = this.writer;
	if (!this.wroteFragmentedHeader || this.isFragmented !== true || this.isCmaf || !writer) return original.call(this, flushWriter);
	const tracks = this.trackDatas.filter((t) => t.currentChunk);
	if (tracks.length === 0) {
		if (flushWriter) await writer.flush();
		return;
	}
	let payload = 0;
	for (const t of tracks) {
		const chunk = t.currentChunk!;
		if (t.startTimestampOffset === null || chunk.samples.length === 0) return original.call(this, flushWriter);
		for (const s of chunk.samples) payload += s.size;
	}
	// mediabunny switches to a 64-bit mdat size there (and shifts offsets its own way): its code decides.
	if (payload + 16 >= 2 ** 32) return original.call(this, flushWriter);

	const fragmentNumber = this.nextFragmentNumber++;
	const moofOffset = writer.getPos();
	// The moof's size does not depend on the timestamps' shift below, only on which fields each run carries.
	let runs = tracks.map((t) => layout(t, t.currentChunk!));
	const moofSize = 8 + 16 + runs.reduce((n, r) => n + r.bytes, 0);
	const mdatStart = moofOffset + moofSize;
	let pos = mdatStart + 8;
	tracks.forEach((t, i) => {
		const chunk = t.currentChunk!;
		const shift = t.startTimestampOffset!;
		chunk.offset = pos;
		chunk.moofOffset = moofOffset;
		chunk.trafIndex = i;
		chunk.startTimestamp -= shift;
		for (const s of chunk.samples) {
			pos += s.size;
			s.timestamp -= shift;
			s.decodeTimestamp -= shift;
		}
	});
	// mediabunny builds the moof it writes after the shift: decide the run layouts on the shifted times too.
	runs = tracks.map((t) => layout(t, t.currentChunk!));
	if (8 + 16 + runs.reduce((n, r) => n + r.bytes, 0) !== moofSize) throw new Error("fragment layout changed while shifting timestamps");

	const out = new Fields(moofSize + 8);
	out.header(moofSize, "moof");
	out.fullHeader(16, "mfhd", 0, 0);
	out.u32(fragmentNumber);
	for (const r of runs) {
		const { chunk, track } = r;
		const samples = chunk.samples;
		out.header(r.bytes, "traf");
		const reference = samples[1] ?? samples[0]!;
		out.fullHeader(28, "tfhd", 0, 0x00008 | 0x00010 | 0x00020 | 0x20000);
		out.u32(track.track.id);
		out.u32(reference.timescaleUnitsToNextSample);
		out.u32(reference.size);
		out.u32(sampleFlags(reference));
		out.fullHeader(20, "tfdt", 1, 0);
		out.u64(Math.round(chunk.startTimestamp * track.timescale));
		out.fullHeader(r.bytes - 56, "trun", 1, r.flags);
		out.u32(samples.length);
		out.u32(chunk.offset! - chunk.moofOffset! || 0);
		if (r.firstFlags) out.u32(sampleFlags(samples[0]!));
		for (const s of samples) {
			if (r.durations) out.u32(s.timescaleUnitsToNextSample);
			if (r.sizes) out.u32(s.size);
			if (r.sampleFlags) out.u32(sampleFlags(s));
			if (r.offsets) out.i32(Math.round((s.timestamp - s.decodeTimestamp) * track.timescale));
		}
	}
	out.header(pos - mdatStart, "mdat");
	if (out.at !== out.bytes.byteLength) throw new Error("fragment header size mismatch");
	writer.write(out.bytes);
	for (const t of tracks) {
		for (const s of t.currentChunk!.samples) {
			writer.write(s.data!);
			s.data = null; // as mediabunny does: the sample's bytes are the file's now
		}
	}
	for (const t of tracks) {
		t.finalizedChunks.push(t.currentChunk!);
		this.finalizedChunks.push(t.currentChunk!);
		t.currentChunk = null;
	}
	if (flushWriter) await writer.flush();
}

/**
 * Makes `output`'s fragmented MP4 muxer write its fragments through the direct serializer (see
 * the module comment). Call after creating the output and before adding packets. Returns false,
 * leaving the muxer alone, when it is not the shape this was written for (another format,
 * CMAF, fragment callbacks, another mediabunny version).
 */
export function installFragmentWriter(output: Output): boolean {
	const muxer = (output as unknown as { _muxer?: Partial<FragmentedMuxer> })._muxer;
	// `isFragmented` is set only when the output starts: the option says it will be.
	if (!muxer || muxer.formatOptions?.fastStart !== "fragmented" || muxer.isCmaf !== false || typeof muxer.finalizeFragment !== "function") return false;
	if (typeof muxer.nextFragmentNumber !== "number" || !Array.isArray(muxer.trackDatas) || !Array.isArray(muxer.finalizedChunks)) return false;
	if (muxer.formatOptions?.onMoof !== undefined || muxer.formatOptions?.onMdat !== undefined) return false;
	originals.set(muxer, muxer.finalizeFragment);
	muxer.finalizeFragment = finalizeFragment;
	return true;
}
