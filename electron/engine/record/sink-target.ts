/**
 * A mediabunny output target that writes straight into a {@link RecordingSink}.
 *
 * mediabunny's `StreamTarget` copies every byte twice (once when the muxer writes, again when it
 * merges the pieces into one freshly zeroed buffer per flush) and goes through a web-streams
 * `WritableStream` (bench/record-throughput.ts, 8 broadcasts at 6 Mb/s). This target copies only
 * the small writes the muxer makes from a reused scratch buffer, and at each flush writes
 * contiguous pieces with one positioned `writev`.
 *
 * The fragmented MP4 muxer writes each fragment front to back: its `moof` as many small writes
 * (box headers, then the same headers again with their sizes), the `mdat` header, then the
 * samples. Small writes are gathered as they come into one buffer that they extend or patch in
 * place, so a fragment reaches the file as that buffer plus the samples' own bytes, with no
 * sorting or merging at the flush. Writes out of that order (Matroska patches a cluster's size
 * after its blocks) are settled at the flush instead.
 *
 * It implements mediabunny's target protocol (`_start`, `_write`, `_flush`, `_finalize`,
 * `_close`), which the library marks internal: the recording tests would tell if a version
 * changed it.
 */
import { Target } from "mediabunny";
import type { RecordingSink } from "./sink";

/** What {@link SinkTarget} reports. */
export interface SinkTargetOptions {
	/** After each piece reached the sink, in file order (the fragment tracker reads box headers). */
	written?: (data: Uint8Array, position: number) => void;
	/** After every piece of a flush reached the sink (once per fragment). */
	flushed?: () => void;
	/** A write failed: what to throw instead (e.g. after cutting the file back); the error is kept for every later flush. */
	failed: (err: unknown) => Promise<unknown>;
}

/** Writes smaller than this are copied (see {@link SinkTarget._write}). */
const COPY_BELOW = 4096;
/** First size of a buffer gathering small writes: a 1 s video fragment's `moof` and `mdat` header fit. */
const GATHER_BYTES = 1024;

interface Piece {
	data: Uint8Array;
	position: number;
}

/**
 * The pieces as the file must end up, in file order: the muxer writes a box header with a
 * placeholder size and patches it once the box is complete, so pieces that overlap are merged
 * into one buffer, later writes over earlier ones (only those: the media samples never overlap
 * anything and are passed on as they are).
 */
function settle(pending: Piece[]): Piece[] {
	const indexed = pending.map((p, i) => ({ data: p.data, position: p.position, i, end: p.position + p.data.byteLength }));
	indexed.sort((a, b) => a.position - b.position || a.i - b.i);
	const out: Piece[] = [];
	let k = 0;
	while (k < indexed.length) {
		const first = indexed[k]!;
		let end = first.end;
		let j = k + 1;
		while (j < indexed.length && indexed[j]!.position < end) end = Math.max(end, indexed[j++]!.end);
		if (j === k + 1) out.push(first);
		else {
			const data = new Uint8Array(end - first.position);
			for (const p of indexed.slice(k, j).sort((a, b) => a.i - b.i)) data.set(p.data, p.position - first.position);
			out.push({ data, position: first.position });
		}
		k = j;
	}
	return out;
}

/** Writes the muxer's output into a {@link RecordingSink} without copying the media. */
export class SinkTarget extends Target {
	readonly #sink: RecordingSink;
	readonly #opts: SinkTargetOptions;
	/**
	 * Pieces to write at the next flush. While `#ordered`, they are in file order, none overlaps
	 * another, and the last ends at `#end`; `#gather` is the last one when it gathers small writes.
	 */
	#pending: Piece[] = [];
	#ordered = true;
	#end = 0;
	/** The piece small writes are gathered into (`#gatherLength` bytes of its data used), while it is the last pending one. */
	#gather: Piece | undefined;
	#gatherLength = 0;
	#error: unknown;

	constructor(sink: RecordingSink, opts: SinkTargetOptions) {
		super();
		this.#sink = sink;
		this.#opts = opts;
	}

	/** @internal mediabunny's target protocol. */
	_start(): void {}

	/**
	 * @internal Keeps `data` for the next flush. The muxers reuse one 8-byte scratch buffer for
	 * box and element headers, so small writes are copied (gathered, see the module comment);
	 * sample data (the packets' own bytes, never rewritten) and whole boxes are kept as they
	 * are, which is most of the bytes.
	 */
	_write(data: Uint8Array, position: number): void {
		const n = data.byteLength;
		const end = position + n;
		if (!this.#ordered) this.#pending.push({ data: n < COPY_BELOW ? data.slice() : data, position });
		else if (n < COPY_BELOW && this.#gather && position >= this.#gather.position && position <= this.#end) {
			// Extends or patches the gathered bytes (a box header rewritten with its size).
			const gather = this.#gather;
			const at = position - gather.position;
			if (at + n > gather.data.byteLength) {
				const grown = new Uint8Array(Math.max(at + n, gather.data.byteLength * 2));
				grown.set(gather.data.subarray(0, this.#gatherLength));
				gather.data = grown;
			}
			gather.data.set(data, at);
			this.#gatherLength = Math.max(this.#gatherLength, at + n);
			this.#end = gather.position + this.#gatherLength;
		} else if (position >= this.#end) {
			this.#seal();
			if (n < COPY_BELOW) {
				const buffer = new Uint8Array(Math.max(GATHER_BYTES, n));
				buffer.set(data);
				this.#gather = { data: buffer, position };
				this.#gatherLength = n;
				this.#pending.push(this.#gather);
			} else this.#pending.push({ data, position });
			this.#end = end;
		} else {
			// Before what is pending: settled at the flush.
			this.#seal();
			this.#ordered = false;
			this.#pending.push({ data: n < COPY_BELOW ? data.slice() : data, position });
		}
		(this as unknown as { _dispatchWrite(start: number, end: number): void })._dispatchWrite(position, end);
	}

	/** Trims the gathering buffer to the bytes used, closing it to further writes. */
	#seal(): void {
		if (!this.#gather) return;
		this.#gather.data = this.#gather.data.subarray(0, this.#gatherLength);
		this.#gather = undefined;
	}

	/** @internal Writes what is pending, contiguous pieces together, in order. */
	async _flush(): Promise<void> {
		if (this.#error !== undefined) throw this.#error;
		if (this.#pending.length === 0) return;
		this.#seal();
		const pieces = this.#ordered ? this.#pending : settle(this.#pending);
		this.#pending = [];
		this.#ordered = true;
		this.#end = 0;
		try {
			let i = 0;
			while (i < pieces.length) {
				const start = pieces[i]!.position;
				let end = start + pieces[i]!.data.byteLength;
				let j = i + 1;
				while (j < pieces.length && pieces[j]!.position === end) end += pieces[j++]!.data.byteLength;
				if (j === i + 1) await this.#sink.write(pieces[i]!.data, start);
				else {
					const run = pieces.slice(i, j).map((p) => p.data);
					if (this.#sink.writev) await this.#sink.writev(run, start);
					else await this.#sink.write(Buffer.concat(run), start);
				}
				for (let k = i; k < j; k++) this.#opts.written?.(pieces[k]!.data, pieces[k]!.position);
				i = j;
			}
		} catch (err) {
			this.#error = await this.#opts.failed(err);
			throw this.#error;
		}
		this.#opts.flushed?.();
	}

	/** @internal */
	async _finalize(): Promise<void> {
		await this._flush();
	}

	/** @internal */
	async _close(): Promise<void> {}
}
