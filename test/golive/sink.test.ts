import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { decodeMediaFrame } from "../../shared/media";
import { MAX_INFLIGHT, MediaSink } from "../../renderer/src/golive/sink";

/** A sink on a real MessagePort whose far end records frames and acks only when told to. */
function connected() {
	const { port1, port2 } = new MessageChannel();
	const received: number[] = [];
	port2.on("message", (data: ArrayBuffer) => received.push(decodeMediaFrame(data).sequence));
	const sink = new MediaSink();
	sink.attach({ kind: "port", port: port1 as unknown as MessagePort });
	const settle = () => new Promise((r) => setTimeout(r, 20));
	return { sink, received, ack: (n: number) => port2.postMessage({ ack: n }), settle, close: () => (port1.close(), port2.close()) };
}

const chunk = new Uint8Array([1, 2, 3]);

describe("MediaSink backpressure", () => {
	it("starts at a keyframe and sends while the engine keeps up", async () => {
		const t = connected();
		expect(t.sink.push(chunk, 0, false)).toBe(false); // no keyframe yet
		expect(t.sink.push(chunk, 1, true)).toBe(true);
		expect(t.sink.push(chunk, 2, false)).toBe(true);
		await t.settle();
		expect(t.received).toEqual([0, 1]);
		t.close();
	});

	it("skips to the next keyframe when too many chunks are unacknowledged, instead of queueing", async () => {
		const t = connected();
		t.sink.push(chunk, 0, true);
		for (let i = 1; i <= MAX_INFLIGHT + 5; i++) t.sink.push(chunk, i, false);
		expect(t.sink.stats.skipping).toBe(true);
		const sentBefore = t.sink.stats.sent;
		expect(sentBefore).toBeLessThanOrEqual(MAX_INFLIGHT + 2);
		// The engine catches up: deltas are still skipped until a keyframe restarts the stream.
		t.ack(sentBefore - 1);
		await t.settle();
		expect(t.sink.push(chunk, 1000, false)).toBe(false);
		expect(t.sink.push(chunk, 1001, true)).toBe(true);
		expect(t.sink.push(chunk, 1002, false)).toBe(true);
		expect(t.sink.stats.dropped).toBeGreaterThan(0);
		t.close();
	});
});
