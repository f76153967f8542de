import { describe, expect, it } from "vitest";
import type { SessionStats } from "../../../shared/sessions";
import { adaptBitrate, CONGESTED_QUEUE_BYTES } from "./adapt";
import { adaptRenditions } from "./simulcast-adapt";

const link = (queuedBytes: number) => ({ queuedBytes }) as SessionStats;
const r = (track: string, max: number, target: number, subscribed: boolean) => ({ track, min: max / 4, max, target, subscribed });

describe("simulcast adaptation", () => {
	it("one rendition adapts exactly as before", () => {
		const one = r("video0", 4e6, 3e6, false);
		expect(adaptRenditions([one], [link(CONGESTED_QUEUE_BYTES + 1)])).toEqual([adaptBitrate(one, [link(CONGESTED_QUEUE_BYTES + 1)])]);
	});

	it("a congested link lowers each subscribed rendition from its own target, within its own bounds", () => {
		const next = adaptRenditions([r("video0", 6e6, 6e6, true), r("video1", 2e6, 2e6, true), r("video2", 6e5, 1.6e5, true)], [link(CONGESTED_QUEUE_BYTES + 1)]);
		expect(next).toEqual([4.2e6, 1.4e6, 1.5e5]);
	});

	it("a rendition nobody subscribes to puts nothing on the link and keeps its target", () => {
		const next = adaptRenditions([r("video0", 6e6, 6e6, true), r("video1", 2e6, 2e6, false)], [link(CONGESTED_QUEUE_BYTES + 1)]);
		expect(next).toEqual([4.2e6, 2e6]);
	});

	it("a clear link raises each rendition by a share of its own maximum", () => {
		const next = adaptRenditions([r("video0", 6e6, 3e6, true), r("video1", 2e6, 1e6, false)], [link(0)]);
		expect(next).toEqual([3.3e6, 1.1e6]);
	});
});
