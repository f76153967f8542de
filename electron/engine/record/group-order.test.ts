/**
 * GroupOrder: audio groups written in sequence order whatever order they arrive in, holes given
 * up only when known lost, timed out (on the clock the caller passes) or over the memory bounds.
 */
import { describe, expect, it } from "vitest";
import { GroupOrder, type Release } from "./group-order";

const sequences = (r: Release<string>) => r.ready.map((g) => g.sequence);
const order = (opts: Partial<{ holdMs: number; maxGroups: number; maxBytes: number }> = {}) =>
	new GroupOrder<string>({ holdMs: 1000, maxGroups: 100, maxBytes: 1 << 20, ...opts });

describe("GroupOrder", () => {
	it("releases a burst delivered in reverse in sequence order, losing nothing", () => {
		const o = order({ maxGroups: 151 });
		o.expect(0);
		const released: number[] = [];
		for (let s = 150; s >= 0; s--) released.push(...sequences(o.push(s, [`f${s}`], 10, 0)));
		expect(released).toEqual(Array.from({ length: 151 }, (_, i) => i));
		expect(o.held).toBe(0);
	});

	it("holds above a hole until its deadline, then gives the hole up and counts it", () => {
		const o = order({ holdMs: 500 });
		expect(sequences(o.push(0, ["a"], 1, 0))).toEqual([0]);
		expect(sequences(o.push(2, ["c"], 1, 100))).toEqual([]);
		expect(o.deadline()).toBe(600);
		expect(o.expire(599)).toMatchObject({ ready: [], holes: 0 });
		const late = o.expire(600);
		expect(sequences(late)).toEqual([2]);
		expect(late.holes).toBe(1);
		// The given-up group arriving after all is late: the caller drops it (its time is past).
		expect(o.push(1, ["b"], 1, 700).late.map((g) => g.sequence)).toEqual([1]);
	});

	it("stops waiting for a group known not to come", () => {
		const o = order();
		o.push(0, ["a"], 1, 0);
		o.push(2, ["c"], 1, 0);
		o.push(3, ["d"], 1, 0);
		const r = o.skip(1);
		expect(sequences(r)).toEqual([2, 3]);
		expect(r.holes).toBe(1);
	});

	it("a group known not to come above the lowest hole does not make the writing wait once it gets there", () => {
		const o = order();
		o.push(0, ["a"], 1, 0);
		o.push(3, ["d"], 1, 0);
		// 2 was reset while 1 is still on its way: nothing to release yet.
		expect(sequences(o.skip(2))).toEqual([]);
		const r = o.push(1, ["b"], 1, 10);
		expect(sequences(r)).toEqual([1, 3]);
		expect(r.holes).toBe(1);
		expect(o.deadline()).toBeUndefined();
	});

	it("keeps memory bounded: past maxGroups or maxBytes the lowest hole is given up", () => {
		const byCount = order({ maxGroups: 3 });
		byCount.expect(0);
		for (const s of [1, 2, 3]) expect(sequences(byCount.push(s, ["x"], 1, 0))).toEqual([]);
		expect(sequences(byCount.push(4, ["x"], 1, 0))).toEqual([1, 2, 3, 4]);
		const byBytes = order({ maxBytes: 25 });
		byBytes.expect(0);
		expect(sequences(byBytes.push(2, ["x"], 10, 0))).toEqual([]);
		expect(sequences(byBytes.push(4, ["x"], 10, 0))).toEqual([]);
		expect(sequences(byBytes.push(6, ["x"], 10, 0))).toEqual([2]);
		expect(byBytes.held).toBe(2);
	});

	it("starts an unknown track at the lowest group arriving within the hold, or at once at group 0", () => {
		const o = order({ holdMs: 500 });
		expect(sequences(o.push(142, ["x"], 1, 0))).toEqual([]);
		expect(sequences(o.push(57, ["y"], 1, 10))).toEqual([]);
		expect(sequences(o.push(58, ["z"], 1, 20))).toEqual([]);
		expect(sequences(o.expire(499))).toEqual([]);
		const started = o.expire(500);
		// 57 starts the track; the hole 59-141 below 142 (which arrived at 0) has timed out too.
		expect(sequences(started)).toEqual([57, 58, 142]);
		expect(started.holes).toBe(141 - 59 + 1); // nothing is counted below the start
		expect(o.next).toBe(143);
		const zero = order({ holdMs: 500 });
		expect(sequences(zero.push(1, ["b"], 1, 0))).toEqual([]);
		expect(sequences(zero.push(0, ["a"], 1, 1))).toEqual([0, 1]);
	});

	it("ignores a duplicate of a held group and drains everything in order at the end", () => {
		const o = order();
		o.expect(5);
		o.push(7, ["h"], 1, 0);
		o.push(7, ["dup"], 1, 0);
		o.push(9, ["j"], 1, 0);
		const r = o.drain();
		expect(r.ready.map((g) => g.frames[0])).toEqual(["h", "j"]);
		expect(r.holes).toBe(3); // 5, 6 and 8 never came
	});
});
