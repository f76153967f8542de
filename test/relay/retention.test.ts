/**
 * Issue 18 in seconds rather than minutes: publisher → relay → subscriber in one process (real
 * relay on 127.0.0.1, real QMux connections), thousands of one-frame groups like an Opus track,
 * and the heap after a full GC must not grow with the number of groups served.
 *
 * Before the fix @moq/net kept every served group's stream writer and group state reachable from
 * long-lived subscription promises (see electron/engine/transport/moq-net-leaks.ts): ~7 kB per
 * group and hop. The soak (test/media/long-show.test.ts) shows the same with the real CLI.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as Moq from "@moq/net";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { startTestRelay } from "../helpers/relay";
import { connect, quietLibraryLogs, until } from "./clients";

quietLibraryLogs();
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function heapAfterGc(): Promise<number> {
	await new Promise((r) => setTimeout(r, 50));
	gc();
	gc();
	return process.memoryUsage().heapUsed;
}

let relay: RelayHandle;
beforeAll(async () => {
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
});

it("serving thousands of groups through the relay retains nothing per group", async () => {
	const pubConn = await connect(relay.url);
	const subConn = await connect(relay.url);
	try {
		const broadcast = new Moq.Broadcast.Producer();
		// A short cache window (1 s of media, 50 groups), so what the caches legitimately hold is the
		// same before and after; shorter, a loaded machine (another test file on the other core)
		// lets groups expire before a lagging subscriber reads them, and the count check fails.
		const track = broadcast.createTrack("audio", { latencyMax: 1000, timescale: Moq.Time.Timescale.MICRO });
		pubConn.publish(Moq.Path.from("retention/show.hang"), broadcast);
		const announced = subConn.announced(Moq.Path.from("retention"));
		for (let entry = await announced.next(); entry && !entry.active; entry = await announced.next());
		const sub = subConn.consume(Moq.Path.from("retention/show.hang")).subscribe("audio", {});
		let received = 0;
		const reading = (async () => {
			for (let group = await sub.recvGroup(); group; group = await sub.recvGroup()) {
				while (await group.readFrame()) received++;
				group.close();
			}
		})().catch(() => undefined);

		let sent = 0;
		const write = () => {
			track.writeFrame({ payload: new Uint8Array(160).fill(sent & 0xff), timestamp: Moq.Time.Timestamp.fromMicros(sent * 20_000) });
			sent++;
		};
		// Groups written before the subscription reached the publisher are not delivered (live edge).
		while (received === 0) {
			write();
			await new Promise((r) => setTimeout(r, 20));
		}
		const lost = sent - received;
		const send = async (groups: number) => {
			for (let i = 0; i < groups; i++) {
				write();
				// Let the groups cross both hops as they go, like a paced source.
				if (sent % 50 === 0) await until(() => received >= sent - lost - 100, 10_000, `group ${sent - 100} at the subscriber`);
			}
			await until(() => received >= sent - lost, 10_000, "the last groups at the subscriber");
		};

		await send(2000); // warm-up: connections, JIT, caches at their steady size
		// Two equal stretches, each measured after a full GC: a leak grows the heap in both, while
		// the heap after GC also jumps by several MB either way between measurements (a single
		// stretch of 20,000 groups read from -350 to +776 B a group with nothing retained). The
		// smaller of the two growths is what every group surely kept.
		const GROUPS = 10_000;
		const before = await heapAfterGc();
		await send(GROUPS);
		const middle = await heapAfterGc();
		await send(GROUPS);
		const after = await heapAfterGc();
		const perGroup = Math.min(middle - before, after - middle) / GROUPS;
		const mb = (n: number) => (n / 2 ** 20).toFixed(2);
		process.stdout.write(`heap after GC: ${mb(before)} MB -> ${mb(middle)} MB -> ${mb(after)} MB over 2 x ${GROUPS} groups (${perGroup.toFixed(0)} B/group in the smaller growth)\n`);
		expect(received).toBe(sent - lost);
		// Before the fix: ~14 kB a group (two hops; ~1.5 kB with only the Writer.tryOpen part
		// reverted), which grows both stretches alike.
		expect(perGroup).toBeLessThan(500);

		sub.close();
		track.close();
		broadcast.close();
		await reading;
	} finally {
		pubConn.close();
		subConn.close();
	}
}, 120_000);
