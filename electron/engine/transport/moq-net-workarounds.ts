/**
 * The one entry for every workaround of `@moq/net` 0.3.4 behaviour the studio depends on; import
 * it (for its side effects) before a session or the relay uses the library. Each module it loads
 * says what it patches, why, and how to tell when upstream no longer needs it:
 * - `moq-net-leaks.ts`: per-group and per-frame `Promise.race` against subscription-lifetime
 *   promises retained every group ever served (issue 18's unbounded memory);
 * - `moq-net-delivery.ts`: a track's end overtaking its last groups, a subscription's start
 *   pinned to the first group served, and silent "no stream slot" drops;
 * - `moq-net-backpressure.ts`: a large group's unread frames evicted (`Lagged`) because no writer
 *   waits for its readers (the wire subscriber and the relay now do);
 * - `moq-net-reader.ts`: a large frame read in quadratic time (`Reader#fill` copies its whole
 *   buffer per chunk), the single-stream throughput ceiling;
 * - `moq-net-writer.ts`: every varint sent as its own transport write (three QMux frames,
 *   WebSocket messages and syscalls per media frame per subscriber);
 * - `moq-net-announce.ts`: a broadcast published while an announce interest was being answered
 *   never announced to that peer (a relay restart left a broadcast invisible);
 * - `moq-net-initial-announce.ts`: the peer's initial set of announcements, which the protocol
 *   marks and the library drops, so a waiting recorder knows a new broadcast from a running one.
 * They install only on the exact version they were written against (moq-net-version.ts); on any
 * other, this warns once on stderr, because the leak and the cut tails would silently return.
 */
import { moqNetAnnounce } from "./moq-net-announce";
import { moqNetInitialAnnounce } from "./moq-net-initial-announce";
import { moqNetBackpressure } from "./moq-net-backpressure";
import { moqNetDeliveryWorkarounds } from "./moq-net-delivery";
import { moqNetWorkarounds } from "./moq-net-leaks";
import { DISABLE_ENV, moqNetReader } from "./moq-net-reader";
import { moqNetVersion, PATCHED_MOQ_NET_VERSION } from "./moq-net-version";
import { DISABLE_ENV as NO_BATCHED_WRITES_ENV, moqNetWriter } from "./moq-net-writer";

/** Every workaround and whether it is active in this process. */
export const activeMoqNetWorkarounds: Readonly<Record<string, boolean>> = {
	...moqNetWorkarounds,
	...moqNetDeliveryWorkarounds,
	...moqNetBackpressure,
	...moqNetReader,
	...moqNetAnnounce,
	...moqNetInitialAnnounce,
	...moqNetWriter,
};

const inactive = Object.entries(activeMoqNetWorkarounds)
	// Switched off on purpose (a benchmark's baseline): not a version mismatch.
	.filter(
		([name, on]) =>
			!on && !(name === "coalescedReads" && process.env[DISABLE_ENV] === "1") && !(name === "batchedWrites" && process.env[NO_BATCHED_WRITES_ENV] === "1"),
	)
	.map(([name]) => name);
if (inactive.length > 0) {
	console.warn(
		`moq-studio: @moq/net ${moqNetVersion() ?? "(not found)"} is not ${PATCHED_MOQ_NET_VERSION}: workarounds off (${inactive.join(", ")}); long shows may leak memory and cut track ends`,
	);
}
