import { describe, expect, it } from "vitest";
import { PRESETS } from "./presets";
import { planRenditions } from "./simulcast";

const p1080 = PRESETS.find((p) => p.id === "1080p30")!;
const p720 = PRESETS.find((p) => p.id === "720p30")!;

describe("simulcast ladder", () => {
	it("plans 1080p, 720p and 360p from a 1080p source, each with its own bitrate and group length", () => {
		const plans = planRenditions({ width: 1920, height: 1080 }, p1080, 3);
		expect(plans.map((p) => [p.width, p.height])).toEqual([
			[1920, 1080],
			[1280, 720],
			[640, 360],
		]);
		expect(plans[0]!.bitrate).toBe(p1080.bitrate);
		expect(plans[1]!.bitrate).toBeLessThan(plans[0]!.bitrate);
		expect(plans[2]!.bitrate).toBeLessThan(plans[1]!.bitrate);
		expect(plans[0]!.keyframeInterval).toBe(p1080.keyframeInterval);
		expect(plans[2]!.keyframeInterval).toBe(30);
	});

	it("never encodes above the source or the preset", () => {
		// A 720p camera with the 1080p preset: the top rendition is the camera's size.
		expect(planRenditions({ width: 1280, height: 720 }, p1080, 3).map((p) => p.height)).toEqual([720, 480, 240]);
		// A 1080p screen with the 720p preset: the top rendition is the preset's size.
		expect(planRenditions({ width: 1920, height: 1080 }, p720, 2).map((p) => [p.width, p.height])).toEqual([
			[1280, 720],
			[640, 360],
		]);
	});

	it("keeps the source's aspect ratio and even sizes", () => {
		for (const p of planRenditions({ width: 1440, height: 1080 }, p1080, 3)) {
			expect(p.width % 2).toBe(0);
			expect(p.height % 2).toBe(0);
			expect(Math.abs(p.width / p.height - 4 / 3)).toBeLessThan(0.02);
		}
	});

	it("gives fewer renditions when the source is too small for distinct ones", () => {
		expect(planRenditions({ width: 320, height: 180 }, p720, 3).map((p) => p.height)).toEqual([180, 144]);
		expect(planRenditions({ width: 256, height: 144 }, p720, 3).map((p) => p.height)).toEqual([144]);
		expect(planRenditions({ width: 1920, height: 1080 }, p1080, 1)).toHaveLength(1);
	});
});
