/**
 * The monitors this window watches. The store holds what views render from (state, catalog,
 * renditions: changes of a few per minute), replaced only when one of those changed, so the
 * twice-a-second `monitor.state` events re-render nothing. Their numbers go to each monitor's
 * {@link StatsHistory} and the player's fields, which charts, meters and the stats table read on
 * their own. Players live beside the store (they hold a worker and a canvas), keyed by id.
 */
import { create } from "zustand";
import type { MonitorInfo } from "../../../shared/monitor";
import { requireApi } from "../stores/host";
import { useNotifications } from "../stores/notifications";
import { MonitorPlayer } from "./player";
import { StatsHistory } from "./stats";

/** What views show of a monitor: its info without the per-track numbers. */
export type MonitorView = Omit<MonitorInfo, "tracks">;

/** A monitor's player and numbers, outside the store. */
export interface MonitorRuntime {
	player: MonitorPlayer;
	history: StatsHistory;
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
	/** Broadcasts being opened (`originId\u0000path`), so a view can say so and a second Watch does not open twice. */
	opening: string[];
	/** Watches a broadcast (or selects the monitor already watching it); resolves its id, or null after showing the error. */
	open(originId: string, path: string): Promise<string | null>;
	close(id: string): Promise<void>;
	/** Switches renditions: a track name, or null for none of that kind. */
	choose(id: string, kind: "video" | "audio", rendition: string | null): Promise<void>;
	setSelected(id: string): void;
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

/** The monitors store. */
export const useMonitors = create<MonitorsState>()((set, get) => {
	const remove = (id: string) => {
		dispose(id);
		const { byId, order, selected } = get();
		if (!byId[id]) return;
		const { [id]: _gone, ...rest } = byId;
		const left = order.filter((o) => o !== id);
		set({ byId: rest, order: left, selected: selected === id ? (left.at(-1) ?? null) : selected });
	};
	const apply = (info: MonitorInfo) => {
		const runtime = runtimes.get(info.id);
		if (!runtime) return; // another window's monitor
		if (info.closed) return remove(info.id);
		runtime.history.push({ at: Date.now(), tracks: info.tracks, decoder: runtime.player.decoder });
		const view = viewOf(info);
		if (!sameView(get().byId[info.id], view)) set({ byId: { ...get().byId, [info.id]: view } });
	};
	return {
		byId: {},
		order: [],
		selected: null,
		opening: [],
		async open(originId, path) {
			const existing = get().order.find((id) => get().byId[id]?.originId === originId && get().byId[id]?.path === path);
			if (existing) {
				set({ selected: existing });
				return existing;
			}
			const key = `${originId}\u0000${path}`;
			if (get().opening.includes(key)) return null;
			set({ opening: [...get().opening, key] });
			try {
				const info = await requireApi().invoke("monitor.open", { originId, path });
				const notify = useNotifications.getState();
				const player = new MonitorPlayer({
					onError: (message) => console.warn(`monitor ${path}: ${message}`),
					onClosed: (reason) => {
						if (runtimes.has(info.id)) notify.push("warning", `Stopped watching ${path}`, reason);
						remove(info.id);
					},
				});
				runtimes.set(info.id, { player, history: new StatsHistory() });
				set({ byId: { ...get().byId, [info.id]: viewOf(info) }, order: [...get().order, info.id], selected: info.id });
				await player.attach(info.channel);
				return info.id;
			} catch (err) {
				useNotifications.getState().error(`Could not watch ${path}`, err);
				return null;
			} finally {
				set({ opening: get().opening.filter((k) => k !== key) });
			}
		},
		async close(id) {
			remove(id);
			await requireApi()
				.invoke("monitor.close", { id })
				.catch(() => undefined);
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
		follow() {
			return requireApi().on("monitor.state", apply);
		},
	};
});
