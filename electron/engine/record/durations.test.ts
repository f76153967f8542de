import { expect, it } from "vitest";
import { audioFrameDuration, opusPacketDurationUs } from "./durations";

it("reads an Opus packet's duration from its TOC byte (RFC 6716 §3.1)", () => {
	const toc = (config: number, code: number) => (config << 3) | code;
	expect(opusPacketDurationUs(new Uint8Array([toc(31, 0), 1, 2]))).toBe(20_000); // CELT 20 ms, one frame
	expect(opusPacketDurationUs(new Uint8Array([toc(30, 0)]))).toBe(10_000); // CELT 10 ms
	expect(opusPacketDurationUs(new Uint8Array([toc(16, 0)]))).toBe(2_500); // CELT 2.5 ms
	expect(opusPacketDurationUs(new Uint8Array([toc(3, 0)]))).toBe(60_000); // SILK 60 ms
	expect(opusPacketDurationUs(new Uint8Array([toc(13, 1)]))).toBe(40_000); // Hybrid 20 ms, two frames
	expect(opusPacketDurationUs(new Uint8Array([toc(30, 3), 3]))).toBe(30_000); // CELT 10 ms, three frames (code 3)
	expect(opusPacketDurationUs(new Uint8Array([toc(30, 3)]))).toBeUndefined(); // code 3 without its count byte
	expect(opusPacketDurationUs(new Uint8Array([]))).toBeUndefined();
});

it("gives AAC and MP3 their fixed frame lengths, and nothing for variable-block codecs", () => {
	expect(audioFrameDuration("aac", 48_000)(new Uint8Array(10))).toBeCloseTo(21_333.33, 1);
	expect(audioFrameDuration("mp3", 44_100)(new Uint8Array(10))).toBeCloseTo(26_122.45, 1);
	expect(audioFrameDuration("mp3", 22_050)(new Uint8Array(10))).toBeCloseTo(26_122.45, 1);
	expect(audioFrameDuration("flac", 48_000)(new Uint8Array(10))).toBeUndefined();
	expect(audioFrameDuration("opus", 48_000)(new Uint8Array([(31 << 3) | 0]))).toBe(20_000);
});
