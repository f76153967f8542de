/**
 * The application menu: the platform's standard roles (the app menu on macOS, Edit, View,
 * Window, Help) plus the studio's accelerators, which ask the page to act through the shell
 * channel (the page owns what they need: capture sources, the selected broadcast, the view).
 *
 * - Ctrl/Cmd+L: Go Live / Stop          - Ctrl/Cmd+R: record the selected broadcast
 * - Ctrl/Cmd+1…6: the views             - Ctrl/Cmd+Shift+L: the log
 *
 * View has no reload: Ctrl/Cmd+R records here, and a reload would drop the page's Go Live.
 */
import { SHELL_VIEWS, type ShellMessage, type ShellView } from "../../shared/shell-channel";
import type { MenuItemTemplate } from "./electron-like";

/** The menu bar's labels for the views. */
const VIEW_LABELS: Record<ShellView, string> = {
	sessions: "Sessions",
	origins: "Origins",
	broadcasts: "Broadcasts",
	monitor: "Monitor",
	golive: "Go Live",
	recordings: "Recordings",
};

/** What the menu needs from the shell. */
export interface AppMenuOptions {
	/** `process.platform`. */
	platform: string;
	appName: string;
	/** Developer tools in the View menu (unpackaged builds only). */
	devTools: boolean;
	/** Sends a message to the page (showing the window first). */
	send: (message: ShellMessage) => void;
	openReadme: () => void;
	openLogFolder: () => void;
}

/** The application menu's template. */
export function appMenuTemplate(options: AppMenuOptions): MenuItemTemplate[] {
	const mac = options.platform === "darwin";
	const send = (message: ShellMessage) => () => options.send(message);
	const studio: MenuItemTemplate = {
		label: "Studio",
		submenu: [
			{ label: "Go Live / Stop", accelerator: "CmdOrCtrl+L", click: send({ type: "action", action: "golive.toggle" }) },
			{ label: "Record Selected Broadcast", accelerator: "CmdOrCtrl+R", click: send({ type: "action", action: "recordings.recordSelected" }) },
			{ label: "Take Preview to Program", accelerator: "CmdOrCtrl+Enter", click: send({ type: "action", action: "scenes.take" }) },
			...(mac ? [] : [{ type: "separator" as const }, { role: "quit" as const }]),
		],
	};
	const view: MenuItemTemplate = {
		label: "View",
		submenu: [
			...SHELL_VIEWS.map((v, i): MenuItemTemplate => ({ label: VIEW_LABELS[v], accelerator: `CmdOrCtrl+${i + 1}`, click: send({ type: "navigate", view: v }) })),
			{ label: "Log", accelerator: "CmdOrCtrl+Shift+L", click: send({ type: "action", action: "log.show" }) },
			{ type: "separator" },
			{ role: "resetZoom" },
			{ role: "zoomIn" },
			{ role: "zoomOut" },
			{ type: "separator" },
			{ role: "togglefullscreen" },
			...(options.devTools ? [{ type: "separator" as const }, { role: "toggleDevTools" as const }] : []),
		],
	};
	const help: MenuItemTemplate = {
		role: "help",
		submenu: [
			{ label: "Read Me", click: () => options.openReadme() },
			{ label: "Open Log Folder", click: () => options.openLogFolder() },
		],
	};
	return [
		...(mac ? [{ label: options.appName, role: "appMenu" as const }] : []),
		studio,
		{ role: "editMenu" },
		view,
		{ role: "windowMenu" },
		help,
	];
}
