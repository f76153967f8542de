/**
 * The slices of Electron's API the shell units use. The units depend on these, not on
 * `electron`, so they run in Node tests with fakes; electron/main.ts passes the real objects,
 * and the type-check of main.ts against electron.d.ts proves the real ones fit.
 */
import type { BusyState } from "../engine/busy";
import type { ShellMessage } from "../../shared/shell-channel";

/** An Electron event whose default can be prevented (before-quit, will-quit, a window's close). */
export interface PreventableEvent {
	preventDefault(): void;
}

/** What the shell does with the main window. */
export interface WindowLike {
	show(): void;
	hide(): void;
	focus(): void;
	isMinimized(): boolean;
	restore(): void;
	isVisible(): boolean;
	isDestroyed(): boolean;
	readonly webContents: { send(channel: string, ...args: unknown[]): void };
}

/** The main window as the shell sees it: there is at most one, created on demand. */
export interface WindowHost {
	/** The window, if one exists and is not destroyed. */
	current(): WindowLike | undefined;
	/** Shows, restores and focuses the window (creating it when there is none); returns it. */
	show(): WindowLike;
	/** Sends one message to the page, if a window exists. */
	send(message: ShellMessage): void;
}

/** The busy state as the shell consumes it (a `BusyState`, or a fake in tests). */
export type BusyObservable = Pick<BusyState, "current" | "subscribe">;

/** The standard menu roles the shell uses (a subset of Electron's `MenuItemConstructorOptions.role`). */
export type MenuRole =
	| "appMenu"
	| "about"
	| "services"
	| "hide"
	| "hideOthers"
	| "unhide"
	| "quit"
	| "editMenu"
	| "undo"
	| "redo"
	| "cut"
	| "copy"
	| "paste"
	| "pasteAndMatchStyle"
	| "delete"
	| "selectAll"
	| "viewMenu"
	| "toggleDevTools"
	| "resetZoom"
	| "zoomIn"
	| "zoomOut"
	| "togglefullscreen"
	| "windowMenu"
	| "minimize"
	| "zoom"
	| "close"
	| "front"
	| "help";

/** One menu item, assignable to Electron's `MenuItemConstructorOptions`. */
export interface MenuItemTemplate {
	label?: string;
	type?: "normal" | "separator" | "submenu";
	role?: MenuRole;
	accelerator?: string;
	enabled?: boolean;
	/** Called when the item is chosen (Electron passes more arguments; the shell needs none). */
	click?: () => void;
	submenu?: MenuItemTemplate[];
}

/** Electron's `Menu.buildFromTemplate`, producing the platform's menu object `M`. */
export interface MenuFactory<M> {
	buildFromTemplate(template: MenuItemTemplate[]): M;
}
