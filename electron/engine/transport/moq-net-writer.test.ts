import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { patchedMoqNetRoot } from "./moq-net-version";
import { FIRST_PIECE_BYTES, moqNetWriter } from "./moq-net-writer";

interface LibWriter {
	u53(v: number): Promise<void>;
	u62(v: bigint): Promise<void>;
	write(v: Uint8Array): Promise<void>;
	close(): void;
	reset(reason?: unknown): void;
}

/** A library Writer over a stream that records each chunk it is given, as QMux would send it. */
async function recordingWriter(): Promise<{ writer: LibWriter; chunks: Uint8Array[]; given: Uint8Array[]; closed: Promise<void>; aborted: () => boolean }> {
	const root = patchedMoqNetRoot();
	if (!root) throw new Error("not the patched @moq/net");
	const { Writer } = (await import(pathToFileURL(join(root, "stream.js")).href)) as { Writer: new (stream: WritableStream<Uint8Array>, version?: unknown) => LibWriter };
	const chunks: Uint8Array[] = [];
	// The buffers themselves, as handed to the stream (to see which are shared).
	const given: Uint8Array[] = [];
	let close!: () => void;
	const closed = new Promise<void>((resolve) => (close = resolve));
	let aborted = false;
	const stream = new WritableStream<Uint8Array>({
		write: (chunk) => {
			chunks.push(chunk.slice());
			given.push(chunk);
		},
		close: () => close(),
		abort: () => void (aborted = true),
	});
	return { writer: new Writer(stream), chunks, given, closed, aborted: () => aborted };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe("@moq/net stream writes batched (moq-net-writer.ts)", () => {
	it("is active", () => {
		expect(moqNetWriter.batchedWrites).toBe(true);
	});

	it("sends a frame's varints with its payload in one write", async () => {
		const { writer, chunks } = await recordingWriter();
		await writer.u62(5n);
		await writer.u53(100);
		await writer.write(bytes(100, 7));
		await tick();
		expect(chunks.map((c) => c.byteLength)).toEqual([1 + 2 + 100]); // 100 is a two-byte varint
		expect([...chunks[0]!.subarray(0, 3)]).toEqual([5, 0x40, 100]);
	});

	it("sends held varints by themselves at the end of the tick when nothing follows, in order", async () => {
		const { writer, chunks } = await recordingWriter();
		await writer.u53(1);
		await writer.u53(2);
		expect(chunks).toEqual([]);
		await tick();
		expect(chunks.map((c) => [...c])).toEqual([[1, 2]]);
		await writer.u53(3);
		await writer.write(bytes(70, 9));
		await tick();
		expect(chunks.map((c) => c.byteLength)).toEqual([2, 71]);
	});

	it("copies only the first piece of a large payload, and keeps every byte in order", async () => {
		const { writer, chunks } = await recordingWriter();
		const payload = new Uint8Array(40_000).map((_, i) => i & 0xff);
		await writer.u53(9);
		await writer.write(payload);
		await tick();
		expect(chunks.map((c) => c.byteLength)).toEqual([1 + FIRST_PIECE_BYTES, 40_000 - FIRST_PIECE_BYTES]);
		const all = new Uint8Array(40_001);
		all.set(chunks[0]!, 0);
		all.set(chunks[1]!, chunks[0]!.byteLength);
		expect(all[0]).toBe(9);
		expect(all.subarray(1)).toEqual(payload);
	});

	it("builds a frame's first piece once for every subscriber writing it in the same turn (same varints), and never mixes frames", async () => {
		const subs = await Promise.all([recordingWriter(), recordingWriter(), recordingWriter()]);
		const payload = new Uint8Array(25_000).map((_, i) => (i * 7) & 0xff);
		const small = bytes(300, 3);
		for (const { writer } of subs.slice(0, 2)) {
			await writer.u62(6n);
			await writer.u53(payload.byteLength);
			await writer.write(payload);
			await writer.u53(small.byteLength);
			await writer.write(small);
		}
		// A third subscriber whose group stream is at another timestamp delta: its own piece.
		await subs[2]!.writer.u62(8n);
		await subs[2]!.writer.u53(payload.byteLength);
		await subs[2]!.writer.write(payload);
		await tick();
		const [a, b, c] = subs;
		expect(a!.given.length).toBe(3);
		expect(b!.given[0]).toBe(a!.given[0]); // one buffer for both subscribers
		expect(b!.given[2]).toBe(a!.given[2]);
		expect(c!.given[0]).not.toBe(a!.given[0]);
		for (const [sub, delta] of [[a!, 6], [b!, 6], [c!, 8]] as const) {
			const all = new Uint8Array(sub.chunks.reduce((n, x) => n + x.byteLength, 0));
			let at = 0;
			for (const x of sub.chunks) {
				all.set(x, at);
				at += x.byteLength;
			}
			// varint(delta), varint(25000) on 4 bytes (above 16383), the payload, then the small frame.
			expect(all[0]).toBe(delta);
			expect(all.subarray(5, 5 + payload.byteLength)).toEqual(payload);
			if (sub !== c) expect(all.subarray(5 + payload.byteLength + 2)).toEqual(small);
		}
		// The next turn starts afresh: nothing of this frame is kept.
		const d = await recordingWriter();
		await d.writer.u62(6n);
		await d.writer.u53(payload.byteLength);
		await d.writer.write(payload);
		await tick();
		expect(d.given[0]).not.toBe(a!.given[0]);
		expect(d.chunks[0]).toEqual(a!.chunks[0]);
	});

	it("flushes held bytes before a close, and drops them on a reset", async () => {
		const a = await recordingWriter();
		await a.writer.u53(4);
		a.writer.close();
		await a.closed;
		expect(a.chunks.map((c) => [...c])).toEqual([[4]]);
		const b = await recordingWriter();
		await b.writer.u53(4);
		b.writer.reset(new Error("gone"));
		await tick();
		expect(b.chunks).toEqual([]);
		expect(b.aborted()).toBe(true);
	});
});
