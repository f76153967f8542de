/**
 * Sample durations for the recording: how long a packet lasts, from the codec's own framing.
 *
 * In fragmented MP4 a sample's time is its fragment's start plus the durations of the samples
 * before it in the fragment, so every duration must be the distance to the next sample (the
 * recorder computes it from the next packet's timestamp). Only a track's last packet has no next
 * one: it lasts one codec frame, read from the packet where the codec says it (Opus), or fixed by
 * the codec (AAC, MP3); for anything else the caller falls back to the last step it saw.
 */
import type { AudioCodecFamily } from "../hang";

/** Opus frame length per TOC configuration (RFC 6716 §3.1), in µs. */
function opusFrameUs(config: number): number {
	if (config < 12) return [10_000, 20_000, 40_000, 60_000][config & 3] as number; // SILK-only
	if (config < 16) return [10_000, 20_000][config & 1] as number; // Hybrid
	return [2_500, 5_000, 10_000, 20_000][config & 3] as number; // CELT-only
}

/**
 * The duration of one Opus packet in µs from its TOC byte (RFC 6716 §3.1): frame length times
 * frame count (code 0: one frame, 1 and 2: two, 3: the count in the second byte). Undefined for
 * a packet too short to say.
 */
export function opusPacketDurationUs(packet: Uint8Array): number | undefined {
	const toc = packet[0];
	if (toc === undefined) return undefined;
	const code = toc & 3;
	const frames = code === 0 ? 1 : code < 3 ? 2 : (packet[1] ?? 0) & 0x3f;
	return frames > 0 ? frames * opusFrameUs(toc >> 3) : undefined;
}

/**
 * A function giving one packet's codec frame length in µs for an audio codec, or undefined when
 * the codec does not fix it (FLAC, Vorbis: variable block sizes).
 */
export function audioFrameDuration(family: AudioCodecFamily, sampleRate: number): (packet: Uint8Array) => number | undefined {
	switch (family) {
		case "opus":
			return opusPacketDurationUs;
		case "aac":
			return () => (1024 * 1e6) / sampleRate;
		case "mp3":
			// MPEG-1 Layer III (32 kHz and up) carries 1152 samples a frame; MPEG-2/2.5 carry 576.
			return () => ((sampleRate >= 32_000 ? 1152 : 576) * 1e6) / sampleRate;
		default:
			return () => undefined;
	}
}
