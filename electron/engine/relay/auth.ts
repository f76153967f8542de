/**
 * The admission decision for one WebSocket upgrade: who may connect and with what scope.
 */
import { isIP } from "node:net";
import { StudioError } from "../../../shared/errors";
import { type Scope, scopeFor } from "./scope";
import { verifyToken } from "./token";

/** True for addresses that only this machine can reach (127/8, ::1, IPv4-mapped loopback, localhost). */
export function isLoopback(host: string): boolean {
	const h = host.replace(/^\[|\]$/g, "").toLowerCase();
	if (h === "localhost" || h === "::1") return true;
	const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
	return isIP(v4) === 4 && v4.startsWith("127.");
}

/**
 * Refuses configurations that would expose an unauthenticated relay to the network.
 * Throws FORBIDDEN with the reason when `host` is not loopback and no key is configured.
 */
export function assertSafeListen(host: string, key: Uint8Array | undefined): void {
	if (key === undefined && !isLoopback(host)) {
		throw new StudioError(
			"FORBIDDEN",
			`refusing to listen on ${host} without a JWT key: anyone who can reach it could publish and subscribe; ` +
				"pass --jwt-key FILE or listen on 127.0.0.1",
		);
	}
}

/**
 * Decides whether a client may connect. With a key, a valid `?jwt=` token is required
 * (UNAUTHORIZED when missing, invalid or expired; FORBIDDEN when scoped elsewhere). Without a
 * key, only loopback peers are admitted, anonymously, with full access under their URL path.
 */
export function authorize(url: URL, remoteAddress: string | undefined, key: Uint8Array | undefined): Scope {
	const token = url.searchParams.get("jwt");
	if (key === undefined) {
		if (remoteAddress === undefined || !isLoopback(remoteAddress)) {
			throw new StudioError("FORBIDDEN", "anonymous clients are only accepted on loopback");
		}
		return scopeFor(url.pathname);
	}
	if (!token) throw new StudioError("UNAUTHORIZED", "this relay requires a ?jwt= token");
	return scopeFor(url.pathname, verifyToken(token, key));
}
