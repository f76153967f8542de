/**
 * The native "open a media file" dialog for Go Live from a file (desktop host): the page asks
 * over its own IPC channel, the main process shows `dialog.showOpenDialog` and answers with the
 * chosen path. Only our own page may ask; the engine still probes the path before publishing.
 *
 * It depends only on the slices of Electron's API below, so it is unit-tested with fakes.
 */
import type { Envelope } from "../../shared/api";
import { StudioError } from "../../shared/errors";
import { IpcChannel } from "../../shared/ipc-channel";
import { MEDIA_FILE_EXTENSIONS } from "../../shared/media-file";
import type { IpcEventLike, TrustedFrame } from "../ipc/host";

/** The options given to the dialog (a subset of Electron's `OpenDialogOptions`). */
export interface MediaDialogOptions {
	title: string;
	buttonLabel: string;
	properties: "openFile"[];
	filters: { name: string; extensions: string[] }[];
}

/** Shows the dialog for the window of `event` (Electron: `dialog.showOpenDialog(BrowserWindow.fromWebContents(event.sender), options)`). */
export type ShowOpenDialog = (event: IpcEventLike, options: MediaDialogOptions) => Promise<{ canceled: boolean; filePaths: string[] }>;

/** The part of `ipcMain` used here. */
export interface DialogIpcMain {
	handle(channel: string, listener: (event: IpcEventLike) => Promise<unknown>): void;
	removeHandler(channel: string): void;
}

/** The dialog's options: one file, of the kinds the studio publishes (and any file, for odd extensions). */
export const MEDIA_DIALOG_OPTIONS: MediaDialogOptions = {
	title: "Choose a media file to go live with",
	buttonLabel: "Choose",
	properties: ["openFile"],
	filters: [
		{ name: "Media files", extensions: [...MEDIA_FILE_EXTENSIONS] },
		{ name: "All files", extensions: ["*"] },
	],
};

/**
 * Answers `IpcChannel.chooseMediaFile` with an {@link Envelope}: the chosen absolute path, null
 * when the person cancelled, FORBIDDEN for a frame that is not our page, IO when the dialog
 * failed. Returns the function that unregisters it.
 */
export function registerMediaFileDialog(ipcMain: DialogIpcMain, show: ShowOpenDialog, isTrusted: TrustedFrame): () => void {
	ipcMain.handle(IpcChannel.chooseMediaFile, async (event): Promise<Envelope<string | null>> => {
		if (!event.senderFrame || !isTrusted(event.senderFrame)) {
			return { ok: false, error: new StudioError("FORBIDDEN", "IPC from an untrusted frame").toInfo() };
		}
		try {
			const answer = await show(event, MEDIA_DIALOG_OPTIONS);
			return { ok: true, result: answer.canceled ? null : (answer.filePaths[0] ?? null) };
		} catch (err) {
			return { ok: false, error: StudioError.from(err, "IO").toInfo() };
		}
	});
	return () => ipcMain.removeHandler(IpcChannel.chooseMediaFile);
}
