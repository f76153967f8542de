/**
 * The monitors this window watches, laid out as a multiview: a grid of 1, 4, 9 or 16 tiles,
 * each showing one broadcast (origin and path) through its own monitor.
 *
 * The store holds what views render from (per tile: its broadcast and monitor; per monitor:
 * state, catalog, renditions: changes of a few per minute), replaced only when one of those
 * changed, so the twice-a-second `monitor.state` events re-render nothing. Their numbers go to
 * each monitor's {@link StatsHistory} and the player's fields, which charts, meters and the stats
 * table read on their own. Players live beside the store (they hold a worker and a canvas), keyed
 * by id.
 *
 * The layout and each tile's broadcast persist in the preferences (so a reload or a restart
 * brings the wall back); monitors are opened for the tiles inside the layout once the Monitor
 * view was shown ({@link MonitorsState.activate}), not at start-up, and tiles beyond the layout
 * are remembered without a monitor (no cost).
 */
import { create } from "zustand";
import type { MonitorInfo } from "../../../shared/monitor";
import { requireApi } from "../stores/host";
import { useNotifications } from "../stores/notifications";
import { MULTIVIEW_LAYOUTS, MULTIVIEW_MAX_TILES, usePreferences, type MultiviewLayout, type MultiviewTile } from "../stores/preferences";
import { MonitorPlayer } from "./player";
import { StatsHistory } from "./stats";

/** What views show of a monitor: its info without the per-track numbers. */
export type MonitorView = Omit<MonitorInfo, "tracks">;

/** A monitor's player and numbers, outside the store. */
export interface MonitorRuntime {
	player: MonitorPlayer;
	history: StatsHistory;
}

/** What a tile of the grid holds. */
export interface TileSlot {
	/** The broadcast chosen for it, or null for an empty tile. */
	tile: MultiviewTile | null;
	/** Its open monitor, or null (being opened, failed, or beyond the layout). */
	monitor: string | null;
	/** Why the last attempt to watch failed, until the next one. */
	failure: string | null;
}

const runtimes = new Map<string, MonitorRuntime>();

/** The player and history of monitor `id`, while it is open in this window. */
export function monitorRuntime(id: string): MonitorRuntime | undefined {
	return runtimes.get(id);
}

/** State of the monitors. */
export interface MonitorsState {
	byId: Record<string, MonitorView>;
	/** Open monitors, oldest first. */
	order: string[];
	/** The monitor whose details the view shows. */
	selected: string | null;
	/** Broadcasts being opened (`originId\u0000path`), so a view can say so. */
	opening: string[];
	/** Tiles shown: 1, 4, 9 or 16. */
	layout: MultiviewLayout;
	/** {@link MULTIVIEW_MAX_TILES} tiles; those at `layout` and beyond are remembered, not watched. */
	slots: TileSlot[];
	/** The monitor heard (all others muted), or null for silence. */
	soloed: string | null;
	/** The tile shown alone (double-click), or null for the grid. */
	enlarged: number | null;
	/**
	 * Watches a broadcast (Broadcasts' Watch): selects the tile already showing it, else puts it in
	 * the first empty tile, growing the layout when the grid is full (a full 16 replaces the
	 * selected tile). Resolves its monitor id, or null after showing the error.
	 */
	open(originId: string, path: string): Promise<string | null>;
	/** Shows `originId`/`path` in tile `index` (replacing what it showed). */
	assign(index: number, originId: string, path: string): Promise<string | null>;
	/** Empties tile `index`, closing its monitor. */
	clear(index: number): Promise<void>;
	/** Stops watching: empties the tile of monitor `id`. */
	close(id: string): Promise<void>;
	/** Switches the layout; tiles beyond it close their monitors and are remembered. */
	setLayout(layout: MultiviewLayout): void;
	/** Hears monitor `id` alone (null mutes all). Call it from the user's gesture: it may start audio. */
	solo(id: string | null): void;
	/** Shows tile `index` alone, or the grid again (null). */
	setEnlarged(index: number | null): void;
	/** Switches renditions: a track name, or null for none of that kind. */
	choose(id: string, kind: "video" | "audio", rendition: string | null): Promise<void>;
	setSelected(id: string): void;
	/** The Monitor view is shown: watch the remembered tiles (once the preferences are loaded). */
	activate(): void;
	/** Tries tile `index` again after a failure. */
	retry(index: number): void;
	/** Follows `monitor.state`; returns the unsubscribe function. */
	follow(): () => void;
}

/** The fields whose change re-renders views; the rest (tracks) goes to the history. */
function viewOf(info: MonitorInfo): MonitorView {
	const { tracks: _tracks, ...view } = info;
	return view;
}

function sameView(a: MonitorView | undefined, b: MonitorView): boolean {
	if (!a) return false;
	return (
		a.state === b.state &&
		a.epoch === b.epoch &&
		a.video === b.video &&
		a.audio === b.audio &&
		a.closed === b.closed &&
		JSON.stringify(a.error) === JSON.stringify(b.error) &&
		JSON.stringify(a.renditions) === JSON.stringify(b.renditions) &&
		JSON.stringify(a.catalog) === JSON.stringify(b.catalog)
	);
}

function dispose(id: string): void {
	runtimes.get(id)?.player.dispose();
	runtimes.delete(id);
}

const emptySlots = (): TileSlot[] => Array.from({ length: MULTIVIEW_MAX_TILES }, () => ({ tile: null, monitor: null, failure: null }));
const sameTile = (a: MultiviewTile | null, b: MultiviewTile | null) => a === b || (!!a && !!b && a.originId === b.originId && a.path === b.path);
const keyOf = (t: MultiviewTile) => `${t.originId}\u0000${t.path}`;

/** The smallest layout with a tile at `index`. */
function layoutFor(index: number): MultiviewLayout {
	return MULTIVIEW_LAYOUTS.find((l) => l > index) ?? 16;
}

/** The monitors store. */
export const useMonitors = create<MonitorsState>()((set, get) => {
	/** Bumped per tile on every change of its broadcast, so a slow open for an old choice is dropped. */
	const generation = new Array<number>(MULTIVIEW_MAX_TILES).fill(0);
	let active = false;
	/** Whether layout and tiles came from the preferences (or the user changed them first). */
	let hydrated = false;

	const patchSlot = (index: number, patch: Partial<TileSlot>) => {
		const slots = get().slots.slice();
		slots[index] = { ...slots[index]!, ...patch };
		set({ slots });
	};
	const persist = () => {
		const prefs = usePreferences.getState();
		hydrated = true;
		prefs.set("multiviewLayout", get().layout);
		prefs.set(
			"multiviewTiles",
			get().slots.map((s) => s.tile),
		);
	};
	/** Forgets monitor `id` here (the engine side is closed by the caller, or closed already). */
	const remove = (id: string) => {
		dispose(id);
		const { byId, order, selected, soloed, slots } = get();
		const index = slots.findIndex((s) => s.monitor === id);
		if (index >= 0) patchSlot(index, { monitor: null });
		if (!byId[id]) return;
		const { [id]: _gone, ...rest } = byId;
		const left = order.filter((o) => o !== id);
		set({ byId: rest, order: left, selected: selected === id ? (left.at(-1) ?? null) : selected, soloed: soloed === id ? null : soloed });
	};
	const closeMonitor = (id: string | null) => {
		if (!id) return;
		remove(id);
		void requireApi()
			.invoke("monitor.close", { id })
			.catch(() => undefined);
	};
	const apply = (info: MonitorInfo) => {
		const runtime = runtimes.get(info.id);
		if (!runtime) return; // another window's monitor
		if (info.closed) return remove(info.id);
		runtime.history.push({ at: Date.now(), tracks: info.tracks, decoder: runtime.player.decoder, restarts: runtime.player.restarts });
		const view = viewOf(info);
		if (!sameView(get().byId[info.id], view)) set({ byId: { ...get().byId, [info.id]: view } });
	};
	/** The open in flight per tile, and for which generation of its broadcast. */
	const inflight = new Map<number, { gen: number; promise: Promise<string | null> }>();
	/** Opens the monitor of tile `index` for its broadcast, unless it has one or lies beyond the layout. */
	const watch = (index: number, select: boolean): Promise<string | null> => {
		const slot = get().slots[index];
		if (!slot?.tile || index >= get().layout) return Promise.resolve(null);
		if (slot.monitor) {
			if (select) set({ selected: slot.monitor });
			return Promise.resolve(slot.monitor);
		}
		const running = inflight.get(index);
		if (running && running.gen === generation[index]) {
			// Already opening (say, for a layout that just grew): select it once open, if asked.
			if (!select) return running.promise;
			return running.promise.then((id) => {
				if (id) set({ selected: id });
				return id;
			});
		}
		const gen = generation[index]!;
		const promise = openFor(index, slot.tile, gen, select).finally(() => {
			if (inflight.get(index)?.promise === promise) inflight.delete(index);
		});
		inflight.set(index, { gen, promise });
		return promise;
	};
	const openFor = async (index: number, tile: MultiviewTile, gen: number, select: boolean): Promise<string | null> => {
		const key = keyOf(tile);
		set({ opening: [...get().opening, key] });
		patchSlot(index, { failure: null });
		try {
			const info = await requireApi().invoke("monitor.open", { originId: tile.originId, path: tile.path });
			// The tile changed (or emptied, or left the layout) while this opened: not wanted any more.
			if (generation[index] !== gen || index >= get().layout || get().slots[index]?.monitor) {
				void requireApi()
					.invoke("monitor.close", { id: info.id })
					.catch(() => undefined);
				return null;
			}
			const notify = useNotifications.getState();
			const player = new MonitorPlayer({
				onError: (message) => console.warn(`monitor ${tile.path}: ${message}`),
				onClosed: (reason) => {
					if (runtimes.has(info.id)) notify.push("warning", `Stopped watching ${tile.path}`, reason);
					remove(info.id);
				},
			});
			runtimes.set(info.id, { player, history: new StatsHistory() });
			patchSlot(index, { monitor: info.id });
			set({
				byId: { ...get().byId, [info.id]: viewOf(info) },
				order: [...get().order, info.id],
				selected: select || !get().selected ? info.id : get().selected,
			});
			await player.attach(info.channel);
			return info.id;
		} catch (err) {
			if (generation[index] === gen) patchSlot(index, { failure: err instanceof Error ? err.message : String(err) });
			useNotifications.getState().error(`Could not watch ${tile.path}`, err);
			return null;
		} finally {
			const opening = get().opening.slice();
			opening.splice(opening.indexOf(key), 1);
			set({ opening });
		}
	};
	/** Watches every remembered tile inside the layout that has no monitor (and did not just fail). */
	const reconcile = () => {
		if (!active || !hydrated) return;
		get().slots.forEach((s, i) => {
			if (i < get().layout && s.tile && !s.monitor && !s.failure) void watch(i, false);
		});
	};
	const setTile = (index: number, tile: MultiviewTile | null) => {
		generation[index]!++;
		closeMonitor(get().slots[index]?.monitor ?? null);
		patchSlot(index, { tile, monitor: null, failure: null });
		if (get().enlarged === index && !tile) set({ enlarged: null });
		persist();
	};
	const hydrate = (layout: MultiviewLayout, tiles: readonly (MultiviewTile | null)[]) => {
		hydrated = true;
		set({ layout, slots: get().slots.map((s, i) => (sameTile(s.tile, tiles[i] ?? null) ? s : { tile: tiles[i] ?? null, monitor: s.monitor, failure: null })) });
		reconcile();
	};

	// The saved wall arrives with the preferences; changes made before that win (they were saved
	// over the loaded values, see the preferences store).
	usePreferences.subscribe((prefs, prev) => {
		if (!prefs.loaded || (prev.loaded && hydrated)) return;
		if (!hydrated) hydrate(prefs.multiviewLayout, prefs.multiviewTiles);
		else reconcile();
	});

	return {
		byId: {},
		order: [],
		selected: null,
		opening: [],
		layout: 1,
		slots: emptySlots(),
		soloed: null,
		enlarged: null,
		async open(originId, path) {
			const wanted = { originId, path };
			const { slots, layout, selected } = get();
			const shown = slots.findIndex((s, i) => i < layout && sameTile(s.tile, wanted));
			if (shown >= 0) return watch(shown, true);
			let index = slots.findIndex((s) => !s.tile);
			if (index < 0) {
				// A full wall: the selected tile (or the last one) shows it instead.
				const sel = slots.findIndex((s) => s.monitor !== null && s.monitor === selected);
				index = sel >= 0 ? sel : MULTIVIEW_MAX_TILES - 1;
			}
			setTile(index, wanted);
			if (index >= layout) get().setLayout(layoutFor(index));
			return watch(index, true);
		},
		assign(index, originId, path) {
			setTile(index, { originId, path });
			return watch(index, true);
		},
		async clear(index) {
			setTile(index, null);
		},
		async close(id) {
			const index = get().slots.findIndex((s) => s.monitor === id);
			if (index >= 0) setTile(index, null);
			else closeMonitor(id);
		},
		setLayout(layout) {
			if (layout === get().layout) return;
			get().slots.forEach((s, i) => {
				if (i >= layout && s.monitor) {
					generation[i]!++;
					closeMonitor(s.monitor);
				}
			});
			const enlarged = get().enlarged;
			set({ layout, enlarged: enlarged !== null && enlarged >= layout ? null : enlarged });
			persist();
			reconcile();
		},
		solo(id) {
			// Applied to the players here, inside the user's gesture: unmuting resumes an audio
			// context the autoplay rules held, which only a gesture may do.
			for (const [mid, runtime] of runtimes) runtime.player.setMuted(mid !== id);
			set({ soloed: id });
		},
		setEnlarged(index) {
			set({ enlarged: index });
		},
		async choose(id, kind, rendition) {
			try {
				const info = await requireApi().invoke("monitor.select", kind === "video" ? { id, video: rendition } : { id, audio: rendition });
				apply(info);
			} catch (err) {
				useNotifications.getState().error("Could not switch renditions", err);
			}
		},
		setSelected(id) {
			set({ selected: id });
		},
		activate() {
			active = true;
			reconcile();
		},
		retry(index) {
			patchSlot(index, { failure: null });
			void watch(index, true);
		},
		follow() {
			// A (re)connection: monitors the engine lost with the connection are watched again.
			queueMicrotask(reconcile);
			return requireApi().on("monitor.state", apply);
		},
	};
});
