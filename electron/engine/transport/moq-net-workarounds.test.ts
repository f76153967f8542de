import { describe, expect, it } from "vitest";
import { activeMoqNetWorkarounds } from "./moq-net-workarounds";
import { moqNetVersion, PATCHED_MOQ_NET_VERSION } from "./moq-net-version";

describe("@moq/net workarounds", () => {
	it("the installed @moq/net is the one the workarounds were written against, and every workaround is active", () => {
		// A dependency bump that moves @moq/net turns the guards off; this says so before a soak has to.
		expect(moqNetVersion()).toBe(PATCHED_MOQ_NET_VERSION);
		expect(activeMoqNetWorkarounds).toEqual({ race: true, tryOpen: true, trackClose: true, trackEnd: true, slotDrops: true, startFloor: true, wirePacing: true, coalescedReads: true, announceTouch: true, initialAnnounceTags: true, batchedWrites: true });
	});
});
