/**
 * The relay's slow-subscriber rule (`SLOW_READER_HOLD_MS` in relay/relay-track.ts, applied by
 * `GroupPacer.room` in transport/moq-net-backpressure.ts): the relay copies a group's frames only
 * as fast as every subscriber takes them (so no frame is evicted unread), but a subscriber that
 * holds the copy back while another has caught up is cut from that group once it has done so for
 * the hold time: its stream of that group is reset and it goes on with the next group.
 *
 * One publisher sends a group far larger than what the transports buffer (so a subscriber that
 * reads slowly really holds the relay back), then a small group. Beside a subscriber that reads
 * normally, another keeps reading but slowly (a few frames a second, so it never counts as
 * stalled: only the hold rule can cut it), or, in the second case, stops reading after one frame. The normal one must get every frame of both groups
 * intact while the slow one is still in its first group; the slow one must be told (its group
 * ends with an error, not as if complete), skip the rest of that group only, and get the next
 * group whole. No wall-clock time is asserted: without the rule the normal subscriber would be
 * paced at the slow one's few frames a second and would not finish first.
 */
import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { SLOW_READER_HOLD_MS } from "../../electron/engine/relay/relay-track";
import { openMoqConnection } from "../../electron/engine/transport/connect";
import { PACE_MAX_BYTES, paceGroup, READER_STALL_MS } from "../../electron/engine/transport/moq-net-backpressure";
import { publish, quietLibraryLogs, relayFixture, until, watchAnnounced } from "./clients";

quietLibraryLogs();

const FRAME_BYTES = 256 * 1024;
/** Group 0: 48 MiB, twice the relay's pacing allowance, so transport buffers cannot absorb it. */
const BIG_FRAMES = Math.ceil((2 * PACE_MAX_BYTES) / FRAME_BYTES);
const SMALL_FRAMES = 4;
/** The slow subscriber's pace: well inside READER_STALL_MS per frame, far below the link. */
const SLOW_FRAME_MS = 200;

function payload(group: number, index: number): Uint8Array {
	const out = new Uint8Array(FRAME_BYTES);
	const view = new DataView(out.buffer);
	view.setUint32(0, group);
	view.setUint32(4, index);
	out.fill((group * 131 + index) & 0xff, 8);
	return out;
}

function intact(group: number, index: number, bytes: Uint8Array): boolean {
	if (bytes.byteLength !== FRAME_BYTES) return false;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (view.getUint32(0) !== group || view.getUint32(4) !== index) return false;
	const fill = (group * 131 + index) & 0xff;
	return bytes[8] === fill && bytes[FRAME_BYTES - 1] === fill;
}

/** What one subscriber got: intact frames per relay group sequence, and how each group ended. */
interface Log {
	frames: Map<number, number>;
	ended: Map<number, "complete" | string>;
	broken: number;
	/** Pause after each frame read (ms), or -1 to stop reading until set back; the test lifts it once the rule has been checked. */
	delayMs: number;
}

function readTrack(sub: Moq.Track.Subscriber, delayMs: number): Log {
	const log: Log = { frames: new Map(), ended: new Map(), broken: 0, delayMs };
	void (async () => {
		// One group at a time, in order, as a player reads: the slow one is still in group 0 when group 1 arrives.
		for (let g = await sub.recvGroup(); g; g = await sub.recvGroup()) {
			const seq = g.sequence;
			log.frames.set(seq, 0);
			try {
				for (let f = await g.readFrame(); f; f = await g.readFrame()) {
					const n = log.frames.get(seq) ?? 0;
					// The publisher's group index is in the payload; the relay keeps the sequence.
					if (intact(seq, n, f.payload)) log.frames.set(seq, n + 1);
					else log.broken++;
					while (log.delayMs < 0) await new Promise((r) => setTimeout(r, 20));
					if (log.delayMs > 0) await new Promise((r) => setTimeout(r, log.delayMs));
				}
				log.ended.set(seq, "complete");
			} catch (err) {
				log.ended.set(seq, err instanceof Error ? err.message : String(err));
			}
		}
	})().catch(() => {});
	return log;
}

describe("a slow subscriber beside a normal one", () => {
	const fx = relayFixture();

	/** `slowDelayMs`: the slow subscriber's pause after each frame, -1 for one that stops reading. */
	async function scenario(slowDelayMs: number): Promise<void> {
		expect(SLOW_READER_HOLD_MS).toBeLessThan(READER_STALL_MS);
		const relay = await fx.start();
		const pub = await fx.client();
		const { track } = publish(pub, "slow/show", ["video"]);
		const subscribe = async () => {
			const conn = await openMoqConnection(new URL(relay.url), { transport: "websocket", timeoutMs: 10_000 });
			fx.conns.push(conn.established);
			const seen = watchAnnounced(conn.established, "slow");
			await until(() => seen.active.has("show"), 5000, "the announcement");
			return conn.established.consume(Moq.Path.from("slow/show")).subscribe("video", { startGroup: 0 });
		};
		const normal = readTrack(await subscribe(), 0);
		const slow = readTrack(await subscribe(), slowDelayMs);
		await until(() => track("video").used.peek(), 5000, "the relay's upstream subscription");

		const write = async (sequence: number, frames: number) => {
			const group = new Moq.Group.Producer(sequence);
			// The publisher's own library handle evicts unread frames too: pace it on its reader.
			const pacer = paceGroup(group);
			track("video").writeGroup(group);
			for (let i = 0; i < frames; i++) {
				await pacer.room(FRAME_BYTES);
				group.writeFrame({ payload: payload(sequence, i), timestamp: Moq.Time.Timestamp.now() });
			}
			group.close();
		};
		await write(0, BIG_FRAMES);
		await write(1, SMALL_FRAMES);

		await until(() => normal.ended.get(1) === "complete", 90_000, "the normal subscriber to get both groups");
		// The normal subscriber got everything, intact, while the slow one was still in group 0.
		expect({ frames: [...normal.frames], ended: [...normal.ended], broken: normal.broken }, `slow one at ${slow.frames.get(0)} frames`).toEqual({
			frames: [
				[0, BIG_FRAMES],
				[1, SMALL_FRAMES],
			],
			ended: [
				[0, "complete"],
				[1, "complete"],
			],
			broken: 0,
		});
		const slowRead = slow.frames.get(0) ?? 0;
		expect(slowRead).toBeLessThan(BIG_FRAMES / 2);
		expect(relay.stats().readersCut).toBe(1);
		slow.delayMs = 0;

		// The slow one is told: group 0 ends with an error, not as a complete group; it then gets group 1 whole.
		await until(() => slow.ended.get(1) !== undefined, 60_000, "the slow subscriber to reach group 1");
		const ended0 = slow.ended.get(0);
		expect(ended0).toBeDefined();
		expect(ended0).not.toBe("complete");
		expect(slow.frames.get(0)).toBeLessThan(BIG_FRAMES);
		expect({ frames: slow.frames.get(1), ended: slow.ended.get(1), broken: slow.broken }).toEqual({ frames: SMALL_FRAMES, ended: "complete", broken: 0 });
		process.stdout.write(`slow subscriber: ${slow.frames.get(0)}/${BIG_FRAMES} frames of group 0, then "${ended0}"` + "\n");
		track("video").close();
	}

	it("one that reads slowly is cut from the group it holds back and told so; the normal one loses nothing", { timeout: 120_000 }, () => scenario(SLOW_FRAME_MS));

	it("one that stops reading is cut from the group it holds back and told so; the normal one loses nothing", { timeout: 120_000 }, () => scenario(-1));
});
