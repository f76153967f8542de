/**
 * transport/socket-stream.ts hands QMux a received message without copying it only when QMux
 * copies that message's payload itself and keeps nothing else of it: exactly one STREAM frame
 * carrying its length. Encoded here by `@moq/qmux`'s own encoder, so a change of its framing
 * shows up as a failure rather than as views pinning socket buffers.
 */
import { describe, expect, it } from "vitest";
import { isOneStreamFrame } from "../../electron/engine/transport/socket-stream";
// Internal modules of @moq/qmux (its exports map names only the package root), typed by their .d.ts.
import * as Frame from "../../node_modules/@moq/qmux/frame.js";
import * as Stream from "../../node_modules/@moq/qmux/stream.js";
import { VarInt } from "../../node_modules/@moq/qmux/varint.js";

const encode = (frame: Frame.Any, version: "qmux-00" | "qmux-01" | "qmux-02") => Frame.encode(frame, version);
const id = (n: bigint) => Stream.Id.create(n, Stream.Dir.Uni, false);

describe("isOneStreamFrame", () => {
	for (const version of ["qmux-00", "qmux-01", "qmux-02"] as const) {
		it(`takes one length-carrying STREAM frame as it is (${version})`, () => {
			for (const size of [0, 1, 63, 64, 1000, 16_352]) {
				for (const offset of [0n, 70n, 1_000_000n]) {
					const bytes = encode({ type: "stream", id: id(3n), offset, data: new Uint8Array(size).fill(7), fin: size === 0 }, version);
					expect(isOneStreamFrame(bytes), `size ${size} offset ${offset}`).toBe(true);
				}
			}
		});
	}

	it("copies anything else: two frames, a cut or padded frame, control frames, garbage", () => {
		const one = encode({ type: "stream", id: id(1n), offset: 5n, data: new Uint8Array(100), fin: false }, "qmux-01");
		const two = new Uint8Array(one.byteLength * 2);
		two.set(one);
		two.set(one, one.byteLength);
		expect(isOneStreamFrame(two)).toBe(false);
		expect(isOneStreamFrame(one.subarray(0, one.byteLength - 1))).toBe(false);
		const padded = new Uint8Array(one.byteLength + 1);
		padded.set(one);
		expect(isOneStreamFrame(padded)).toBe(false);
		expect(isOneStreamFrame(encode({ type: "max_data", max: 1_000_000n }, "qmux-01"))).toBe(false);
		expect(isOneStreamFrame(encode({ type: "reset_stream", id: id(1n), code: VarInt.from(0), finalSize: 10n }, "qmux-01"))).toBe(false);
		// STREAM without its LEN bit (0x0c): the payload would be the rest of the message, kept as a view.
		expect(isOneStreamFrame(Uint8Array.of(0x0c, 0x01, 0x00, 1, 2, 3))).toBe(false);
		expect(isOneStreamFrame(new Uint8Array(0))).toBe(false);
		expect(isOneStreamFrame(Uint8Array.of(0x0e))).toBe(false);
	});
});
