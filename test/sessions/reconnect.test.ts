import * as Moq from "@moq/net";
import { afterEach, describe, expect, it } from "vitest";
import { startRelay, type RelayHandle } from "../../electron/engine/relay";
import { connect, quietLibraryLogs, until, within } from "../relay/clients";
import { startTestRelay } from "../helpers/relay";
import { localBroadcast, makeStudio, readFrames, waitAnnounced } from "./harness";

quietLibraryLogs();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

function track<T extends { close(): Promise<void> | void }>(thing: T): T {
	cleanups.push(() => thing.close());
	return thing;
}

describe("session reconnect (libmoq status contract)", () => {
	it("reports epoch 1, re-announces after the relay restarts on the same port with epoch 2, and 0 once on close", async () => {
		let relay: RelayHandle = await startTestRelay();
		const port = relay.port;
		cleanups.push(() => relay.close());
		const { studio, statuses, waitStatus } = makeStudio();
		track(studio);
		const origin = studio.origins.create("show");
		const live = localBroadcast("live/cam");
		cleanups.push(() => live.stop());
		studio.origins.addBroadcast(origin.id, live.broadcast);

		const id = studio.sessions.connect({ url: relay.url, publishOrigin: origin.id, backoff: { initial: 100, max: 500 } });
		await waitStatus(id, 1);
		expect(studio.sessions.get(id)).toMatchObject({ phase: "connected", epoch: 1, transport: "websocket" });

		// An independent @moq/net subscriber receives the studio's frames.
		const sub1 = await connect(relay.url);
		await waitAnnounced(sub1, "live/cam");
		const frames1 = await within(readFrames(sub1.consume(Moq.Path.from("live/cam")), "video", 3), 10_000, "frames before restart");
		expect(frames1).toHaveLength(3);
		sub1.close();

		await relay.close();
		await until(() => studio.sessions.get(id).phase === "backoff", 10_000, "backoff after the relay died");
		expect(studio.sessions.get(id).lastError?.message).toMatch(/refused|dropped|closed/);

		relay = await startRelay({ host: "127.0.0.1", port });
		await waitStatus(id, 2);
		expect(studio.sessions.get(id)).toMatchObject({ phase: "connected", epoch: 2, reconnects: 1 });

		const sub2 = await connect(relay.url);
		// Subscribing before the re-announcement reaches the relay would be reset: wait for it.
		await waitAnnounced(sub2, "live/cam");
		const frames2 = await within(readFrames(sub2.consume(Moq.Path.from("live/cam")), "video", 3), 10_000, "frames after restart");
		expect(frames2).toHaveLength(3);
		sub2.close();

		await studio.sessions.close(id);
		await studio.sessions.close(id);
		expect(statuses(id)).toEqual([1, 2, 0]);
		expect(studio.sessions.get(id).phase).toBe("closed");
	});

	it("gives up after its timeout with exactly one negative status and nothing after", async () => {
		const relay = await startTestRelay();
		const url = relay.url;
		await relay.close(); // nothing listens there now
		const { studio, statuses } = makeStudio();
		track(studio);
		const id = studio.sessions.connect({ url, backoff: { initial: 50, multiplier: 2, max: 200, timeout: 800 } });
		await until(() => studio.sessions.get(id).phase === "failed", 10_000, "give-up");
		await new Promise((r) => setTimeout(r, 300));
		await studio.sessions.close(id);
		const codes = statuses(id);
		expect(codes).toHaveLength(1);
		expect(codes[0]).toBeLessThan(0);
		expect(studio.sessions.get(id).lastError?.message).toMatch(/connection refused/);
	});

	it("resumes a consumer at the next group after a reconnect", async () => {
		let relay: RelayHandle = await startTestRelay();
		const port = relay.port;
		cleanups.push(() => relay.close());
		const { studio, waitStatus } = makeStudio();
		track(studio);
		const watched = studio.origins.create("watched");
		const id = studio.sessions.connect({ url: relay.url, consumeOrigin: watched.id, backoff: { initial: 100, max: 300 } });
		await waitStatus(id, 1);

		// The publisher is another engine with a long-lived broadcast (a group every 5 frames): its
		// session reconnects by itself and its group sequence keeps counting across connections,
		// and it retains recent groups, so an old group would be there to be replayed.
		const publisher = makeStudio();
		track(publisher.studio);
		const show = publisher.studio.origins.create("show");
		const live = localBroadcast("remote/cam");
		cleanups.push(() => live.stop());
		publisher.studio.origins.addBroadcast(show.id, live.broadcast);
		const pubId = publisher.studio.sessions.connect({ url: relay.url, publishOrigin: show.id, backoff: { initial: 100, max: 300 } });
		await publisher.waitStatus(pubId, 1);

		await until(() => studio.origins.broadcast(watched.id, "remote/cam") !== undefined, 10_000, "announcement");
		const first = studio.origins.broadcast(watched.id, "remote/cam")!;
		const before = await within(readGroups(first.consume(), "video", 2), 10_000, "frames");
		expect(before).toHaveLength(2);
		const lastBefore = Math.max(...before.map((f) => f.group));
		const frameNumber = (text: string) => Number(text.replace("frame-", ""));
		const lastFrameBefore = Math.max(...before.map((f) => frameNumber(f.text)));

		await relay.close();
		await until(() => studio.origins.broadcast(watched.id, "remote/cam") === undefined, 10_000, "unannounce on disconnect");
		relay = await startRelay({ host: "127.0.0.1", port });
		await Promise.all([waitStatus(id, 2), publisher.waitStatus(pubId, 2)]);
		await until(() => studio.origins.broadcast(watched.id, "remote/cam") !== undefined, 10_000, "re-announcement");
		const again = studio.origins.broadcast(watched.id, "remote/cam")!;
		const after = await within(readGroups(again.consume(), "video", 2), 10_000, "frames after reconnect");
		expect(after).toHaveLength(2);
		// The same track goes on where it left: newer groups and newer frames, not a replay of
		// what was already seen.
		expect(after[0]!.group).toBeGreaterThan(lastBefore);
		expect(after[1]!.group).toBeGreaterThanOrEqual(after[0]!.group);
		expect(frameNumber(after[0]!.text)).toBeGreaterThan(lastFrameBefore);
	});
});

/** Reads `count` frames of `track` with the sequence of the group each came in. */
async function readGroups(consumer: Moq.Broadcast.Consumer, track: string, count: number): Promise<{ group: number; text: string }[]> {
	const sub = consumer.subscribe(track);
	const out: { group: number; text: string }[] = [];
	try {
		while (out.length < count) {
			const frame = await sub.readFrameSequence();
			if (!frame) break;
			out.push({ group: frame.group, text: new TextDecoder().decode(frame.payload) });
		}
	} finally {
		sub.close();
	}
	return out;
}
