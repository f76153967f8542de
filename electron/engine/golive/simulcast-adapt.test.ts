import { describe, expect, it } from "vitest";
import type { SessionStats } from "../../../shared/sessions";
import { adaptBitrate, CONGESTED_QUEUE_BYTES } from "./adapt";
import { adaptMemory, adaptRenditions, DEFICIT_STEPS, QUEUE_DELAY_MS, WARMUP_STEPS } from "./simulcast-adapt";

const link = (queuedBytes: number, bitrateOut = 0, id = "s1", extra: Partial<SessionStats> = {}) => ({ id, queuedBytes, bitrateOut, ...extra }) as SessionStats;
const r = (track: string, max: number, target: number, subscribed: boolean) => ({ track, min: max / 4, max, target, subscribed });

describe("simulcast adaptation", () => {
	it("one rendition adapts exactly as before", () => {
		const one = r("video0", 4e6, 3e6, false);
		expect(adaptRenditions([one], [link(CONGESTED_QUEUE_BYTES + 1)])).toEqual([adaptBitrate(one, [link(CONGESTED_QUEUE_BYTES + 1)])]);
		expect(adaptRenditions([one], [link(0)])).toEqual([adaptBitrate(one, [link(0)])]);
	});

	it("a queue-congested link lowers the largest subscribed rendition above its floor; the smaller ones hold", () => {
		expect(adaptRenditions([r("video0", 6e6, 6e6, true), r("video1", 2e6, 2e6, true), r("video2", 6e5, 1.6e5, true)], [link(CONGESTED_QUEUE_BYTES + 1)])).toEqual([4.2e6, 2e6, 1.6e5]);
		// The largest at its floor: the next one gives way.
		expect(adaptRenditions([r("video0", 6e6, 1.5e6, true), r("video1", 2e6, 2e6, true)], [link(CONGESTED_QUEUE_BYTES + 1)])).toEqual([1.5e6, 1.4e6]);
	});

	it("a rendition nobody subscribes to puts nothing on the link and keeps its target", () => {
		const next = adaptRenditions([r("video0", 6e6, 6e6, true), r("video1", 2e6, 2e6, false)], [link(CONGESTED_QUEUE_BYTES + 1)]);
		expect(next).toEqual([4.2e6, 2e6]);
	});

	it("a clear link raises each rendition by a share of its own maximum", () => {
		const next = adaptRenditions([r("video0", 6e6, 3e6, true), r("video1", 2e6, 1e6, false)], [link(0)]);
		expect(next).toEqual([3.3e6, 1.1e6]);
	});

	it("a link carrying less than the renditions bring in is shared from the smallest up: the large one takes what is left", () => {
		const renditions = [r("video0", 3e6, 3e6, true), r("video1", 7.5e5, 7.5e5, true)];
		const rates = new Map([
			["video0", 3e6],
			["video1", 7e5],
		]);
		// 2 Mb/s carried: 90% for the renditions, the 360p one keeps its target (it uses 700 kb/s).
		expect(adaptRenditions(renditions, [link(0, 2e6)], rates)).toEqual([1.1e6, 7.5e5]);
		// Two links: the slower one decides.
		expect(adaptRenditions(renditions, [link(0, 3.7e6, "a"), link(0, 2e6, "b")], rates)).toEqual([1.1e6, 7.5e5]);
		// Too tight for the small one beside the large one's floor (750 kb/s): the small one gets what
		// that floor leaves (150 kb/s, so its own floor, 187.5 kb/s), the large one its floor.
		expect(adaptRenditions(renditions, [link(0, 1e6)], rates)).toEqual([7.5e5, 1.875e5]);
	});

	it("a deficit counts after it lasted DEFICIT_STEPS steps (a new subscription's rate is still climbing), and noise never", () => {
		const renditions = [r("video0", 3e6, 3e6, true), r("video1", 7.5e5, 7.5e5, true)];
		const rates = new Map([
			["video0", 3e6],
			["video1", 7.5e5],
		]);
		const memory = adaptMemory();
		// The first seconds of a broadcast are not judged (keyframes make every rate read high).
		for (let i = 0; i < WARMUP_STEPS; i++) expect(adaptRenditions(renditions, [link(0, 2e6)], rates, memory)).toEqual([3e6, 7.5e5]);
		for (let i = 1; i < DEFICIT_STEPS; i++) expect(adaptRenditions(renditions, [link(0, 2e6)], rates, memory)).toEqual([3e6, 7.5e5]);
		expect(adaptRenditions(renditions, [link(0, 2e6)], rates, memory)).toEqual([1.05e6, 7.5e5]);
		// Caught up: the streak starts over.
		expect(adaptRenditions(renditions, [link(0, 3.8e6)], rates, memory)).toEqual([3e6, 7.5e5]);
		expect(memory.deficits.get("s1")).toBe(0);
		// 100 kb/s short of 3.75 Mb/s is not congestion.
		expect(adaptRenditions(renditions, [link(0, 3.65e6)], rates)).toEqual([3e6, 7.5e5]);
	});

	it("a rendition nobody subscribes to is not counted in what the link should carry", () => {
		const rates = new Map([
			["video0", 3e6],
			["video1", 7.5e5],
		]);
		expect(adaptRenditions([r("video0", 3e6, 3e6, false), r("video1", 7.5e5, 7.5e5, true)], [link(0, 8e5)], rates)).toEqual([3e6, 7.5e5]);
	});

	it("a round trip grown past the shortest seen is congestion; what pongs prove delivered is the capacity, not what left the socket", () => {
		const renditions = [r("video0", 3e6, 3e6, true), r("video1", 7.5e5, 7.5e5, true)];
		const rates = new Map([
			["video0", 3e6],
			["video1", 7.5e5],
		]);
		const memory = adaptMemory();
		memory.steps = WARMUP_STEPS;
		// Clear: 2 ms round trips, everything delivered.
		expect(adaptRenditions(renditions, [link(0, 3.8e6, "s1", { rttMs: 2, deliveredBps: 3.8e6 })], rates, memory)).toEqual([3e6, 7.5e5]);
		// The socket still takes 3.7 Mb/s into the kernel, but only 2 Mb/s arrive and the round trip grows.
		const slow = link(0, 3.7e6, "s1", { rttMs: 2 + QUEUE_DELAY_MS + 100, deliveredBps: 2e6 });
		for (let i = 1; i < DEFICIT_STEPS; i++) expect(adaptRenditions(renditions, [slow], rates, memory)).toEqual([3e6, 7.5e5]);
		// A queue stands: 75% of the 2 Mb/s delivered, so it drains; the 360p one keeps its maximum.
		expect(adaptRenditions(renditions, [slow], rates, memory)).toEqual([7.5e5, 7.5e5]);
		// Drained but still short: 90% of what arrives. A lower reading and then a higher one: the
		// targets follow both ways instead of ratcheting down to the floors.
		const short = { ...slow, rttMs: 2, deliveredBps: 2.2e6 };
		const lower = adaptRenditions([r("video0", 3e6, 7.5e5, true), r("video1", 7.5e5, 7.5e5, true)], [short], rates, memory);
		expect(lower).toEqual([1.23e6, 7.5e5]);
		expect(adaptRenditions([r("video0", 3e6, lower[0]!, true), r("video1", 7.5e5, 7.5e5, true)], [{ ...short, deliveredBps: 2e6 }], rates, memory)).toEqual([1.05e6, 7.5e5]);
	});
});
