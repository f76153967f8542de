/**
 * Recordings as the engine reports them: the list, live progress, and start/stop actions; and the
 * library, every file of the recordings folder, with rename, delete, reveal.
 */
import { create } from "zustand";
import type { LibraryFile, RecordingInfo } from "../../../shared/recordings";
import { requireApi } from "./host";
import { useNotifications } from "./notifications";

/** State of the recordings. */
export interface RecordingsState {
	byId: Record<string, RecordingInfo>;
	order: string[];
	/** Loads the list and follows progress; returns the unsubscribe function. */
	follow(): () => void;
	/** Starts recording a broadcast of an origin; resolves false after showing the error. */
	start(originId: string, path: string, options?: { segmentMinutes?: number }): Promise<boolean>;
	stop(id: string): Promise<void>;
	/** The files of the recordings folder, newest first (null until first loaded). */
	library: LibraryFile[] | null;
	/** The recordings folder's path on the engine's machine. */
	folder: string | null;
	/** Lists the folder again. */
	loadLibrary(): Promise<void>;
	/** Renames a file (the extension is kept); resolves false after showing the error. */
	rename(name: string, newName: string): Promise<boolean>;
	/** Deletes a file (to the OS trash in the desktop app). */
	remove(name: string): Promise<void>;
	/** Shows a file in the system's file manager (desktop app only). */
	reveal(name: string): Promise<void>;
}

/** Recordings started in this window that still wait: they get a toast when writing starts. */
const awaited = new Set<string>();

/** The recordings store. */
export const useRecordings = create<RecordingsState>()((set, get) => {
	// Loads overlap when events come in bursts: only the newest answer is kept.
	let loads = 0;
	let reloadTimer: ReturnType<typeof setTimeout> | undefined;
	/** Coalesces the change events of a burst (a rename, a recording's start) into one listing. */
	const reloadSoon = () => {
		if (reloadTimer !== undefined) return;
		reloadTimer = setTimeout(() => {
			reloadTimer = undefined;
			void get().loadLibrary();
		}, 150);
	};
	const upsert = (r: RecordingInfo) => {
		const { byId, order } = get();
		// A recording that writes grows its file: its size and duration in the library follow.
		if (r.state === "recording" && byId[r.id]?.state !== "recording") reloadSoon();
		if (awaited.has(r.id) && r.state !== "waiting") {
			awaited.delete(r.id);
			if (r.state === "recording") useNotifications.getState().push("info", "Recording", `${r.path} is being recorded.`);
		}
		set({ byId: { ...byId, [r.id]: r }, order: byId[r.id] ? order : [r.id, ...order] });
	};
	return {
		byId: {},
		order: [],
		library: null,
		folder: null,
		follow() {
			const api = requireApi();
			const offProgress = api.on("recordings.progress", upsert);
			const offLibrary = api.on("recordings.library.changed", reloadSoon);
			const stop = () => {
				offProgress();
				offLibrary();
			};
			void get().loadLibrary();
			api.invoke("recordings.list", {}).then(
				(list) => set({ byId: Object.fromEntries(list.map((r) => [r.id, r])), order: list.map((r) => r.id) }),
				(err: unknown) => useNotifications.getState().error("Could not load recordings", err),
			);
			return stop;
		},
		async start(originId, path, options = {}) {
			try {
				const r = await requireApi().invoke("recordings.start", { originId, path, ...options });
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
		async loadLibrary() {
			const n = ++loads;
			try {
				const { folder, files } = await requireApi().invoke("recordings.library", {});
				if (n === loads) set({ library: files, folder });
			} catch (err) {
				if (n === loads) useNotifications.getState().error("Could not list the recordings folder", err);
			}
		},
		async rename(name, newName) {
			try {
				const file = await requireApi().invoke("recordings.rename", { name, newName });
				const { library } = get();
				if (library) set({ library: library.map((f) => (f.name === name ? file : f)) });
				return true;
			} catch (err) {
				useNotifications.getState().error(`Could not rename ${name}`, err);
				return false;
			}
		},
		async remove(name) {
			try {
				await requireApi().invoke("recordings.delete", { name });
				const { library } = get();
				if (library) set({ library: library.filter((f) => f.name !== name) });
			} catch (err) {
				useNotifications.getState().error(`Could not delete ${name}`, err);
			}
		},
		async reveal(name) {
			try {
				await requireApi().invoke("recordings.reveal", { name });
			} catch (err) {
				useNotifications.getState().error(`Could not show ${name} in its folder`, err);
			}
		},
	};
});
