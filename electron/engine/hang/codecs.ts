/**
 * Codec names: WebCodecs codec strings (what hang catalogs carry, e.g. `avc1.64001f`, `opus`)
 * mapped to the short family names mediabunny uses (`avc`, `opus`), and back-filling of
 * decoder descriptions a catalog may omit.
 */

/** Video codec families the recorder can mux (mediabunny's `VideoCodec`). */
export type VideoCodecFamily = "avc" | "hevc" | "vp8" | "vp9" | "av1";
/** Audio codec families the recorder can mux (a subset of mediabunny's `AudioCodec`). */
export type AudioCodecFamily = "opus" | "aac" | "mp3" | "flac" | "vorbis";

/** The family of a WebCodecs video codec string, or undefined when unsupported. */
export function videoCodecFamily(codec: string): VideoCodecFamily | undefined {
	const c = codec.toLowerCase();
	if (c.startsWith("avc1") || c.startsWith("avc3")) return "avc";
	if (c.startsWith("hvc1") || c.startsWith("hev1")) return "hevc";
	if (c === "vp8" || c.startsWith("vp08")) return "vp8";
	if (c === "vp9" || c.startsWith("vp09")) return "vp9";
	if (c.startsWith("av01")) return "av1";
	return undefined;
}

/** The family of a WebCodecs audio codec string, or undefined when unsupported. */
export function audioCodecFamily(codec: string): AudioCodecFamily | undefined {
	const c = codec.toLowerCase();
	if (c === "opus") return "opus";
	if (c === "mp3" || c === "mp4a.69" || c === "mp4a.6b") return "mp3";
	if (c.startsWith("mp4a")) return "aac";
	if (c === "flac") return "flac";
	if (c === "vorbis") return "vorbis";
	return undefined;
}

/**
 * A minimal OpusHead (RFC 7845 §5.1) for a channel count and input rate, used when a catalog
 * omits the description (as `<moq-publish>` does). Pre-skip 0 and mapping family 0 (mono/stereo);
 * more than two channels needs the publisher's own OpusHead.
 */
export function synthesizeOpusHead(numberOfChannels: number, sampleRate: number): Uint8Array {
	const head = new Uint8Array(19);
	head.set(new TextEncoder().encode("OpusHead"), 0);
	const view = new DataView(head.buffer);
	view.setUint8(8, 1); // version
	view.setUint8(9, numberOfChannels);
	view.setUint16(10, 0, true); // pre-skip
	view.setUint32(12, sampleRate, true);
	view.setInt16(16, 0, true); // output gain
	view.setUint8(18, 0); // channel mapping family
	return head;
}
