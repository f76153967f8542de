/**
 * The embedded MoQ relay: WebSocket (QMux) transport, announcement routing with prefix filtering,
 * one upstream subscription per track fanned out to every subscriber, publisher takeover, limits
 * and moq-relay compatible JWT auth. Runs in plain Node; never imports `electron`.
 */
export { CLOSE_OK, closeCodeFor } from "./close-codes";
export { loadJwtKey, parseJwtKey } from "./key";
export type { RelayLog, RelayLogLevel } from "./log";
export { DEFAULT_LIMITS, DEFAULT_QMUX_CONFIG, type RelayLimits, type RelayOptions } from "./options";
export { RELAY_PROTOCOLS } from "./protocols";
export type { RouteStats } from "./route";
export { type RelayHandle, type RelayStats, startRelay, startRelayWithFallback } from "./server";
export { type RelayClaims, signToken, verifyToken } from "./token";
export { isLoopback } from "./auth";
