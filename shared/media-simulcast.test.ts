import { describe, expect, it } from "vitest";
import { GoLiveStartArgs } from "./media";

const video = { codec: "avc1.64001f", codedWidth: 1280, codedHeight: 720, framerate: 30, bitrate: 3_000_000 };
const base = { originId: "o1", path: "live/show.hang" };

describe("golive.start simulcast renditions", () => {
	it("takes up to two renditions beside the video", () => {
		const parsed = GoLiveStartArgs.parse({ ...base, video, renditions: [{ ...video, codedWidth: 640, codedHeight: 360, bitrate: 800_000 }] });
		expect(parsed.renditions).toHaveLength(1);
	});

	it("refuses renditions without a video track, and more than three in all", () => {
		const audio = { codec: "opus", sampleRate: 48_000, numberOfChannels: 2, bitrate: 128_000 };
		expect(GoLiveStartArgs.safeParse({ ...base, audio, renditions: [video] }).error?.issues[0]?.message).toBe("simulcast renditions need a video track");
		expect(GoLiveStartArgs.safeParse({ ...base, video, renditions: [video, video, video] }).success).toBe(false);
	});
});
