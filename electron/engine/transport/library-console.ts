/**
 * Routes the MoQ libraries' console output into the engine's logger.
 *
 * Workaround, in this one place: `@moq/net` and `@moq/qmux` write diagnostics with
 * `console.debug/warn` (e.g. `"<url> negotiated ALPN"`), and the URL carries the relay token as
 * `?jwt=`. In Node `console.debug` also goes to stdout, which would corrupt `--json` output.
 * Hosts call this once so those lines become redacted log entries instead. A connection that
 * ended because its peer left is logged at info, not error, and a subscriber that unsubscribed
 * at debug, not warn (transport/close-reason.ts).
 */
import { format } from "node:util";
import type { Log } from "../log/logger";
import { onlyPeerLeft, onlySubscriberCancelled, withoutStacks } from "./close-reason";
import { isLoaderNoise } from "./webtransport";

let installed: (() => void) | undefined;

/** What the WebTransport library's complaints about a missing HTTP/3 addon become (they carry paths and stacks). */
const LOADER_NOISE = "@fails-components/webtransport: its HTTP/3 addon is not installed";

/** Captures `console.*` into `log` (redacted by the logger); returns the restore function. */
export function captureLibraryConsole(log: Log): () => void {
	installed?.();
	const original = { debug: console.debug, log: console.log, info: console.info, warn: console.warn, error: console.error };
	console.debug = (...args: unknown[]) => log.trace(format(...args));
	console.log = (...args: unknown[]) => (isLoaderNoise(args) ? log.debug(LOADER_NOISE) : log.debug(format(...args)));
	console.info = (...args: unknown[]) => log.debug(format(...args));
	// `@moq/net` warns "publish error: … error=remote error: 0" each time a subscriber simply
	// unsubscribes (close-reason.ts): routine, and as frequent as viewers come and go, so debug.
	// So is its "datagram stream error" warning when the connection ended because the peer left.
	// Routine lines are written without the stack (close-reason.ts `withoutStacks`).
	console.warn = (...args: unknown[]) =>
		onlySubscriberCancelled(args) || onlyPeerLeft(args) ? log.debug(withoutStacks(args)) : log.warn(format(...args));
	// `@moq/net` prints every connection end as an error, a peer that simply left included
	// (close-reason.ts); those lines would raise the UI's error badge on each clean CLI exit.
	// `@fails-components/webtransport` complains on every load that the HTTP/3 addon is missing,
	// which the studio already reports once as a sentence (HTTP3_UNAVAILABLE): debug, not error.
	console.error = (...args: unknown[]) =>
		onlyPeerLeft(args) ? log.info(withoutStacks(args)) : isLoaderNoise(args) ? log.debug(LOADER_NOISE) : log.error(format(...args));
	const restore = () => {
		Object.assign(console, original);
		installed = undefined;
	};
	installed = restore;
	return restore;
}
