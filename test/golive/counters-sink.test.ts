/**
 * Issue 14 at the sink: every encoded chunk ends up sent, dropped or still held for the channel
 * to open. Before the fix, a GOP held while the media channel opened and then replaced by a newer
 * one (or a chunk past the hold's bound, or one held when the sink closed) vanished uncounted.
 */
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { decodeMediaFrame } from "../../shared/media";
import { MediaSink } from "../../renderer/src/golive/sink";

const chunk = new Uint8Array([1, 2, 3]);

/** Pushes a GOP of `length` chunks starting at timestamp `from`; returns how many were pushed. */
function gop(sink: MediaSink, from: number, length: number): number {
	for (let i = 0; i < length; i++) sink.push(chunk, from + i, i === 0);
	return length;
}

/** encoded = sent + dropped + pending. */
function accounted(sink: MediaSink): number {
	return sink.stats.sent + sink.stats.dropped + sink.stats.pending;
}

describe("MediaSink counts every chunk it does not send", () => {
	it("a GOP held while the channel opens and then replaced by a newer one counts as dropped", async () => {
		const sink = new MediaSink();
		let encoded = gop(sink, 0, 10);
		expect(sink.stats.pending).toBe(10);
		encoded += gop(sink, 10, 5); // the channel is slow to open: the first GOP is stale now
		expect(sink.stats).toMatchObject({ sent: 0, dropped: 10, pending: 5 });
		expect(accounted(sink)).toBe(encoded);

		const { port1, port2 } = new MessageChannel();
		const received: number[] = [];
		port2.on("message", (data: ArrayBuffer) => received.push(decodeMediaFrame(data).timestampUs));
		sink.attach({ kind: "port", port: port1 as unknown as MessagePort });
		encoded += gop(sink, 15, 3);
		await new Promise((r) => setTimeout(r, 20));
		expect(sink.stats).toMatchObject({ sent: 8, dropped: 10, pending: 0 });
		expect(accounted(sink)).toBe(encoded);
		expect(received).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
		port1.close();
		port2.close();
	});

	it("deltas before any keyframe, chunks past the hold's bound, and chunks held at close count as dropped", () => {
		const sink = new MediaSink();
		sink.push(chunk, 0, false);
		sink.push(chunk, 1, false);
		expect(sink.stats).toMatchObject({ dropped: 2, pending: 0 });
		let encoded = 2 + gop(sink, 2, 700); // a GOP longer than the hold (600 chunks)
		expect(sink.stats.pending).toBe(600);
		expect(accounted(sink)).toBe(encoded);
		encoded += gop(sink, 702, 4);
		sink.close();
		expect(sink.stats).toMatchObject({ sent: 0, pending: 0, dropped: encoded });
	});
});
