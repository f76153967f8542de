/**
 * Routes the MoQ libraries' console output into the engine's logger.
 *
 * Workaround, in this one place: `@moq/net` and `@moq/qmux` write diagnostics with
 * `console.debug/warn` (e.g. `"<url> negotiated ALPN"`), and the URL carries the relay token as
 * `?jwt=`. In Node `console.debug` also goes to stdout, which would corrupt `--json` output.
 * Hosts call this once so those lines become redacted log entries instead.
 */
import { format } from "node:util";
import type { Log } from "../log/logger";

let installed: (() => void) | undefined;

/** Captures `console.*` into `log` (redacted by the logger); returns the restore function. */
export function captureLibraryConsole(log: Log): () => void {
	installed?.();
	const original = { debug: console.debug, log: console.log, info: console.info, warn: console.warn, error: console.error };
	console.debug = (...args: unknown[]) => log.trace(format(...args));
	console.log = (...args: unknown[]) => log.debug(format(...args));
	console.info = (...args: unknown[]) => log.debug(format(...args));
	console.warn = (...args: unknown[]) => log.warn(format(...args));
	console.error = (...args: unknown[]) => log.error(format(...args));
	const restore = () => {
		Object.assign(console, original);
		installed = undefined;
	};
	installed = restore;
	return restore;
}
