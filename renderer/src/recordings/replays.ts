/**
 * Replays running now, by file: the file publications of the engine (a replay is one), followed
 * only while some library row shows them, so a looped replay started from the library can be
 * stopped from the same row.
 */
import { create } from "zustand";
import type { FilePublishInfo } from "../../../shared/recordings";
import { errorText } from "../lib/errors";
import { requireApi } from "../stores/host";
import { useNotifications } from "../stores/notifications";

/** State of the running replays. */
export interface ReplaysState {
	/** Running publications by the absolute path of their file. */
	byFile: Record<string, FilePublishInfo>;
	/** Starts following publications (reference-counted); returns the release. */
	retain(): () => void;
	/** Stops a publication; the error shows as a notice. */
	stop(id: string): Promise<void>;
}

/** The running-replays store. */
export const useReplays = create<ReplaysState>()((set, get) => {
	let users = 0;
	let off: (() => void) | undefined;
	const put = (p: FilePublishInfo) => {
		const byFile = { ...get().byFile };
		if (p.state === "publishing") byFile[p.file] = p;
		else if (byFile[p.file]?.id === p.id) delete byFile[p.file];
		set({ byFile });
	};
	return {
		byFile: {},
		retain() {
			if (users++ === 0) {
				try {
					const api = requireApi();
					off = api.on("publishing.progress", put);
					api.invoke("publishing.list", {}).then(
						(list) => {
							// Oldest first, so the newest publication of a file wins.
							for (const p of [...list].reverse()) put(p);
						},
						() => {},
					);
				} catch {
					// No engine yet: the rows show no running replay.
				}
			}
			let released = false;
			return () => {
				if (released) return;
				released = true;
				if (--users === 0) {
					off?.();
					off = undefined;
				}
			};
		},
		async stop(id) {
			try {
				put(await requireApi().invoke("publishing.stop", { id }));
			} catch (err) {
				useNotifications.getState().push("error", "Stopping the replay failed", errorText(err));
			}
		},
	};
});
