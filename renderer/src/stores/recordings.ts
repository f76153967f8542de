/**
 * Recordings as the engine reports them: the list, live progress, and start/stop actions.
 */
import { create } from "zustand";
import type { RecordingInfo } from "../../../shared/recordings";
import { requireApi } from "./host";
import { useNotifications } from "./notifications";

/** State of the recordings. */
export interface RecordingsState {
	byId: Record<string, RecordingInfo>;
	order: string[];
	/** Loads the list and follows progress; returns the unsubscribe function. */
	follow(): () => void;
	/** Starts recording a broadcast of an origin; resolves false after showing the error. */
	start(originId: string, path: string): Promise<boolean>;
	stop(id: string): Promise<void>;
}

/** Recordings started in this window that still wait: they get a toast when writing starts. */
const awaited = new Set<string>();

/** The recordings store. */
export const useRecordings = create<RecordingsState>()((set, get) => {
	const upsert = (r: RecordingInfo) => {
		const { byId, order } = get();
		if (awaited.has(r.id) && r.state !== "waiting") {
			awaited.delete(r.id);
			if (r.state === "recording") useNotifications.getState().push("info", "Recording", `${r.path} is being recorded.`);
		}
		set({ byId: { ...byId, [r.id]: r }, order: byId[r.id] ? order : [r.id, ...order] });
	};
	return {
		byId: {},
		order: [],
		follow() {
			const api = requireApi();
			const stop = api.on("recordings.progress", upsert);
			api.invoke("recordings.list", {}).then(
				(list) => set({ byId: Object.fromEntries(list.map((r) => [r.id, r])), order: list.map((r) => r.id) }),
				(err: unknown) => useNotifications.getState().error("Could not load recordings", err),
			);
			return stop;
		},
		async start(originId, path) {
			try {
				const r = await requireApi().invoke("recordings.start", { originId, path });
				upsert(r);
				// A recording usually starts by waiting (for the announcement, then the catalog):
				// say so, and say "being recorded" only once something is written.
				if (r.state === "waiting") {
					awaited.add(r.id);
					useNotifications.getState().push("info", "Waiting to record", `${path}: recording starts when its media arrives.`);
				} else if (r.state === "recording") useNotifications.getState().push("info", "Recording", `${path} is being recorded.`);
				return true;
			} catch (err) {
				useNotifications.getState().error(`Could not record ${path}`, err);
				return false;
			}
		},
		async stop(id) {
			try {
				upsert(await requireApi().invoke("recordings.stop", { id }));
			} catch (err) {
				useNotifications.getState().error("Could not stop the recording", err);
			}
		},
	};
});
