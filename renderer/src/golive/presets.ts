/**
 * Encoding presets and codec choice. H.264 is preferred (every player decodes it); VP9, VP8 and
 * AV1 are fallbacks, picked by what `VideoEncoder.isConfigSupported` accepts on this machine.
 */

/** A video preset: resolution, frame rate, bitrate and GOP (= MoQ group) length. */
export interface VideoPreset {
	id: string;
	label: string;
	width: number;
	height: number;
	framerate: number;
	bitrate: number;
	/** Frames per keyframe: one MoQ group per GOP. */
	keyframeInterval: number;
}

/** The built-in presets; "custom" starts from 720p30. */
export const PRESETS: readonly VideoPreset[] = [
	{ id: "720p30", label: "720p · 30 fps · 3 Mb/s", width: 1280, height: 720, framerate: 30, bitrate: 3_000_000, keyframeInterval: 60 },
	{ id: "1080p30", label: "1080p · 30 fps · 6 Mb/s", width: 1920, height: 1080, framerate: 30, bitrate: 6_000_000, keyframeInterval: 60 },
	{ id: "1080p60", label: "1080p · 60 fps · 9 Mb/s", width: 1920, height: 1080, framerate: 60, bitrate: 9_000_000, keyframeInterval: 120 },
];

/** The H.264 High profile codec string with a level that fits the picture rate (1080p needs 4.0+). */
export function avcCodec(width: number, height: number, framerate: number): string {
	const macroblocksPerSecond = Math.ceil(width / 16) * Math.ceil(height / 16) * framerate;
	const level = macroblocksPerSecond <= 108_000 ? 0x1f : macroblocksPerSecond <= 245_760 ? 0x28 : macroblocksPerSecond <= 522_240 ? 0x2a : 0x33;
	return `avc1.6400${level.toString(16).padStart(2, "0")}`;
}

/** Candidate configs in preference order. */
export function videoCandidates(p: { width: number; height: number; framerate: number; bitrate: number }): VideoEncoderConfig[] {
	const base = { width: p.width, height: p.height, framerate: p.framerate, bitrate: p.bitrate, latencyMode: "realtime" as const };
	return [
		// `avc` format: AVCC chunks with the avcC as description, what hang and MP4 carry unchanged.
		{ ...base, codec: avcCodec(p.width, p.height, p.framerate), avc: { format: "avc" } },
		{ ...base, codec: "vp09.00.40.08" },
		{ ...base, codec: "vp8" },
		{ ...base, codec: "av01.0.08M.08" },
	];
}

/** The first supported video config, or an Error naming what was tried. */
export async function chooseVideoConfig(p: { width: number; height: number; framerate: number; bitrate: number }): Promise<VideoEncoderConfig> {
	const tried: string[] = [];
	for (const config of videoCandidates(p)) {
		tried.push(config.codec);
		try {
			const { supported } = await VideoEncoder.isConfigSupported(config);
			if (supported) return config;
		} catch {
			// An invalid config for this browser: try the next one.
		}
	}
	throw new Error(`no video encoder available (tried ${tried.join(", ")})`);
}

/** Opus at 48 kHz: the only audio encoder Chromium ships on Linux. */
export async function chooseAudioConfig(numberOfChannels: number, bitrate = 128_000): Promise<AudioEncoderConfig> {
	const config: AudioEncoderConfig = { codec: "opus", sampleRate: 48_000, numberOfChannels, bitrate };
	const { supported } = await AudioEncoder.isConfigSupported(config);
	if (!supported) throw new Error("no Opus audio encoder available");
	return config;
}
