/**
 * A mediabunny output target that writes straight into a {@link RecordingSink}.
 *
 * mediabunny's `StreamTarget` copies every byte twice (once when the muxer writes, again when it
 * merges the pieces into one freshly zeroed buffer per flush) and goes through a web-streams
 * `WritableStream` (bench/record-throughput.ts, 8 broadcasts at 6 Mb/s). This target copies only
 * the small writes the muxer makes from a reused scratch buffer, and at each flush writes
 * contiguous pieces with one positioned `writev`.
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
	/** A write failed: what to throw instead (e.g. after cutting the file back); the error is kept for every later flush. */
	failed: (err: unknown) => Promise<unknown>;
}

/** Writes smaller than this are copied (see {@link SinkTarget._write}). */
const COPY_BELOW = 4096;

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
	const indexed = pending.map((p, i) => ({ ...p, i, end: p.position + p.data.byteLength }));
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
	#pending: Piece[] = [];
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
	 * box and element headers, so small writes are copied; sample data (the packets' own bytes,
	 * never rewritten) and whole boxes are kept as they are, which is most of the bytes.
	 */
	_write(data: Uint8Array, position: number): void {
		this.#pending.push({ data: data.byteLength < COPY_BELOW ? data.slice() : data, position });
		(this as unknown as { _dispatchWrite(start: number, end: number): void })._dispatchWrite(position, position + data.byteLength);
	}

	/** @internal Writes what is pending, contiguous pieces together, in order. */
	async _flush(): Promise<void> {
		if (this.#error !== undefined) throw this.#error;
		if (this.#pending.length === 0) return;
		const pieces = settle(this.#pending);
		this.#pending = [];
		try {
			let i = 0;
			while (i < pieces.length) {
				const start = pieces[i]!.position;
				let end = start + pieces[i]!.data.byteLength;
				let j = i + 1;
				while (j < pieces.length && pieces[j]!.position === end) end += pieces[j++]!.data.byteLength;
				const run = pieces.slice(i, j);
				if (run.length === 1 || !this.#sink.writev) await this.#sink.write(run.length === 1 ? run[0]!.data : Buffer.concat(run.map((p) => p.data)), start);
				else await this.#sink.writev(run.map((p) => p.data), start);
				for (const p of run) this.#opts.written?.(p.data, p.position);
				i = j;
			}
		} catch (err) {
			this.#error = await this.#opts.failed(err);
			throw this.#error;
		}
	}

	/** @internal */
	async _finalize(): Promise<void> {
		await this._flush();
	}

	/** @internal */
	async _close(): Promise<void> {}
}
