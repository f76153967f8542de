/**
 * Which WebSocket subprotocols the relay accepts, and how one is chosen.
 *
 * The list itself lives in transport/alpn.ts, shared with the client.
 */
import { selectSubprotocol } from "@moq/qmux";
import { MOQ_ALPNS } from "../transport/alpn";

/** Application protocols the relay accepts, in preference order (first match wins), like moq-relay. */
export const RELAY_PROTOCOLS: readonly string[] = MOQ_ALPNS;

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
