/**
 * Waiting for a published broadcast's tail to leave the studio before the broadcast ends.
 *
 * Closing a broadcast unannounces it on every session at once, and an unannounce can overtake
 * the last groups still on their way: the relay then cuts them off. So a publisher first closes
 * its tracks (subscribers see the end), waits here until every session serving the broadcast has
 * finished its subscriptions and sent what its socket queued, and only then ends the broadcast.
 * Used by the CLI `publish` command, Go Live's stop and the engine's file publications.
 */
import type { SessionStats } from "../../../shared/sessions";
import { CATALOG_TRACK } from "../hang/catalog";
import { groupStreamsInFlight } from "../transport/moq-net-delivery";
import { QuietClock } from "../quiet-clock";
import { sleep } from "../sleep";
import type { SessionManager } from "./manager";

/**
 * How long a finished broadcast's tail may make no progress (no subscription or group stream
 * finishing, no byte of it served or leaving a socket) before the broadcast ends regardless.
 */
export const SERVED_DRAIN_TIMEOUT_MS = 6000;
/**
 * However long a tail keeps moving, its broadcast ends after this many stall periods. A fixed 6 s
 * cut the last second of four files published at once on a starved machine (the tail was still
 * moving, slowly: test/media/concurrent-ends.test.ts under eight CPU hogs).
 */
const DRAIN_CAP_STALLS = 10;

/** How often the backlog is polled: the counters it reads have no change events. */
const POLL_MS = 20;

/**
 * Subscriptions to the broadcast at `path` that `sessions` still serve (see `origins/forward.ts`),
 * plus what this process still has in flight for it: group streams being opened or written, and
 * ended subscriptions whose peer has not closed its half yet, i.e. not yet read every group up to
 * the end (see `groupStreamsInFlight`). An unknown or disconnected session serves nothing: nothing
 * more can leave through it.
 */
export function servedSubscriptions(sessions: SessionManager, sessionIds: Iterable<string>, path: string): number {
	// In flight in this process: their subscription may have ended on our side.
	let pending = groupStreamsInFlight(path);
	for (const id of sessionIds) {
		const stats = statsOf(sessions, id);
		pending += stats?.broadcasts.find((b) => b.direction === "publish" && b.path === path)?.subscribers ?? 0;
	}
	return pending;
}

function statsOf(sessions: SessionManager, id: string): SessionStats | undefined {
	try {
		return sessions.stats(id);
	} catch {
		return undefined; // removed meanwhile
	}
}

/** Bytes handed to each session's socket so far, for {@link unsentSince}. */
function handedOut(sessions: SessionManager, sessionIds: Iterable<string>): Map<string, number> {
	const marks = new Map<string, number>();
	for (const id of sessionIds) {
		const stats = statsOf(sessions, id);
		if (stats) marks.set(id, stats.bytesOut);
	}
	return marks;
}

/**
 * Bytes handed to the sockets before `marks` was taken that have not left them yet: a socket
 * is a queue, so once what it sent (`bytesOut - queuedBytes`) reaches the mark, everything
 * handed before the mark is gone. Other broadcasts' later traffic on the same connection does
 * not count, so one busy broadcast cannot hold another's drain to its timeout.
 */
function unsentSince(sessions: SessionManager, marks: Map<string, number>): number {
	let pending = 0;
	for (const [id, mark] of marks) {
		const stats = statsOf(sessions, id);
		if (stats) pending += Math.max(0, mark - (stats.bytesOut - stats.queuedBytes));
	}
	return pending;
}

/**
 * Resolves true once `pending()` has read 0 twice in a row, one poll apart, or false once
 * `progress()` (by default `pending()` itself) has not changed for `stallMs`, at `deadline`
 * (epoch ms), or at once when `signal` aborts. Two readings, because `@moq/net` ends a
 * subscription when its last group is handed to a stream writer, a moment before that writer
 * queues the group's bytes on the socket.
 */
export async function drained(
	pending: () => number,
	stallMs: number,
	signal?: AbortSignal,
	opts: { progress?: () => unknown; deadline?: number } = {},
): Promise<boolean> {
	// No progress counted in running time: a starved process must not call a moving tail stalled.
	const quiet = new QuietClock(opts.progress ?? pending);
	let zeros = 0;
	for (;;) {
		zeros = pending() > 0 ? 0 : zeros + 1;
		if (zeros >= 2) return true;
		if (quiet.read() >= stallMs || (opts.deadline !== undefined && Date.now() >= opts.deadline) || signal?.aborted) return false;
		await sleep(POLL_MS, signal);
	}
}

/** Bytes of the broadcast at `path` the sessions' forwarders have served so far (its tail moving). */
function servedBytes(sessions: SessionManager, sessionIds: Iterable<string>, path: string): number {
	let bytes = 0;
	for (const id of sessionIds) bytes += statsOf(sessions, id)?.broadcasts.find((b) => b.direction === "publish" && b.path === path)?.bytes ?? 0;
	return bytes;
}

/**
 * Waits until the broadcast at `path` owes `sessionIds` nothing: every subscription to it has
 * finished (its tail was handed to the socket), then every byte handed to those sockets up to
 * that moment has left them. False when that made no progress for `stallMs` (a peer that stopped
 * reading), or took longer than {@link DRAIN_CAP_STALLS} of them in all.
 */
export async function drainServed(sessions: SessionManager, sessionIds: () => Iterable<string>, path: string, stallMs = SERVED_DRAIN_TIMEOUT_MS, signal?: AbortSignal): Promise<boolean> {
	const deadline = Date.now() + stallMs * DRAIN_CAP_STALLS;
	const served = () => servedSubscriptions(sessions, sessionIds(), path);
	const progress = () => `${served()}/${servedBytes(sessions, sessionIds(), path)}`;
	if (!(await drained(served, stallMs, signal, { progress, deadline }))) return false;
	const marks = handedOut(sessions, sessionIds());
	return drained(() => unsentSince(sessions, marks), stallMs, signal, { deadline });
}

/**
 * Waits, at most `stallMs` of running time, while the broadcast at `path` has had its catalog
 * served on `sessionIds` but one of its media `tracks` never: someone read the catalog and is
 * about to subscribe. A recorder on a starved machine can be seconds behind a short show; if
 * the publisher ends the broadcast first, the groups it still holds for that recorder are gone.
 * True once every track was asked for (or nobody read the catalog), false on the bound.
 */
export function awaitCatalogReaders(sessions: SessionManager, sessionIds: () => Iterable<string>, path: string, tracks: readonly string[], stallMs = SERVED_DRAIN_TIMEOUT_MS, signal?: AbortSignal): Promise<boolean> {
	const unasked = () => {
		let missing = 0;
		for (const id of sessionIds()) {
			const served = new Set(statsOf(sessions, id)?.broadcasts.find((b) => b.direction === "publish" && b.path === path)?.tracks.map((t) => t.name));
			if (served.has(CATALOG_TRACK)) missing += tracks.filter((t) => !served.has(t)).length;
		}
		return missing;
	};
	return drained(unasked, stallMs, signal);
}

/**
 * Waits until every session that publishes `originId` owes nothing for `path`: the drain of a
 * broadcast published into an origin (Go Live, file publications). True when drained in time.
 */
export function drainOrigin(sessions: SessionManager, originId: string, path: string, stallMs = SERVED_DRAIN_TIMEOUT_MS, signal?: AbortSignal): Promise<boolean> {
	const serving = () =>
		sessions
			.list()
			.filter((s) => s.publishOrigin === originId)
			.map((s) => s.id);
	return drainServed(sessions, serving, path, stallMs, signal);
}
