/**
 * The hang catalog and legacy container, against the shapes `@moq/hang` 0.3.5 reads and writes.
 */
import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { StudioError } from "../../shared/errors";
import { CatalogConsumer, decodeLegacyFrame, encodeLegacyFrame, mergePatch, parseCatalog, serializeCatalog, validateCatalog } from "../../electron/engine/hang";

describe("legacy container", () => {
	it("round-trips timestamps across every varint size and matches @moq/net's varint", () => {
		for (const ts of [0, 63, 64, 16_383, 16_384, 1_073_741_823, 1_073_741_824, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
			const payload = new Uint8Array([1, 2, 3]);
			const frame = encodeLegacyFrame(payload, ts);
			expect(frame.subarray(0, frame.byteLength - 3)).toEqual(Moq.Varint.encode(ts));
			const decoded = decodeLegacyFrame(frame);
			expect(decoded.timestampUs).toBe(ts);
			expect(decoded.payload).toEqual(payload);
		}
	});

	it("rejects truncated varints and negative timestamps with typed errors", () => {
		expect(() => decodeLegacyFrame(new Uint8Array([0xc0, 1]))).toThrow(StudioError);
		expect(() => decodeLegacyFrame(new Uint8Array([]))).toThrow(/missing timestamp/);
		expect(() => encodeLegacyFrame(new Uint8Array(1), -1)).toThrow(StudioError);
	});
});

describe("catalog", () => {
	it("accepts what <moq-publish> writes (no Opus description, container object)", () => {
		const catalog = validateCatalog({
			video: { renditions: { "video/hd": { codec: "avc1.640028", codedWidth: 1920, codedHeight: 1080, container: { kind: "legacy" } } } },
			audio: { renditions: { "audio/data": { codec: "opus", sampleRate: 48000, numberOfChannels: 2, bitrate: 64000, container: { kind: "legacy" }, jitter: 20 } } },
			scte35: { custom: true },
		});
		expect(catalog.audio?.renditions["audio/data"]?.codec).toBe("opus");
		expect((catalog as Record<string, unknown>).scte35).toEqual({ custom: true });
	});

	it("defaults the container to legacy, keeps unknown containers, reads hang's old shapes", () => {
		const c = validateCatalog({
			video: [{ track: { name: "v" }, config: { codec: "vp8" } }],
			audio: { track: { name: "a" }, config: { codec: "opus", sampleRate: 48000, numberOfChannels: 1, container: { kind: "future", x: 1 } } },
		});
		expect(c.video?.renditions.v?.container).toEqual({ kind: "legacy" });
		expect(c.audio?.renditions.a?.container).toEqual({ kind: "unknown", raw: { kind: "future", x: 1 } });
	});

	it("refuses non-hex descriptions and garbage with MEDIA", () => {
		const bad = { video: { renditions: { v: { codec: "avc1.42e01e", description: "AAEC=" } } } };
		expect(() => serializeCatalog(bad as never)).toThrow(StudioError);
		for (const bytes of ["", "[]x", '{"video":{"renditions":{"v":{}}}}', "\uFFFF"]) {
			try {
				parseCatalog(new TextEncoder().encode(bytes));
				throw new Error("parsed");
			} catch (err) {
				expect((err as StudioError).codeName).toBe("MEDIA");
			}
		}
	});

	it("applies @moq/json merge patches after a group's snapshot", async () => {
		expect(mergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } })).toEqual({ a: 1, b: { d: 3 } });
		const producer = new Moq.Broadcast.Producer();
		const group = producer.createTrack("catalog.json").appendGroup();
		const ts = Moq.Time.Timestamp.now();
		group.writeJson({ audio: { renditions: { a: { codec: "opus", sampleRate: 48000, numberOfChannels: 1 } } } });
		group.writeFrame({ payload: new TextEncoder().encode(JSON.stringify({ audio: { renditions: { a: { numberOfChannels: 2 } } } })), timestamp: ts });
		const consumer = new CatalogConsumer(producer.consume());
		expect((await consumer.next())?.audio?.renditions.a?.numberOfChannels).toBe(1);
		expect((await consumer.next())?.audio?.renditions.a?.numberOfChannels).toBe(2);
		consumer.close();
	});
});
