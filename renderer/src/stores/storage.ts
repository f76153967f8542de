/**
 * Where recordings are stored, as the engine reports it: free space in the recordings folder
 * (followed live), the recording settings (folder, minimum free space), and finalizing an
 * interrupted file into a regular MP4.
 */
import { create } from "zustand";
import type { DiskSpace, LibraryFile, RecordingSettings, RecordingSettingsPatch } from "../../../shared/recordings";
import { requireApi } from "./host";
import { useNotifications } from "./notifications";

/** State of the recordings storage. */
export interface StorageState {
	/** The last measurement of the recordings folder's free space (null until first loaded). */
	disk: DiskSpace | null;
	settings: RecordingSettings | null;
	/** Files being finalized right now, by name. */
	finalizing: Record<string, true>;
	/** Loads the free space and follows its changes; returns the unsubscribe function. */
	followDisk(): () => void;
	/** Loads the settings. */
	loadSettings(): Promise<void>;
	/** Changes settings; resolves false after showing the error. */
	configure(patch: RecordingSettingsPatch): Promise<boolean>;
	/** Writes an interrupted file again as a regular MP4; resolves with the new file, or null after showing the error. */
	finalize(name: string): Promise<LibraryFile | null>;
}

/** The storage store. */
export const useStorage = create<StorageState>()((set, get) => ({
	disk: null,
	settings: null,
	finalizing: {},
	followDisk() {
		const api = requireApi();
		const off = api.on("recordings.disk", (disk) => set({ disk }));
		api.invoke("recordings.disk", {}).then(
			(disk) => set({ disk }),
			() => undefined, // the view shows nothing rather than a toast for an optional line
		);
		return off;
	},
	async loadSettings() {
		try {
			set({ settings: await requireApi().invoke("recordings.settings", {}) });
		} catch (err) {
			useNotifications.getState().error("Could not load the recording settings", err);
		}
	},
	async configure(patch) {
		try {
			set({ settings: await requireApi().invoke("recordings.configure", patch) });
			// The folder or the minimum changed: the free space line follows at once.
			requireApi()
				.invoke("recordings.disk", {})
				.then((disk) => set({ disk }), () => undefined);
			return true;
		} catch (err) {
			useNotifications.getState().error("Could not save the recording settings", err);
			return false;
		}
	},
	async finalize(name) {
		set({ finalizing: { ...get().finalizing, [name]: true } });
		try {
			const file = await requireApi().invoke("recordings.finalize", { name });
			useNotifications.getState().push("info", "Finalized", `${name} was written again as ${file.name}.`);
			return file;
		} catch (err) {
			useNotifications.getState().error(`Could not finalize ${name}`, err);
			return null;
		} finally {
			const { [name]: _done, ...rest } = get().finalizing;
			set({ finalizing: rest });
		}
	},
}));
