/**
 * Which WebSocket subprotocols the relay accepts, and how one is chosen.
 *
 * `@moq/net` does not export its ALPN constants from the package entry, so the list is spelled
 * out here; it mirrors what `Connection.accept` in @moq/net 0.3.4 understands (keep in sync when
 * upgrading). Preference is ours (first match wins), newest moq-lite first, like moq-relay.
 */
import { selectSubprotocol } from "@moq/qmux";

/**
 * Application protocols the relay accepts, in preference order. `moql` negotiates the version in
 * SETUP (moq-lite-01/02 or moq-transport-14); `moq-lite-06-wip` is last so it is only chosen when
 * a client offers nothing else.
 */
export const RELAY_PROTOCOLS: readonly string[] = [
	"moq-lite-05",
	"moq-lite-04",
	"moq-lite-03",
	"moql",
	"moqt-20",
	"moqt-19",
	"moqt-18",
	"moqt-17",
	"moqt-16",
	"moqt-15",
	"moq-lite-06-wip",
];

// Every protocol may ride any QMux draft the library knows (qmux-02, -01, -00).
const VERSIONS = Object.fromEntries(RELAY_PROTOCOLS.map((p) => [p, null]));

/**
 * Picks the `Sec-WebSocket-Protocol` value to accept from a client's offer, or `undefined` when
 * nothing matches (the upgrade must then be refused: accepting without a subprotocol would select
 * the legacy wire format and misread the client's frames). Bare `qmux-0x` / `webtransport` offers
 * are accepted too; the MoQ version is then negotiated in SETUP.
 */
export function selectRelaySubprotocol(offered: string | undefined): string | undefined {
	return selectSubprotocol(offered, { protocols: [...RELAY_PROTOCOLS], versions: VERSIONS, requireProtocol: false });
}
