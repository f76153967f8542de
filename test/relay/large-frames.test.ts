/**
 * Frames of every size cross the relay intact with large reads gathered in one chunk
 * (transport/moq-net-reader.ts): sizes around the gathering threshold, several MiB, and a mix in
 * one group, over moq-lite (QUIC varints) and an IETF draft (leading-ones varints from draft 17).
 */
import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { paceGroup } from "../../electron/engine/transport/moq-net-backpressure";
import { COALESCE_MIN_BYTES, moqNetReader } from "../../electron/engine/transport/moq-net-reader";
import { connect, publish, quietLibraryLogs, relayFixture, until, watchAnnounced } from "./clients";

quietLibraryLogs();

const SIZES = [1, 63, 64, 1000, COALESCE_MIN_BYTES - 1, COALESCE_MIN_BYTES, COALESCE_MIN_BYTES + 1, 300_000, (1 << 20) + 7, 5 * (1 << 20) + 3];

/** A payload whose every byte depends on its frame index and offset, so any misplaced byte shows. */
function payload(index: number, size: number): Uint8Array {
	const out = new Uint8Array(size);
	for (let i = 0; i < size; i++) out[i] = (index * 31 + i * 7) & 0xff;
	return out;
}

function intact(index: number, bytes: Uint8Array): boolean {
	for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] !== ((index * 31 + i * 7) & 0xff)) return false;
	return true;
}

describe("large frames through the relay", () => {
	const fx = relayFixture();

	it("the reader workaround is active", () => {
		expect(moqNetReader.coalescedReads).toBe(true);
	});

	for (const protocol of [undefined, "moqt-17"]) {
		it(`frames of ${SIZES.length} sizes, in one group and one per group, arrive intact (${protocol ?? "moq-lite"})`, { timeout: 120_000 }, async () => {
			const relay = await fx.start();
			const pub = await fx.client();
			const sub = await connect(relay.url, protocol ? { protocol } : {});
			fx.conns.push(sub);
			const { track } = publish(pub, "big/mixed", ["t"]);
			const seen = watchAnnounced(sub, "big");
			await until(() => seen.active.has("mixed"), 5000, "the announcement");
			const subscription = sub.consume(Moq.Path.from("big/mixed")).subscribe("t", { startGroup: 0 });
			const got = new Map<number, boolean>();
			const reading = (async () => {
				const reads: Promise<void>[] = [];
				for (let g = await subscription.recvGroup(); g; g = await subscription.recvGroup()) {
					const group = g;
					reads.push(
						(async () => {
							let n = 0;
							for (let f = await group.readFrame(); f; f = await group.readFrame(), n++) {
								const index = group.sequence === 0 ? n : group.sequence - 1 + SIZES.length;
								got.set(index, f.payload.byteLength === SIZES[index % SIZES.length] && intact(index, f.payload));
							}
						})(),
					);
				}
				await Promise.all(reads);
			})();
			await until(() => track("t").used.peek(), 5000, "the relay's upstream subscription");
			// Group 0 holds every size in turn; groups 1.. hold one frame each.
			const first = new Moq.Group.Producer(0);
			const pacer = paceGroup(first);
			track("t").writeGroup(first);
			for (const [i, size] of SIZES.entries()) {
				await pacer.room(size);
				first.writeFrame({ payload: payload(i, size), timestamp: Moq.Time.Timestamp.now() });
			}
			first.close();
			for (const [i, size] of SIZES.entries()) {
				const group = new Moq.Group.Producer(i + 1);
				track("t").writeGroup(group);
				group.writeFrame({ payload: payload(i + SIZES.length, size), timestamp: Moq.Time.Timestamp.now() });
				group.close();
			}
			// Counted as they arrive: the IETF drafts' end of track is not what this is about.
			await until(() => got.size === 2 * SIZES.length, 60_000, "every frame");
			track("t").close();
			void reading.catch(() => {});
			seen.close();
			expect([...got.entries()].filter(([, ok]) => !ok).map(([i]) => i)).toEqual([]);
			expect(got.size).toBe(2 * SIZES.length);
		});
	}
});
