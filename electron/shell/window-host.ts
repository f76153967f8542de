/**
 * The one main window, created on demand: the tray, a notification click, a menu accelerator or
 * a second launch all bring it back (or recreate it on macOS, where the app outlives its window).
 * Messages sent before the page has loaded wait for it, so a click that recreated the window
 * still lands on the view it named.
 */
import { ShellChannel, type ShellMessage } from "../../shared/shell-channel";
import type { WindowHost, WindowLike } from "./electron-like";

/** A window the host can manage: a `BrowserWindow` fits. */
export interface ManagedWindow extends WindowLike {
	readonly webContents: WindowLike["webContents"] & {
		once(event: "did-finish-load", listener: () => void): unknown;
	};
}

/** A {@link WindowHost} whose `show()` also returns the concrete window type. */
export interface TypedWindowHost<W extends ManagedWindow> extends WindowHost {
	current(): W | undefined;
	show(): W;
	/** The window, created (and left to show itself when ready) if there is none. */
	ensure(): W;
}

/**
 * Manages the window `create` makes. `canCreate` says whether a window may be created now
 * (Electron refuses before `app` is ready); when it may not, `show()` throws.
 */
export function createWindowHost<W extends ManagedWindow>(create: () => W, canCreate: () => boolean = () => true): TypedWindowHost<W> {
	let window: W | undefined;
	let loaded = false;
	let queued: ShellMessage[] = [];

	const current = (): W | undefined => (window && !window.isDestroyed() ? window : undefined);
	const flush = () => {
		const w = current();
		if (!w) return;
		for (const m of queued.splice(0)) w.webContents.send(ShellChannel.message, m);
	};
	const ensure = (): W => {
		const existing = current();
		if (existing) return existing;
		if (!canCreate()) throw new Error("the window cannot be created yet");
		const w = create();
		window = w;
		loaded = false;
		queued = [];
		w.webContents.once("did-finish-load", () => {
			if (window !== w) return;
			loaded = true;
			flush();
		});
		return w;
	};

	return {
		current,
		ensure,
		show() {
			const w = ensure();
			if (w.isMinimized()) w.restore();
			if (!w.isVisible()) w.show();
			w.focus();
			return w;
		},
		send(message) {
			const w = current();
			if (!w) return;
			if (loaded) w.webContents.send(ShellChannel.message, message);
			else queued.push(message);
		},
	};
}
