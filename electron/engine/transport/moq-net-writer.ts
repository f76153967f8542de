/**
 * Works around `@moq/net` 0.3.4 sending every varint as its own transport write: `stream.js`
 * `Writer#u53`/`#u62` each `await this.write(...)` of 1-8 bytes, so a media frame on a group
 * stream (timestamp varint, size varint, payload) costs QMux three STREAM frames, three
 * WebSocket messages and three `writev` calls, each with its own scheduler turn and web-stream
 * promises, per subscriber. A relay fanning a 25 KB frame out to 32 subscribers paid four QMux
 * frames per subscriber (the payload splits in two at QMux's 16 KB frame payload); `writev` was
 * 17% of the relay's time and QMux's encoder and scheduler another 17% (bench/relay-fanout.ts).
 *
 * Here a small write (at most {@link SMALL_WRITE_BYTES}) is held and sent with the next larger
 * one, prepended to its first {@link FIRST_PIECE_BYTES} so no more than that is copied; what is
 * held is sent by itself at the end of the current tick (`process.nextTick`, after the microtask
 * chain that wrote it) when no larger write follows, and before a close. A held write resolves at
 * once; the larger write that carries it gives the backpressure. Errors surface on the next
 * write, exactly as they would have on a later write of a buffered writer.
 *
 * A relay writes the same frame to every subscriber of a track: the same payload object (the
 * library shares a group's frames with every consumer) behind the same varints (each group stream
 * starts its timestamp deltas at 0). So the combined first piece is built once per frame and the
 * same buffer is written to every subscriber ({@link SHARED_PIECES} recent frames are remembered,
 * by payload identity and held bytes): at 32 subscribers of a 25 KB frame that is one 16 KB
 * allocation and copy instead of 32. The piece is only read after that (QMux copies it into its
 * own STREAM frame), so sharing it is safe.
 *
 * Minimal reproduction for upstream: `const w = await Writer.open(quic); await w.u53(1);
 * await w.u53(2); await w.write(new Uint8Array(100))` makes three `createUnidirectionalStream`
 * writes (count the QMux STREAM frames, or the `ws` `send` calls): one would do.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { patchedMoqNetRoot } from "./moq-net-version";

/** Writes up to this size (varints, small headers) are held for the next write. */
export const SMALL_WRITE_BYTES = 64;
/**
 * How much of the next write travels with the held bytes: below one QMux STREAM frame's payload
 * (16,352 B) with room for the held bytes, so the combined write is still one frame.
 */
export const FIRST_PIECE_BYTES = 16 * 1024 - 2 * SMALL_WRITE_BYTES - 64;

/** How many recent frames' combined first pieces are kept for the next subscriber of the same frame. */
export const SHARED_PIECES = 8;

/** Set to 1 to leave the library's writes alone (to measure what this workaround is worth). */
export const DISABLE_ENV = "MOQ_STUDIO_NO_BATCHED_WRITES";

interface WriterProto {
	write(v: Uint8Array): Promise<void>;
	close(): void;
	reset(reason?: unknown): void;
}

interface Held {
	parts: Uint8Array[];
	bytes: number;
	scheduled: boolean;
}

// A property on the Writer rather than a WeakMap entry: the reader workaround found WeakMaps
// keyed by per-stream objects retained memory per group stream (moq-net-reader.ts).
const HELD = Symbol("moq-studio held writes");
type Holder = WriterProto & { [HELD]?: Held };

const RESOLVED = Promise.resolve();

function joined(held: Held, tail?: Uint8Array): Uint8Array {
	const out = new Uint8Array(held.bytes + (tail?.byteLength ?? 0));
	let at = 0;
	for (const part of held.parts) {
		out.set(part, at);
		at += part.byteLength;
	}
	if (tail) out.set(tail, at);
	held.parts = [];
	held.bytes = 0;
	return out;
}

/** A combined first piece (held bytes + the start of `payload` up to `end`), for reuse. */
interface Piece {
	payload: Uint8Array;
	end: number;
	head: Uint8Array;
	joined: Uint8Array;
}

// Most recent first; a handful, so a lookup is a few comparisons (several tracks interleave).
// Emptied once the current turn of the event loop is over: the subscribers of one frame write it
// in the same turn (one burst), and a payload must not stay pinned here after it (frames can be
// megabytes). A subscriber that writes the frame later (backpressure) just builds its own piece.
const pieces: Piece[] = [];
let clearing = false;
const clearPieces = () => {
	pieces.length = 0;
	clearing = false;
};

function sameBytes(held: Held, head: Uint8Array): boolean {
	if (held.bytes !== head.byteLength) return false;
	let at = 0;
	for (const part of held.parts) {
		for (let i = 0; i < part.byteLength; i++) if (part[i] !== head[at + i]) return false;
		at += part.byteLength;
	}
	return true;
}

/**
 * The held bytes followed by `payload[0, end)`, as one buffer: the one built for an earlier
 * subscriber of the same frame when the held bytes match (see the module comment), else new.
 * Clears what is held either way.
 */
function sharedJoin(held: Held, payload: Uint8Array, end: number): Uint8Array {
	for (const piece of pieces) {
		if (piece.payload === payload && piece.end === end && sameBytes(held, piece.head)) {
			held.parts = [];
			held.bytes = 0;
			return piece.joined;
		}
	}
	const head = joined(held);
	const out = new Uint8Array(head.byteLength + end);
	out.set(head);
	out.set(end === payload.byteLength ? payload : payload.subarray(0, end), head.byteLength);
	pieces.unshift({ payload, end, head, joined: out });
	if (pieces.length > SHARED_PIECES) pieces.pop();
	if (!clearing) {
		clearing = true;
		setImmediate(clearPieces);
	}
	return out;
}

async function install(root: string): Promise<boolean> {
	const { Writer } = (await import(pathToFileURL(join(root, "stream.js")).href)) as { Writer?: { prototype: WriterProto & { batchesWrites?: true } } };
	const proto = Writer?.prototype;
	if (typeof proto?.write !== "function" || typeof proto.close !== "function" || typeof proto.reset !== "function") return false;
	if (proto.batchesWrites) return true;
	const { write, close, reset } = proto;

	const flush = (w: Holder): void => {
		const held = w[HELD];
		if (held && held.bytes > 0) write.call(w, joined(held)).catch(() => {});
	};

	proto.write = function (this: Holder, v: Uint8Array): Promise<void> {
		let held = this[HELD];
		if (v.byteLength <= SMALL_WRITE_BYTES) {
			if (!held) {
				held = { parts: [], bytes: 0, scheduled: false };
				this[HELD] = held;
			}
			// A copy: the library encodes varints into one scratch buffer it reuses.
			held.parts.push(v.slice());
			held.bytes += v.byteLength;
			if (!held.scheduled) {
				held.scheduled = true;
				const h = held;
				process.nextTick(() => {
					h.scheduled = false;
					flush(this);
				});
			}
			return RESOLVED;
		}
		if (!held || held.bytes === 0) return write.call(this, v);
		if (v.byteLength <= FIRST_PIECE_BYTES) return write.call(this, sharedJoin(held, v, v.byteLength));
		const first = sharedJoin(held, v, FIRST_PIECE_BYTES);
		// Queued in order on the same stream writer; a failure of the first fails the second too.
		write.call(this, first).catch(() => {});
		return write.call(this, v.subarray(FIRST_PIECE_BYTES));
	};
	proto.close = function (this: Holder): void {
		flush(this);
		close.call(this);
	};
	proto.reset = function (this: Holder, reason?: unknown): void {
		const held = this[HELD];
		if (held) {
			held.parts = [];
			held.bytes = 0;
		}
		reset.call(this, reason);
	};
	Object.defineProperty(proto, "batchesWrites", { value: true });
	return true;
}

const root = process.env[DISABLE_ENV] === "1" ? undefined : patchedMoqNetRoot();

/** Whether small stream writes travel with the next write in this process. */
export const moqNetWriter: { readonly batchedWrites: boolean } = {
	batchedWrites: root !== undefined && (await install(root).catch(() => false)),
};
