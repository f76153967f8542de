import { describe, expect, it } from "vitest";
import type { SessionStats } from "../../../shared/sessions";
import { adaptBitrate, CONGESTED_QUEUE_BYTES } from "./adapt";

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

describe("adaptBitrate", () => {
	const bounds = { min: 500_000, max: 4_000_000, target: 3_000_000 };
	it("backs off multiplicatively while any destination is congested, down to the floor", () => {
		expect(adaptBitrate(bounds, [link(0), link(CONGESTED_QUEUE_BYTES + 1)])).toBe(2_100_000);
		expect(adaptBitrate({ ...bounds, target: 600_000 }, [link(CONGESTED_QUEUE_BYTES * 4)])).toBe(500_000);
	});
	it("climbs back additively when every destination is clear, up to the ceiling", () => {
		expect(adaptBitrate(bounds, [link(0), link(1000)])).toBe(3_200_000);
		expect(adaptBitrate({ ...bounds, target: 3_900_000 }, [link(0)])).toBe(4_000_000);
	});
	it("keeps the target without destinations", () => {
		expect(adaptBitrate(bounds, [])).toBe(3_000_000);
	});
});
