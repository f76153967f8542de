/**
 * The hang "legacy" container: one MoQ frame = a QUIC varint presentation timestamp in
 * microseconds followed by the raw codec payload (exactly what `@moq/hang`'s `Legacy.encodeFrame`
 * writes and `Legacy.Format.decode` reads).
 *
 * Implemented here rather than imported so the app keeps a single copy of `@moq/net` (hang 0.3.5
 * pins `@moq/net` ^0.2.8); the wire bytes are identical.
 */
import { StudioError } from "../../../shared/errors";

/** Largest timestamp the container can carry losslessly (2^53 - 1 µs, ~285 years). */
export const MAX_TIMESTAMP_US = Number.MAX_SAFE_INTEGER;

/** One decoded legacy-container frame. `payload` is a view into the frame's bytes, not a copy. */
export interface LegacyFrame {
	/** Presentation timestamp in microseconds. */
	timestampUs: number;
	/** The codec payload (an empty payload is a hang "marker", not a sample). */
	payload: Uint8Array;
}

/** Number of bytes the QUIC varint encoding of `v` takes (1, 2, 4 or 8). */
export function varintSize(v: number): number {
	if (v < 0x40) return 1;
	if (v < 0x4000) return 2;
	if (v < 0x4000_0000) return 4;
	return 8;
}

/**
 * Writes `v` as a QUIC varint (RFC 9000 §16) into `dst` at `offset`; returns the bytes written.
 * Throws INVALID_ARGUMENT for a negative, fractional or unsafe value, which the container cannot carry.
 */
export function writeVarint(dst: Uint8Array, offset: number, v: number): number {
	if (!Number.isSafeInteger(v) || v < 0) throw new StudioError("INVALID_ARGUMENT", `timestamp ${v} is not a non-negative integer of microseconds`);
	const size = varintSize(v);
	switch (size) {
		case 1:
			dst[offset] = v;
			break;
		case 2:
			dst[offset] = 0x40 | (v >>> 8);
			dst[offset + 1] = v & 0xff;
			break;
		case 4:
			dst[offset] = 0x80 | (v >>> 24);
			dst[offset + 1] = (v >>> 16) & 0xff;
			dst[offset + 2] = (v >>> 8) & 0xff;
			dst[offset + 3] = v & 0xff;
			break;
		default: {
			// 62-bit form: split into two 32-bit halves because bitwise ops are 32-bit in JS.
			const hi = Math.floor(v / 0x1_0000_0000);
			const lo = v >>> 0;
			dst[offset] = 0xc0 | (hi >>> 24);
			dst[offset + 1] = (hi >>> 16) & 0xff;
			dst[offset + 2] = (hi >>> 8) & 0xff;
			dst[offset + 3] = hi & 0xff;
			dst[offset + 4] = lo >>> 24;
			dst[offset + 5] = (lo >>> 16) & 0xff;
			dst[offset + 6] = (lo >>> 8) & 0xff;
			dst[offset + 7] = lo & 0xff;
		}
	}
	return size;
}

/**
 * Reads a QUIC varint at the start of `buf`. Returns the value and its encoded size.
 * Throws PROTOCOL on a truncated varint or one above 2^53 (it would lose precision).
 */
export function readVarint(buf: Uint8Array): { value: number; size: number } {
	const first = buf[0];
	if (first === undefined) throw new StudioError("PROTOCOL", "empty frame: missing timestamp varint");
	const size = 1 << (first >> 6);
	if (buf.byteLength < size) throw new StudioError("PROTOCOL", "truncated timestamp varint");
	let value = first & 0x3f;
	for (let i = 1; i < size; i++) value = value * 256 + (buf[i] as number);
	if (!Number.isSafeInteger(value)) throw new StudioError("PROTOCOL", "timestamp varint exceeds 2^53");
	return { value, size };
}

/**
 * Encodes one legacy-container frame: varint(timestampUs) ‖ payload, in one new buffer.
 * Guarantees the payload bytes are copied unchanged (the round trip is bit-identical).
 */
export function encodeLegacyFrame(payload: Uint8Array, timestampUs: number): Uint8Array {
	const size = varintSize(timestampUs);
	const out = new Uint8Array(size + payload.byteLength);
	writeVarint(out, 0, timestampUs);
	out.set(payload, size);
	return out;
}

/**
 * Decodes one legacy-container frame without copying the payload.
 * Throws PROTOCOL when the frame does not start with a valid varint.
 */
export function decodeLegacyFrame(frame: Uint8Array): LegacyFrame {
	const { value, size } = readVarint(frame);
	return { timestampUs: value, payload: frame.subarray(size) };
}
