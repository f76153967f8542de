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

/** The recordings store. */
export const useRecordings = create<RecordingsState>()((set, get) => {
	const upsert = (r: RecordingInfo) => {
		const { byId, order } = get();
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
				upsert(await requireApi().invoke("recordings.start", { originId, path }));
				useNotifications.getState().push("info", "Recording", `${path} is being recorded.`);
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
