import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { GroupCacheBudget } from "./cache-budget";
import { TrackFanout } from "./fanout";

// A full GC on demand without --expose-gc on the vitest worker.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const frame = (bytes: number): Moq.Group.Frame => ({ payload: new Uint8Array(bytes), timestamp: Moq.Time.Timestamp.fromMicros(0) });

/** Frames a late subscriber replays from a producer's cache, per group sequence. */
async function replay(producer: Moq.Track.Producer): Promise<Map<number, number>> {
	const sub = producer.subscribe();
	const out = new Map<number, number>();
	for (let group = sub.tryRecvGroup(); group; group = sub.tryRecvGroup()) {
		let n = 0;
		while (group.tryReadFrame()) n++;
		out.set(group.sequence, n);
	}
	sub.close();
	return out;
}

describe("GroupCacheBudget", () => {
	it("empties the oldest closed groups beyond the byte cap, in the producer's own cache", async () => {
		const producer = new Moq.Track.Producer("video").accept({ latencyMax: 30_000 });
		const budget = new GroupCacheBudget(1000, 30_000);
		for (let i = 0; i < 5; i++) {
			const group = producer.appendGroup();
			group.writeFrame(frame(300));
			group.writeFrame(frame(100));
			group.close();
			budget.retain([group], 400, 1_000 + i);
		}
		// 5 × 400 bytes against a 1000-byte cap: the three oldest are emptied, two stay whole.
		expect(budget.bytes).toBe(800);
		expect(budget.size).toBe(2);
		expect(await replay(producer)).toEqual(
			new Map([
				[0, 0],
				[1, 0],
				[2, 0],
				[3, 2],
				[4, 2],
			]),
		);
	});

	it("forgets groups older than its time window without touching them", async () => {
		const producer = new Moq.Track.Producer("audio").accept({ latencyMax: 30_000 });
		const budget = new GroupCacheBudget(1 << 20, 1000);
		const a = producer.appendGroup();
		a.writeFrame(frame(10));
		a.close();
		budget.retain([a], 10, 0);
		const b = producer.appendGroup();
		b.writeFrame(frame(10));
		b.close();
		budget.retain([b], 10, 1500);
		expect(budget.size).toBe(1);
		expect(budget.bytes).toBe(10);
		// Expiry is the library's job (it still holds `a` for its own 30 s): the frames are intact.
		expect(await replay(producer)).toEqual(new Map([[0, 1], [1, 1]]));
	});

	it("holds no group once it released it (over the cap or too old)", async () => {
		const budget = new GroupCacheBudget(100, 30_000);
		let first: Moq.Group.Producer | undefined = new Moq.Group.Producer(0);
		first.writeFrame(frame(100));
		first.close();
		const ref = new WeakRef(first);
		budget.retain([first], 100, 0);
		first = undefined;
		for (let i = 1; i < 10; i++) {
			const group = new Moq.Group.Producer(i);
			group.writeFrame(frame(100));
			group.close();
			budget.retain([group], 100, i);
		}
		expect(budget.size).toBe(1);
		// WeakRef targets live until the current job ends: collect from a later task.
		await new Promise((r) => setTimeout(r, 0));
		gc();
		expect(ref.deref()).toBeUndefined();
	});

	it("caps a TrackFanout's producers", async () => {
		const broadcast = new Moq.Broadcast.Producer();
		const fanout = new TrackFanout(broadcast, "video", { latencyMax: 30_000 }, 2500);
		const late = new Moq.Track.Producer("video").accept({ latencyMax: 30_000 });
		fanout.attach(late);
		for (let i = 0; i < 10; i++) {
			fanout.openGroup();
			fanout.writeFrame(frame(1000));
		}
		fanout.closeGroup();
		expect(fanout.cachedBytes).toBeLessThanOrEqual(2500);
		const groups = await replay(late);
		expect([...groups.values()].filter((n) => n > 0)).toHaveLength(2);
		fanout.close();
		broadcast.close();
	});
});
