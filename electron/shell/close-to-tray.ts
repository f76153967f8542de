/**
 * Closing the window while live or recording keeps the studio running in the tray (a setting,
 * on by default): a closed window must not end a show. The first time, a notice says so.
 */
import type { BusyObservable, PreventableEvent } from "./electron-like";
import { ShellPreference, type ShellSettings } from "./settings";

/** The part of a `BrowserWindow` used here. */
export interface ClosableWindow {
	on(event: "close", listener: (event: PreventableEvent) => void): unknown;
	hide(): void;
}

/** Options of {@link keepInTrayOnClose}. */
export interface CloseToTrayOptions {
	busy: BusyObservable;
	settings: ShellSettings;
	/** True while the app quits: then the window closes for real. */
	quitting: () => boolean;
	/** False when there is no tray to come back from (the platform has none). */
	hasTray: () => boolean;
	/** Shows the one-time notice. */
	notice: (title: string, body: string) => void;
}

/** Installs the close handler on `window`. */
export function keepInTrayOnClose(window: ClosableWindow, options: CloseToTrayOptions): void {
	window.on("close", (event) => {
		if (options.quitting() || !options.busy.current.busy || !options.hasTray()) return;
		if (!options.settings.get(ShellPreference.closeToTray)) return;
		event.preventDefault();
		window.hide();
		if (options.settings.get(ShellPreference.trayNoticeShown)) return;
		options.settings.set(ShellPreference.trayNoticeShown, true);
		options.notice("MoQ Studio is still running", "You are live or recording, so the studio keeps running in the tray. Quit from the tray icon to stop.");
	});
}
