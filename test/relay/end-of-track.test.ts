/**
 * Whatever the relay accepted reaches every subscriber that was subscribed, before the track (or
 * the broadcast) ends downstream: large frames sent as fast as flow control allows, a track ended
 * while its publisher stays connected, an unannounce with groups in flight, and a slow subscriber
 * beside fast ones (the slow one may skip whole groups; the fast ones lose nothing).
 *
 * The publisher paces each group on its readers (`paceGroup`), which is "as fast as flow control
 * allows" for a publisher that must not overrun the library's per-group cache (32 MiB).
 */
import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { paceGroup } from "../../electron/engine/transport/moq-net-backpressure";
import { publish, quietLibraryLogs, relayFixture, until, watchAnnounced } from "./clients";

quietLibraryLogs();

const MB = 1024 * 1024;

/** One frame whose first bytes name its group and index, so a reader can tell what it lost. */
function frame(group: number, index: number, bytes: number): Moq.Group.Frame {
	const payload = new Uint8Array(bytes);
	new DataView(payload.buffer).setUint32(0, group);
	new DataView(payload.buffer).setUint32(4, index);
	payload.fill(index & 0xff, 8);
	return { payload, timestamp: Moq.Time.Timestamp.now() };
}

interface Received {
	/** Complete frames per group sequence, in the order read. */
	groups: Map<number, number[]>;
	/** How the track ended: "end" (clean), or the error's message. */
	ending: string;
	/** Frames whose bytes were not what the publisher wrote. */
	corrupt: number;
}

/** Reads a subscribed track to its end, every group concurrently; `delayMs` per frame simulates a slow reader. */
async function drain(track: Moq.Track.Subscriber, delayMs = 0): Promise<Received> {
	const groups = new Map<number, number[]>();
	const reads: Promise<void>[] = [];
	let corrupt = 0;
	let ending = "end";
	try {
		for (let group = await track.recvGroup(); group; group = await track.recvGroup()) {
			const g = group;
			const got: number[] = [];
			groups.set(g.sequence, got);
			reads.push(
				(async () => {
					try {
						for (let f = await g.readFrame(); f; f = await g.readFrame()) {
							const view = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength);
							const index = view.getUint32(4);
							if (view.getUint32(0) !== g.sequence || f.payload[f.payload.byteLength - 1] !== (index & 0xff)) corrupt++;
							got.push(index);
							if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
						}
					} catch {
						// a reset group: keep what arrived
					}
				})(),
			);
		}
	} catch (err) {
		ending = err instanceof Error ? err.message : String(err);
	}
	await Promise.all(reads);
	return { groups, ending, corrupt };
}

const count = (r: Received) => [...r.groups.values()].reduce((n, g) => n + g.length, 0);

/**
 * Writes `groups` x `frames` frames of `bytes` as fast as flow control allows: each group is paced
 * on its readers (the publisher's wire subscription), so the library never evicts a frame unread.
 */
async function writePaced(track: Moq.Track.Producer, shape: { groups: number; frames: number; bytes: number }, first = 0): Promise<void> {
	for (let g = first; g < first + shape.groups; g++) {
		const group = new Moq.Group.Producer(g);
		const pacer = paceGroup(group);
		track.writeGroup(group);
		for (let i = 0; i < shape.frames; i++) {
			await pacer.room(shape.bytes);
			group.writeFrame(frame(group.sequence, i, shape.bytes));
		}
		group.close();
	}
}

describe("end of track through the relay", () => {
	const fx = relayFixture();

	for (const shape of [
		{ groups: 1, frames: 100, bytes: MB },
		{ groups: 10, frames: 10, bytes: MB },
	]) {
		it(`${shape.groups} group(s) of ${shape.frames} x 1 MB, track ended, publisher stays connected: every frame arrives before the end`, { timeout: 120_000 }, async () => {
			await fx.start();
			const [pub, sub] = [await fx.client(), await fx.client()];
			const { track } = publish(pub, "eot/big", ["t"]);
			const seen = watchAnnounced(sub, "eot");
			await until(() => seen.active.has("big"), 5000, "the announcement");
			const reading = drain(sub.consume(Moq.Path.from("eot/big")).subscribe("t", { startGroup: 0 }));
			await until(() => track("t").used.peek(), 5000, "the relay's upstream subscription");
			await writePaced(track("t"), shape);
			// End the track; the publisher's connection stays open (fx closes it after the test).
			track("t").close();
			const got = await reading;
			seen.close();
			expect({ frames: count(got), ending: got.ending, corrupt: got.corrupt }).toEqual({
				frames: shape.groups * shape.frames,
				ending: "end",
				corrupt: 0,
			});
		});
	}

	it("unannounce with groups in flight: every subscriber gets every group before the broadcast ends", { timeout: 120_000 }, async () => {
		await fx.start();
		const pub = await fx.client();
		const subs = [await fx.client(), await fx.client()];
		const { broadcast, track } = publish(pub, "eot/unannounce", ["t"]);
		const watches = subs.map((s) => watchAnnounced(s, "eot"));
		await until(() => watches.every((w) => w.active.has("unannounce")), 5000, "the announcements");
		const readings = subs.map((s) => drain(s.consume(Moq.Path.from("eot/unannounce")).subscribe("t", { startGroup: 0 })));
		await until(() => track("t").used.peek(), 5000, "the relay's upstream subscription");
		const shape = { groups: 20, frames: 4, bytes: 512 * 1024 };
		await writePaced(track("t"), shape);
		// Unannounce at once, without ending the track: its groups are still on the wire.
		broadcast.close();
		const got = await Promise.all(readings);
		for (const w of watches) w.close();
		for (const r of got) expect({ frames: count(r), corrupt: r.corrupt }).toEqual({ frames: shape.groups * shape.frames, corrupt: 0 });
		// And the broadcast did end downstream.
		await until(() => watches.every((w) => !w.active.has("unannounce")), 10_000, "the unannounce downstream");
	});

	it("a slow subscriber beside fast ones: the fast ones lose nothing and finish first, the slow one gets a clean prefix", { timeout: 120_000 }, async () => {
		await fx.start();
		const pub = await fx.client();
		const fast = [await fx.client(), await fx.client()];
		const slow = await fx.client();
		const { track } = publish(pub, "eot/slow", ["t"]);
		const watches = [...fast, slow].map((s) => watchAnnounced(s, "eot"));
		await until(() => watches.every((w) => w.active.has("slow")), 5000, "the announcements");
		const finished: string[] = [];
		const fastReads = fast.map((s, i) =>
			drain(s.consume(Moq.Path.from("eot/slow")).subscribe("t", { startGroup: 0 })).finally(() => finished.push(`fast${i}`)),
		);
		// Reads 1 MB every 300 ms: far behind the others after a few frames.
		const slowRead = drain(slow.consume(Moq.Path.from("eot/slow")).subscribe("t", { startGroup: 0 }), 300).finally(() =>
			finished.push("slow"),
		);
		await until(() => track("t").used.peek(), 5000, "the relay's upstream subscription");
		// One group well past the pacing limit (PACE_MAX_BYTES) beyond what the slow one's link buffers.
		const shape = { groups: 1, frames: 60, bytes: MB };
		await writePaced(track("t"), shape);
		track("t").close();
		for (const r of await Promise.all(fastReads)) {
			expect({ frames: count(r), ending: r.ending, corrupt: r.corrupt }).toEqual({ frames: shape.groups * shape.frames, ending: "end", corrupt: 0 });
		}
		const s = await slowRead;
		// The slow reader did not hold the fast ones back: they were done before it.
		expect(finished).toHaveLength(3);
		expect(finished.at(-1)).toBe("slow");
		for (const w of watches) w.close();
		// What the slow one got is a clean prefix of the group: no hole, nothing corrupt.
		for (const [seq, frames] of s.groups) expect(frames, `slow group ${seq}`).toEqual([...frames.keys()]);
		expect(s.corrupt).toBe(0);
	});
});
