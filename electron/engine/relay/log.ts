/**
 * The relay's log callback, in the spirit of libdatachannel's rtcInitLogger: the host decides
 * where lines go (stderr for the CLI, the studio log for the app, nowhere in tests).
 */

/** Severity of a relay log line. */
export type RelayLogLevel = "debug" | "info" | "warn" | "error";

/** Receives one human-readable line per event. Must not throw; the relay ignores its result. */
export type RelayLog = (level: RelayLogLevel, message: string) => void;

/** A log that drops everything; the default so library users opt in to output. */
export const silentLog: RelayLog = () => {};

/** Calls `log` but never lets a throwing callback break the relay. */
export function safeLog(log: RelayLog): RelayLog {
	return (level, message) => {
		try {
			log(level, message);
		} catch {
			// A broken log sink must not take down routing.
		}
	};
}
