/**
 * Every announced broadcast across origins and sessions (`broadcasts.list`, then
 * `broadcasts.changed` batches), live. Ended broadcasts stay for {@link ENDED_VISIBLE_MS},
 * marked ended, then drop.
 *
 * Built for floods (10,000 entries, hundreds of changes a second): entries live in one `Map`
 * keyed by the broadcast key that is changed in place, and each batch bumps `version` once, so a
 * batch is one state update and views recompute what they show once per batch.
 */
import { create } from "zustand";
import type { AnnouncedBroadcast, BroadcastsChanged } from "../../../shared/broadcasts";
import { requireApi } from "./host";
import { useNotifications } from "./notifications";

/** How long an ended broadcast stays visible (greyed) before it drops. */
export const ENDED_VISIBLE_MS = 30_000;

/** An announced broadcast as the view keeps it: `endedAt` is set once it is unannounced. */
export interface BroadcastEntry extends AnnouncedBroadcast {
	endedAt: number | null;
}

/**
 * Applies one batch to `entries` in place. Additions first (a broadcast that came and went within
 * one batch is then marked ended); a removal older than the entry it names (a re-announce after
 * it) is ignored. Returns how many entries changed.
 */
export function applyBatch(entries: Map<string, BroadcastEntry>, batch: BroadcastsChanged): number {
	let changed = 0;
	for (const b of batch.added) {
		entries.set(b.key, { ...b, endedAt: null });
		changed++;
	}
	for (const { key, at } of batch.removed) {
		const e = entries.get(key);
		if (!e || e.endedAt !== null || at < e.since) continue;
		// A new object, so rows memoised on their entry see the change.
		entries.set(key, { ...e, endedAt: at });
		changed++;
	}
	return changed;
}

/** Drops entries that ended before `cutoff`; returns how many dropped. */
export function pruneEnded(entries: Map<string, BroadcastEntry>, cutoff: number): number {
	let dropped = 0;
	for (const [key, e] of entries) {
		if (e.endedAt !== null && e.endedAt < cutoff) {
			entries.delete(key);
			dropped++;
		}
	}
	return dropped;
}

/** True when `path` is `prefix` or under it, segment-wise (`live` matches `live/a`, not `lively`). */
export function underPrefix(path: string, prefix: string): boolean {
	const p = prefix.replace(/^\/+|\/+$/g, "");
	return p === "" || path === p || path.startsWith(`${p}/`);
}

/** State of the broadcasts. */
export interface BroadcastsState {
	/** Every entry by key; changed in place, so select `version` to follow it. */
	entries: Map<string, BroadcastEntry>;
	/** Bumped once per applied batch or prune. */
	version: number;
	/** How many entries are live (not ended). */
	live: number;
	loaded: boolean;
	/** Loads the list and follows changes; returns the unsubscribe function. */
	follow(): () => void;
}

function countLive(entries: Map<string, BroadcastEntry>): number {
	let n = 0;
	for (const e of entries.values()) if (e.endedAt === null) n++;
	return n;
}

/** The broadcasts store. */
export const useBroadcasts = create<BroadcastsState>()((set, get) => ({
	entries: new Map(),
	version: 0,
	live: 0,
	loaded: false,
	follow() {
		const api = requireApi();
		let early: BroadcastsChanged[] | null = [];
		const commit = () => {
			const { entries, version } = get();
			set({ version: version + 1, live: countLive(entries) });
		};
		const off = api.on("broadcasts.changed", (batch) => {
			if (early) {
				early.push(batch);
				return;
			}
			if (applyBatch(get().entries, batch) > 0) commit();
		});
		api.invoke("broadcasts.list", {}).then(
			(list) => {
				const entries = new Map<string, BroadcastEntry>();
				for (const b of list) entries.set(b.key, { ...b, endedAt: null });
				for (const batch of early ?? []) applyBatch(entries, batch);
				early = null;
				set({ entries, version: get().version + 1, live: countLive(entries), loaded: true });
			},
			(err: unknown) => useNotifications.getState().error("Could not load broadcasts", err),
		);
		const pruner = setInterval(() => {
			if (pruneEnded(get().entries, Date.now() - ENDED_VISIBLE_MS) > 0) commit();
		}, 2000);
		return () => {
			off();
			clearInterval(pruner);
		};
	},
}));
