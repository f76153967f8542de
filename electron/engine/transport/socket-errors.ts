/**
 * What a failed WebSocket connection becomes, in words a streamer understands: a socket error
 * (refused, unreachable, reset, TLS) or a refused upgrade (the relay's HTTP status and reason).
 * Kept apart from websocket.ts so the relay can word its in-process refusals the same way
 * without loading the client's TLS and WebSocket code.
 */
import { StudioError } from "../../../shared/errors";

/**
 * The error a refused upgrade becomes, from the relay's HTTP status and the first line of its
 * body: UNAUTHORIZED (401/403), LIMIT (503), CONNECT otherwise. The in-process link
 * (in-process.ts) reports its refusals through this too, so they read the same.
 */
export function upgradeRefused(status: number, body: string): StudioError {
	const detail = body.trim() ? `: ${body.trim().split("\n")[0]}` : "";
	if (status === 401 || status === 403) return new StudioError("UNAUTHORIZED", `the relay refused the credentials (HTTP ${status})${detail}`);
	if (status === 503) return new StudioError("LIMIT", `the relay is full (HTTP 503)${detail}`);
	return new StudioError("CONNECT", `the relay answered HTTP ${status}${detail}`);
}

/** Turns a socket error into words a streamer understands. */
export function describeSocketError(err: NodeJS.ErrnoException, where: string): StudioError {
	if (err instanceof StudioError) return err;
	switch (err.code) {
		case "ECONNREFUSED":
			return new StudioError("CONNECT", `connection refused by ${where} (is the relay running?)`, { cause: err });
		case "ENOTFOUND":
		case "EAI_AGAIN":
			return new StudioError("CONNECT", `host not found: ${where.split(":")[0]}`, { cause: err });
		case "ECONNRESET":
			return new StudioError("CONNECT", `connection reset by ${where}`, { cause: err });
		case "ETIMEDOUT":
			return new StudioError("TIMEOUT", `no answer from ${where}`, { cause: err });
		case "EHOSTUNREACH":
		case "ENETUNREACH":
			return new StudioError("CONNECT", `${where} is unreachable`, { cause: err });
		default:
			if (/handshake has timed out/i.test(err.message)) return new StudioError("TIMEOUT", `no answer from ${where}`, { cause: err });
			if (/certificate|self.signed|SSL|TLS/i.test(err.message)) return new StudioError("CERTIFICATE", `TLS failed with ${where}: ${err.message}`, { cause: err });
			return new StudioError("CONNECT", `${where}: ${err.message}`, { cause: err });
	}
}
