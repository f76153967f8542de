/**
 * The contract's view of announcements: every broadcast in every origin as an
 * `AnnouncedBroadcast`, and batched change events for the Broadcasts view.
 */
import { broadcastKey, type AnnouncedBroadcast, type BroadcastsChanged } from "../../../shared/broadcasts";
import { Batcher } from "../batch";
import type { OriginBroadcast } from "./broadcast";
import type { OriginRegistry } from "./registry";

/** The most changes one `broadcasts.changed` event carries. */
export const BATCH_LIMIT = 1000;

/** The contract model of one broadcast in an origin. */
export function toAnnounced(originId: string, broadcast: OriginBroadcast): AnnouncedBroadcast {
	return {
		key: broadcastKey(originId, broadcast.path),
		path: broadcast.path,
		originId,
		source: broadcast.source.kind,
		sessionId: broadcast.source.kind === "session" ? broadcast.source.sessionId : null,
		since: broadcast.since,
	};
}

/** Every broadcast, optionally of one origin and under a path prefix (segment-aware). */
export function listAnnouncements(origins: OriginRegistry, filter: { prefix?: string; originId?: string }): AnnouncedBroadcast[] {
	const prefix = (filter.prefix ?? "").replace(/^\/+|\/+$/g, "");
	return origins
		.allBroadcasts()
		.filter(({ originId }) => filter.originId === undefined || originId === filter.originId)
		.filter(({ broadcast }) => prefix === "" || broadcast.path === prefix || broadcast.path.startsWith(`${prefix}/`))
		.map(({ originId, broadcast }) => toAnnounced(originId, broadcast))
		.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Delivers announcement changes in batches (about 10 Hz). A broadcast that comes and goes
 * within one batch still appears as added then removed, so no transition is lost.
 */
export function watchAnnouncements(origins: OriginRegistry, deliver: (batch: BroadcastsChanged) => void): () => void {
	type Change = { added?: AnnouncedBroadcast; removed?: { key: string; at: number } };
	const batch = new Batcher<Change>((changes) => {
		// At most BATCH_LIMIT changes per event: one huge event is one long task in the renderer.
		for (let i = 0; i < changes.length; i += BATCH_LIMIT) {
			const slice = changes.slice(i, i + BATCH_LIMIT);
			deliver({
				added: slice.flatMap((c) => (c.added ? [c.added] : [])),
				removed: slice.flatMap((c) => (c.removed ? [c.removed] : [])),
			});
		}
	});
	const stop = origins.watchAll(({ originId, broadcast, active }) => {
		if (active) batch.push({ added: toAnnounced(originId, broadcast) });
		else batch.push({ removed: { key: broadcastKey(originId, broadcast.path), at: Date.now() } });
	});
	return () => {
		stop();
		batch.flush();
	};
}
