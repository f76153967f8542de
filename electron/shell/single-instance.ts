/**
 * One studio per user: a second engine would start a second embedded relay and write the same
 * settings file. The second launch hands its arguments to the first, which shows its window.
 */
import type { ShellMessage } from "../../shared/shell-channel";
import type { WindowHost } from "./electron-like";

/** The part of Electron's `app` used here. */
export interface SingleInstanceApp {
	requestSingleInstanceLock(): boolean;
	on(event: "second-instance", listener: (event: unknown, argv: string[], workingDirectory: string) => void): unknown;
	readonly isPackaged: boolean;
}

/**
 * The arguments a launch was given, without the executable (and, unpackaged, without the app
 * path that `electron .` adds).
 */
export function launchArguments(argv: readonly string[], isPackaged: boolean): string[] {
	return argv.slice(isPackaged ? 1 : 2);
}

/**
 * Takes the single-instance lock. Returns false when another instance holds it: the caller must
 * quit at once without starting anything. Otherwise each later launch shows the window and sends
 * the page a `second-instance` message with that launch's arguments.
 */
export function claimSingleInstance(app: SingleInstanceApp, window: WindowHost): boolean {
	if (!app.requestSingleInstanceLock()) return false;
	app.on("second-instance", (_event, argv) => {
		window.show();
		const message: ShellMessage = { type: "second-instance", argv: launchArguments(argv, app.isPackaged) };
		window.send(message);
	});
	return true;
}
