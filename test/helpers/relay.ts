/**
 * Starts a relay for a test on 127.0.0.1 with a free port, and stops it.
 *
 * Usage: `const relay = await startTestRelay(); ... await relay.close();` (or pass it to
 * `afterEach`). Set `RELAY_LOG=1` to print the relay's log lines while debugging.
 */
import { type RelayHandle, type RelayOptions, startRelay } from "../../electron/engine/relay";

/** Starts a relay bound to 127.0.0.1 on a free port; `opts` override anything but host/port. */
export function startTestRelay(opts: Omit<RelayOptions, "host" | "port"> = {}): Promise<RelayHandle> {
	const log: RelayOptions["log"] =
		opts.log ?? (process.env.RELAY_LOG ? (level, message) => console.log(`[relay ${level}] ${message}`) : undefined);
	return startRelay({ ...opts, log, host: "127.0.0.1", port: 0 });
}
