/**
 * Through a real relay: one connection publishes a file as a hang broadcast, another records it
 * from the relay; the recording holds the source's packets bit for bit.
 */
import * as Moq from "@moq/net";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { publishFile } from "../../electron/engine/publish";
import { recordBroadcast } from "../../electron/engine/record";
import { startTestRelay } from "../helpers/relay";
import { decodeErrors, makeH264Mp4, packetHashes, probeStreams, tempDir } from "./media-helpers";

let dir: string;
let remove: () => Promise<void>;
let source: string;
let relay: RelayHandle;

beforeAll(async () => {
	// @moq/net logs every session at debug/info level; keep the test output readable.
	for (const level of ["debug", "info", "log", "warn"] as const) vi.spyOn(console, level).mockImplementation(() => {});
	({ dir, remove } = await tempDir());
	[source, relay] = await Promise.all([makeH264Mp4(`${dir}/src.mp4`, 2), startTestRelay()]);
});
afterAll(async () => {
	await relay?.close();
	await remove();
});

it("publish → relay → record: every video packet, an unbroken run of audio, bit for bit", async () => {
	const path = "e2e/show.hang";
	const pub = await Moq.Connection.connect(new URL(relay.url), { websocket: { delay: 0 } });
	const sub = await Moq.Connection.connect(new URL(relay.url), { websocket: { delay: 0 } });
	try {
		const producer = new Moq.Broadcast.Producer();
		pub.publish(Moq.Path.from(path), producer);
		// Wait for the announcement so the subscriber starts with the broadcast's first group.
		const announced = sub.announced(Moq.Path.from("e2e"));
		for (;;) {
			const entry = await announced.next();
			if (!entry || entry.active) break;
		}
		const recording = recordBroadcast({ consumer: sub.consume(Moq.Path.from(path)), folder: `${dir}/rec`, broadcast: path, catalogTimeoutMs: 5000 });
		// Hold the first packet until the recorder's subscriptions have reached the publisher.
		await publishFile({ file: source, broadcast: producer, speed: 2, waitForSubscribers: true });
		await new Promise((r) => setTimeout(r, 500)); // let the tail cross the relay
		producer.close();
		const summary = await recording;
		const file = summary.path as string;
		const [src, rec] = await Promise.all([probeStreams(source), probeStreams(file)]);
		expect(rec.map((s) => s.codec)).toEqual(src.map((s) => s.codec));
		// Video: the recorder subscribed before the first packet left, so it has every packet.
		expect(await packetHashes(file, "v")).toEqual(await packetHashes(source, "v"));
		// Audio is one group per frame and a subscription starts at the live edge: frames sent
		// before the subscription (made once the catalog arrived) reached the publisher are not
		// delivered. What arrives must be an unbroken run of the source's packets.
		const [srcAudio, recAudio] = await Promise.all([packetHashes(source, "a"), packetHashes(file, "a")]);
		const start = srcAudio.indexOf(recAudio[0] as string);
		expect(start).toBeGreaterThanOrEqual(0);
		expect(start).toBeLessThanOrEqual(10);
		expect(recAudio).toEqual(srcAudio.slice(start, start + recAudio.length));
		expect(recAudio.length).toBeGreaterThanOrEqual(srcAudio.length - start - 1);
		expect(await decodeErrors(file)).toBe("");
	} finally {
		pub.close();
		sub.close();
	}
});
