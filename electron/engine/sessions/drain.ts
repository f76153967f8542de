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
import type { SessionManager } from "./manager";

/** How long a finished broadcast waits for its tail to drain before it ends regardless. */
export const SERVED_DRAIN_TIMEOUT_MS = 6000;

/** How often the backlog is polled: the counters it reads have no change events. */
const POLL_MS = 20;

/**
 * What `sessions` still owe the network for the broadcast at `path`: the subscriptions to it
 * still being served (a served track stays one until the peer has read its end, see
 * `origins/forward.ts`) plus the bytes queued on each session's socket. 0 means drained. An
 * unknown or disconnected session owes nothing: nothing more can leave through it.
 */
export function servedBacklog(sessions: SessionManager, sessionIds: Iterable<string>, path: string): number {
	let pending = 0;
	for (const id of sessionIds) {
		let stats: SessionStats;
		try {
			stats = sessions.stats(id);
		} catch {
			continue; // removed meanwhile
		}
		const served = stats.broadcasts.find((b) => b.direction === "publish" && b.path === path);
		pending += (served?.subscribers ?? 0) + stats.queuedBytes;
	}
	return pending;
}

/**
 * Resolves true once `pending()` has read 0 twice in a row, one poll apart, or false after
 * `timeoutMs` (or at once when `signal` aborts). Two readings, because `@moq/net` ends a
 * subscription when its last group is handed to a stream writer, a moment before that writer
 * queues the group's bytes on the socket.
 */
export async function drained(pending: () => number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	let zeros = 0;
	for (;;) {
		zeros = pending() > 0 ? 0 : zeros + 1;
		if (zeros >= 2) return true;
		if (Date.now() >= deadline || signal?.aborted) return false;
		await new Promise<void>((resolve) => {
			const timer = setTimeout(done, POLL_MS);
			function done() {
				clearTimeout(timer);
				signal?.removeEventListener("abort", done);
				resolve();
			}
			signal?.addEventListener("abort", done, { once: true });
		});
	}
}

/** Waits until no session in `sessionIds` owes anything for `path` (see {@link servedBacklog}); true when drained in time. */
export function drainServed(sessions: SessionManager, sessionIds: () => Iterable<string>, path: string, timeoutMs = SERVED_DRAIN_TIMEOUT_MS, signal?: AbortSignal): Promise<boolean> {
	return drained(() => servedBacklog(sessions, sessionIds(), path), timeoutMs, signal);
}

/**
 * Waits until every session that publishes `originId` owes nothing for `path`: the drain of a
 * broadcast published into an origin (Go Live, file publications). True when drained in time.
 */
export function drainOrigin(sessions: SessionManager, originId: string, path: string, timeoutMs = SERVED_DRAIN_TIMEOUT_MS, signal?: AbortSignal): Promise<boolean> {
	const serving = () =>
		sessions
			.list()
			.filter((s) => s.publishOrigin === originId)
			.map((s) => s.id);
	return drainServed(sessions, serving, path, timeoutMs, signal);
}
