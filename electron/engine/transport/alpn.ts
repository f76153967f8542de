/**
 * The MoQ application protocols (ALPNs / WebSocket subprotocols) the studio speaks, in one place
 * for the client and the relay. `@moq/net` does not export its ALPN constants, so they are
 * spelled out here as @moq/net 0.3.4 understands them: update this list when upgrading it.
 */

/**
 * Every protocol, newest moq-lite first. `moql` negotiates the version in SETUP (moq-lite-01/02
 * or moq-transport-14); `moq-lite-06-wip` is last so only a peer offering nothing else gets it.
 */
export const MOQ_ALPNS: readonly string[] = [
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

/** What a client offers by default: what @moq/net's own WebSocket connect offers (no draft 19, no work in progress). */
export const CLIENT_ALPNS: readonly string[] = MOQ_ALPNS.filter((p) => p !== "moqt-19" && p !== "moq-lite-06-wip");
