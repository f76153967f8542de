import { describe, expect, it } from "vitest";
import type { SessionStats } from "../../../shared/sessions";
import { adaptBitrate, CONGESTED_QUEUE_BYTES, DECREASE_FACTOR, INCREASE_FRACTION_OF_MAX } from "./adapt";

const link = (queuedBytes: number): SessionStats => ({
	id: "s",
	epoch: 1,
	reconnects: 0,
	bytesIn: 0,
	bytesOut: 0,
	bitrateIn: 0,
	bitrateOut: 0,
	connectedMs: 0,
	queuedBytes,
	estimatedSendBps: 0,
	broadcasts: [],
});

// The constants come from adapt.ts, so tuning them does not break these tests; what is checked is
// the shape of the control law: multiplicative decrease, additive increase, clamping, the worst
// destination deciding, and where "congested" starts.
describe("adaptBitrate", () => {
	const bounds = { min: 500_000, max: 4_000_000, target: 3_000_000 };
	const congested = link(CONGESTED_QUEUE_BYTES + 1);
	const clear = link(0);

	it("backs off multiplicatively while any destination is congested, down to the floor", () => {
		expect(DECREASE_FACTOR).toBeGreaterThan(0);
		expect(DECREASE_FACTOR).toBeLessThan(1);
		// Multiplicative: the same ratio whatever the target (as long as the floor is not hit).
		for (const target of [3_000_000, 2_000_000, 1_000_000]) {
			const next = adaptBitrate({ ...bounds, target }, [clear, congested]);
			expect(next).toBeLessThan(target);
			expect(next).toBe(Math.round(target * DECREASE_FACTOR));
		}
		// Repeated congestion converges on the floor and stays there.
		let target = bounds.max;
		for (let i = 0; i < 100; i++) target = adaptBitrate({ ...bounds, target }, [congested]);
		expect(target).toBe(bounds.min);
	});

	it("climbs back additively when every destination is clear, up to the ceiling", () => {
		expect(INCREASE_FRACTION_OF_MAX).toBeGreaterThan(0);
		// Additive: the same step whatever the target, a fraction of the maximum.
		const step = Math.round(bounds.max * INCREASE_FRACTION_OF_MAX);
		for (const target of [bounds.min, 1_000_000, 3_000_000]) {
			expect(adaptBitrate({ ...bounds, target }, [clear, link(1000)]) - target).toBe(step);
		}
		// Repeated clear steps converge on the ceiling and stay there.
		let target = bounds.min;
		for (let i = 0; i < 100; i++) target = adaptBitrate({ ...bounds, target }, [clear]);
		expect(target).toBe(bounds.max);
	});

	it("follows the worst destination, and a queue at the threshold is not yet congestion", () => {
		const atThreshold = link(CONGESTED_QUEUE_BYTES);
		expect(adaptBitrate(bounds, [atThreshold])).toBeGreaterThan(bounds.target);
		for (const order of [[clear, clear, congested], [congested, clear, clear]]) {
			expect(adaptBitrate(bounds, order)).toBeLessThan(bounds.target);
		}
	});

	it("keeps the target without destinations", () => {
		expect(adaptBitrate(bounds, [])).toBe(bounds.target);
	});
});
