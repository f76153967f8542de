/**
 * A subscriber that stalls (GC pause, loaded machine) loses no audio group through the relay.
 *
 * The relay opens one stream per group and the subscriber returns a stream's slot only once it
 * has read it, so while it is stalled every group sent holds one; `@moq/net` drops a group whose
 * stream cannot open within 10 s. A studio connection often carries several audio tracks (a
 * recording node recording several broadcasts on one session): with 5 tracks at 50 groups/s and
 * the old limit of 1000 streams, a 16 s stall dropped ~500 groups. The stall stays under QMux's
 * 30 s idle timeout, past which the session itself is closed.
 */
import * as Moq from "@moq/net";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { type MoqConnection, openMoqConnection } from "../../electron/engine/transport/connect";
import { streamSlotDrops } from "../../electron/engine/transport/moq-net-delivery";
import { bundleEntry, spawnNode } from "../media/child-process";
import { startTestRelay } from "../helpers/relay";
import { quietLibraryLogs } from "./clients";

quietLibraryLogs();

const TRACKS = Number(process.env.SLOT_TRACKS ?? 5);
const GROUPS_PER_S = 50;
const STALL_MS = Number(process.env.SLOT_STALL_MS ?? 16_000);
/** Groups of `audio0` before the subscriber stalls, and how long publishing goes on after it. */
const BEFORE_STALL = 25;
const AFTER_STALL_MS = 1500;

let relay: RelayHandle;
let child: string;
beforeAll(async () => {
	[relay, child] = await Promise.all([startTestRelay(), bundleEntry("test/relay/fixtures/slow-subscriber.ts")]);
});
afterAll(async () => {
	await relay?.close();
});

it(`a subscriber stalled for ${STALL_MS} ms receives every group of ${TRACKS} audio tracks at 50 groups/s afterwards`, { timeout: 120_000 }, async () => {
	const pub: MoqConnection = await openMoqConnection(new URL(relay.url), { transport: "websocket", timeoutMs: 5000 });
	const dropsBefore = streamSlotDrops();
	try {
		const broadcast = new Moq.Broadcast.Producer();
		// hang's audio tracks: priority 80, 30 s kept for late readers.
		const tracks = Array.from({ length: TRACKS }, (_, i) => broadcast.createTrack(`audio${i}`, { priority: 80, latencyMax: 30_000 }));
		pub.established.publish(Moq.Path.from("slots/show.hang"), broadcast);
		const sub = spawnNode(child, [relay.url, "slots/show.hang", String(TRACKS), String(BEFORE_STALL), String(STALL_MS)]);
		const exited = new Promise<number | null>((resolve) => sub.on("exit", resolve));
		// Publish only once every subscription has reached the publisher through the relay.
		while (!tracks.every((t) => t.used.peek())) await new Promise((r) => setTimeout(r, 10));
		// One single-frame group per 20 ms of elapsed time and track, so a late timer keeps the rate.
		const payload = new Uint8Array(160).fill(1);
		const started = performance.now();
		let written = 0;
		let stalledAt: number | undefined;
		for (;;) {
			const due = Math.floor(((performance.now() - started) * GROUPS_PER_S) / 1000);
			for (; written < due; written++) {
				for (const track of tracks) {
					const group = track.appendGroup();
					group.writeFrame({ payload, timestamp: Moq.Time.Timestamp.fromMicros(written * 20_000) });
					group.close();
				}
			}
			if (stalledAt === undefined && sub.output.stderr.includes("stalling")) stalledAt = performance.now();
			if (stalledAt !== undefined && performance.now() - stalledAt > STALL_MS + AFTER_STALL_MS) break;
			await new Promise((r) => setTimeout(r, 10));
		}
		for (const track of tracks) track.close();
		expect(await exited).toBe(0);
		const received = JSON.parse(sub.output.stdout.trim()) as Record<string, { sequences: number[]; error?: string }>;
		const report: Record<string, { missing: number; duplicates: number; error?: string }> = {};
		for (const track of tracks) {
			const { sequences, error } = received[track.name] ?? { sequences: [] };
			const seen = new Set(sequences);
			let missing = 0;
			// Every group from the first one received to the last one written, each once.
			for (let s = sequences[0] ?? 0; s < written; s++) if (!seen.has(s)) missing++;
			report[track.name] = { missing, duplicates: sequences.length - seen.size, ...(error ? { error } : {}) };
		}
		expect(report).toEqual(Object.fromEntries(tracks.map((t) => [t.name, { missing: 0, duplicates: 0 }])));
		expect(streamSlotDrops() - dropsBefore).toBe(0);
	} finally {
		pub.close();
	}
});
