/**
 * Works around `@moq/net` 0.3.4 reading a large frame in quadratic time, the top self time of a
 * relay carrying one fast stream (14.7-16.1 MB/s against 101-104 MB/s for a plain WebSocket
 * forwarder, with 22% of the rest in GC).
 *
 * `Reader#fill` (`stream.js`) appends each chunk it reads by allocating a buffer of the old size
 * plus the chunk and copying both. `Reader.read(size)` fills until `size` bytes are buffered, and
 * `@moq/qmux` delivers a stream one STREAM frame per read (its `RecvStream` pulls one queued chunk
 * per `read()`), so a frame of F bytes arriving in chunks of c costs about F²/2c bytes of copying:
 * 1 MiB in 16 KiB chunks copies 32 MiB and allocates as much garbage.
 *
 * `#fill` is private and cannot be replaced, so this changes what it is given. Every QMux receive
 * stream's reader (recognised by `RecvStream#push`, which runs before the stream is surfaced) is
 * wrapped in a {@link CoalescingReader}; `Reader.read(size)` is patched to tell that reader, in the
 * same synchronous step in which it calls `#fill`, how many bytes the read still needs, and the
 * reader then gathers that many before it answers, in one `ArrayBuffer` (which `#fill` adopts
 * without copying only while it holds nothing, and copies everything otherwise). A frame then costs
 * at most two copies of its bytes, whatever its size. Reads below {@link COALESCE_MIN_BYTES}, and
 * every read without a pending `read(size)`, pass through unchanged.
 *
 * For moq-lite (QUIC varints) one of those two copies goes too: a gather hands over exactly what
 * the read needs, and a frame's leading varints (`done()`, then `u62`) are handed over alone when
 * the chunk they start is big ({@link SPLIT_MIN_BYTES}), so a large `read(size)` finds the Reader
 * empty and `#fill` adopts the gathered bytes. The relay's `#fill` self time (8% of a relay
 * carrying one fast stream) went with it (bench/relay-throughput.ts).
 *
 * It never waits for bytes the read does not need: what `#fill` still holds is unknown (private),
 * so the need is computed against an upper bound of it, the bytes delivered minus those known to
 * be consumed (varints are counted at their shortest encoding, which only over-states what is held).
 *
 * Minimal reproduction for upstream: `new Reader(stream)` over a `ReadableStream` that yields 64
 * chunks of 16 KiB, then `await reader.read(1 << 20)`: 64 reallocations, 32 MiB copied. The fix
 * upstream is an amortized buffer (capacity doubling, or a chunk list concatenated once).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { patchedMoqNetRoot } from "./moq-net-version";

/** The one `@moq/qmux` version whose `RecvStream` this hooks. */
export const PATCHED_QMUX_VERSION = "0.3.3";
/** A `read(size)` needing fewer bytes than this is served chunk by chunk, as before. */
export const COALESCE_MIN_BYTES = 64 * 1024;
/**
 * A QUIC varint read (`u62`, or the `done()` check a frame starts with) is given exactly the
 * varint's bytes, when the Reader holds nothing and the chunk it would get is at least this big:
 * then a large read that follows finds the Reader empty and adopts the gathered bytes without
 * `#fill` copying them once more (see the module comment). Smaller chunks pass whole, as before.
 */
export const SPLIT_MIN_BYTES = 4 * 1024;

type Chunk = ReadableStreamReadResult<Uint8Array>;

// Set by a patched Reader method for the synchronous step in which it may call `#fill`.
let current: object | undefined;
let hint: number | undefined;
/** The step reads a QUIC varint next (`u62`, or `done()` before a frame's first varint). */
let varintNext = false;
/** Marks `reader` as the one whose `#fill` may call a reader in this synchronous step. */
function enter(reader: object, size?: number, varint = false): void {
	current = reader;
	hint = size;
	varintNext = varint;
}

function leave(): void {
	current = undefined;
	hint = undefined;
	varintNext = false;
}

// Readers of streams that go through a CoalescingReader -> that reader.
// (A property rather than a WeakMap: see the retention note in install.)
const OWNER = Symbol("coalescing reader");
type Owned = { [OWNER]?: CoalescingReader };
const ownerOf = (reader: object): CoalescingReader | undefined => (reader as Owned)[OWNER];
// Every QMux receive stream's readable (see the module comment).
const recvReadables = new WeakSet<ReadableStream>();

/** The reader `Reader#fill` reads from: passes chunks through, or gathers what a big read needs. */
class CoalescingReader {
	readonly #inner: ReadableStreamDefaultReader<Uint8Array>;
	#pending: Uint8Array[] = [];
	#pendingBytes = 0;
	#innerDone = false;
	#busy: Promise<void> | undefined;
	/** Bytes handed to the owning Reader. */
	delivered = 0;
	/** Bytes the owning Reader is known to have consumed (see the module comment). */
	consumed = 0;

	constructor(inner: ReadableStreamDefaultReader<Uint8Array>) {
		this.#inner = inner;
	}

	get closed(): Promise<void> {
		return this.#inner.closed;
	}

	read(): Promise<Chunk> {
		const owner = current;
		const size = hint;
		const varint = varintNext;
		current = undefined;
		hint = undefined;
		varintNext = false;
		if (owner && !ownerOf(owner)) (owner as Owned)[OWNER] = this;
		// Reads are sequential in practice; a concurrent one waits its turn (and gets no hint).
		if (this.#busy) return this.#busy.then(() => this.read());
		const held = this.delivered - this.consumed;
		const need = size !== undefined && size >= COALESCE_MIN_BYTES ? size - held : 0;
		// Exactly the varint only while the Reader is known to hold nothing: otherwise `#fill`
		// appends (and copies) anyway, and a whole chunk costs no more.
		// `held` is exact for QUIC-varint readers (moq-lite); for the rest it may over-state, so a
		// gather then hands over all it has rather than exactly `need`.
		const exact = owner !== undefined && (owner as { version?: unknown }).version === undefined;
		const result = need > 0 ? this.#gather(need, exact) : varint && held === 0 ? this.#varint() : this.#next();
		// Settles either way and is never rejected: a transport error belongs to the caller alone.
		const busy: Promise<void> = result.then(
			() => this.#idle(busy),
			() => this.#idle(busy),
		);
		this.#busy = busy;
		return result;
	}

	#idle(busy: Promise<void>): void {
		if (this.#busy === busy) this.#busy = undefined;
	}

	cancel(reason?: unknown): Promise<void> {
		this.#pending = [];
		this.#pendingBytes = 0;
		return this.#inner.cancel(reason);
	}

	releaseLock(): void {
		this.#inner.releaseLock();
	}

	async #next(): Promise<Chunk> {
		if (this.#pendingBytes > 0) return this.#deliver();
		if (this.#innerDone) return { done: true, value: undefined };
		const chunk = await this.#inner.read();
		if (chunk.done) this.#innerDone = true;
		else this.delivered += chunk.value.byteLength;
		return chunk;
	}

	async #gather(need: number, exact: boolean): Promise<Chunk> {
		while (this.#pendingBytes < need && !this.#innerDone) {
			const chunk = await this.#inner.read();
			if (chunk.done) this.#innerDone = true;
			else if (chunk.value.byteLength > 0) {
				this.#pending.push(chunk.value);
				this.#pendingBytes += chunk.value.byteLength;
			}
		}
		if (this.#pendingBytes === 0) return { done: true, value: undefined };
		// No more than the read needs: what follows stays here, so once the read has taken its
		// bytes the Reader holds nothing and the next frame's varints can be split off exactly.
		return this.#deliver(exact ? need : undefined);
	}

	/** The QUIC varint at the head of the next chunk, alone, when that chunk is big (see {@link SPLIT_MIN_BYTES}). */
	async #varint(): Promise<Chunk> {
		if (this.#pendingBytes === 0) {
			if (this.#innerDone) return { done: true, value: undefined };
			const chunk = await this.#inner.read();
			if (chunk.done) {
				this.#innerDone = true;
				return chunk;
			}
			if (chunk.value.byteLength < SPLIT_MIN_BYTES) {
				this.delivered += chunk.value.byteLength;
				return chunk;
			}
			this.#pending.push(chunk.value);
			this.#pendingBytes = chunk.value.byteLength;
		}
		const head = this.#pending[0] as Uint8Array;
		if (head.byteLength < SPLIT_MIN_BYTES || head.byteLength === 0) return this.#deliver();
		// QUIC varint: the two high bits of the first byte give its length (1, 2, 4 or 8 bytes).
		return this.#deliver(1 << ((head[0] as number) >> 6));
	}

	/** Hands over what is pending, or its first `limit` bytes (keeping the rest, unsplit chunks uncopied). */
	#deliver(limit?: number): Chunk {
		if (limit !== undefined && limit < this.#pendingBytes) {
			const head = this.#pending[0] as Uint8Array;
			if (limit <= head.byteLength) {
				// Within the first chunk: a view, no copy.
				const value = head.subarray(0, limit);
				if (limit === head.byteLength) this.#pending.shift();
				else this.#pending[0] = head.subarray(limit);
				this.#pendingBytes -= limit;
				this.delivered += limit;
				return { done: false, value };
			}
			const out = new Uint8Array(limit);
			let at = 0;
			while (at < limit) {
				const c = this.#pending[0] as Uint8Array;
				const take = Math.min(c.byteLength, limit - at);
				out.set(take === c.byteLength ? c : c.subarray(0, take), at);
				at += take;
				if (take === c.byteLength) this.#pending.shift();
				else this.#pending[0] = c.subarray(take);
			}
			this.#pendingBytes -= limit;
			this.delivered += limit;
			return { done: false, value: out.buffer as unknown as Uint8Array };
		}
		const chunks = this.#pending;
		const bytes = this.#pendingBytes;
		this.#pending = [];
		this.#pendingBytes = 0;
		this.delivered += bytes;
		if (chunks.length === 1) return { done: false, value: chunks[0] as Uint8Array };
		// An ArrayBuffer: `#fill` wraps it in a view instead of copying it again.
		const out = new Uint8Array(bytes);
		let at = 0;
		for (const c of chunks) {
			out.set(c, at);
			at += c.byteLength;
		}
		return { done: false, value: out.buffer as unknown as Uint8Array };
	}
}

/** Bytes of the shortest QUIC varint for `v`: never more than the encoding actually read. */
function varintBytes(v: bigint): number {
	if (v < 64n) return 1;
	if (v < 16384n) return 2;
	if (v < 1073741824n) return 4;
	return 8;
}

interface ReaderProto {
	read(size: number): Promise<Uint8Array>;
	done(): Promise<boolean>;
	u62(): Promise<bigint>;
	u8(): Promise<number>;
	u16(): Promise<number>;
	version?: unknown;
}

async function install(netRoot: string): Promise<boolean> {
	const require = createRequire(join(netRoot, "package.json"));
	const qmuxRoot = dirname(require.resolve("@moq/qmux"));
	const qmuxVersion = (createRequire(join(qmuxRoot, "package.json"))("./package.json") as { version: string }).version;
	if (qmuxVersion !== PATCHED_QMUX_VERSION) return false;
	const [{ Reader }, { RecvStream }] = (await Promise.all([
		import(pathToFileURL(join(netRoot, "stream.js")).href),
		import(pathToFileURL(join(qmuxRoot, "recv.js")).href),
	])) as [
		{ Reader: { prototype: ReaderProto }; coalesces?: true },
		{ RecvStream: { prototype: { push(chunk: Uint8Array): boolean; readable: ReadableStream } } },
	];
	const proto = Reader?.prototype;
	if (typeof proto?.read !== "function" || typeof proto.u62 !== "function" || typeof proto.done !== "function" || typeof RecvStream?.prototype?.push !== "function") return false;
	if ((proto as { coalesces?: true }).coalesces) return true;

	const push = RecvStream.prototype.push;
	RecvStream.prototype.push = function (chunk) {
		recvReadables.add(this.readable);
		return push.call(this, chunk);
	};
	const getReader = ReadableStream.prototype.getReader as (this: ReadableStream, options?: unknown) => unknown;
	ReadableStream.prototype.getReader = function (this: ReadableStream, options?: { mode?: string }) {
		const reader = getReader.call(this, options);
		if (options?.mode === "byob" || !recvReadables.has(this)) return reader;
		return new CoalescingReader(reader as ReadableStreamDefaultReader<Uint8Array>);
	} as typeof ReadableStream.prototype.getReader;

	// Each patched method marks the synchronous step in which `#fill` may call the reader, and
	// counts what it consumed once done. The Reader -> reader link is a property on the Reader: a
	// WeakMap from Reader to reader retained ~500 B per group stream (test/relay/retention.test.ts).
	const { read, u62, u8, u16, done } = proto;
	proto.read = function (size) {
		enter(this, size);
		let result: Promise<Uint8Array>;
		try {
			result = read.call(this, size);
		} finally {
			leave();
		}
		if (size === 0) return result;
		return result.then((bytes) => {
			const w = ownerOf(this);
			if (w) w.consumed += size;
			return bytes;
		});
	};
	proto.u62 = function () {
		// QUIC varints (moq-lite) can be split off exactly; leading-ones ones (IETF drafts) pass whole.
		enter(this, undefined, this.version === undefined);
		let result: Promise<bigint>;
		try {
			result = u62.call(this);
		} finally {
			leave();
		}
		return result.then((v) => {
			const w = ownerOf(this);
			// Leading-ones varints (IETF drafts) may be shorter than QUIC's: count one byte for those.
			if (w) w.consumed += this.version === undefined ? varintBytes(v) : 1;
			return v;
		});
	};
	const counted = <T>(method: (this: ReaderProto) => Promise<T>, bytes: number) =>
		function (this: ReaderProto): Promise<T> {
			enter(this);
			let result: Promise<T>;
			try {
				result = method.call(this);
			} finally {
				leave();
			}
			return result.then((v) => {
				const w = ownerOf(this);
				if (w) w.consumed += bytes;
				return v;
			});
		};
	proto.u8 = counted(u8, 1);
	proto.u16 = counted(u16, 2);
	// A group stream checks for its end before each frame; the frame's first varint follows.
	proto.done = function () {
		enter(this, undefined, this.version === undefined);
		try {
			return done.call(this);
		} finally {
			leave();
		}
	};
	Object.defineProperty(proto, "coalesces", { value: true });
	return true;
}

/** Set to 1 to leave the library's reads alone (to measure what this workaround is worth). */
export const DISABLE_ENV = "MOQ_STUDIO_NO_COALESCED_READS";

const root = process.env[DISABLE_ENV] === "1" ? undefined : patchedMoqNetRoot();

/** Whether large reads are gathered in one chunk in this process (both versions matched). */
export const moqNetReader: { readonly coalescedReads: boolean } = {
	coalescedReads: root !== undefined && (await install(root).catch(() => false)),
};
