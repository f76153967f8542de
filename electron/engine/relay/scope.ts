/**
 * What one session may do, in relay-global paths, and the path arithmetic that enforces it.
 *
 * A client connects to `http://relay/<path>`: that URL path is the session's root, and every
 * broadcast path it publishes or sees is relative to it (like moq-relay). A token's `root` must be
 * a prefix of the URL path; its `put`/`get` lists (relative to the token root) are narrowed to the
 * URL path, so a token for `room` connecting at `/room/alice` with `put: ["alice"]` may publish
 * anything under its own root.
 */
import * as Moq from "@moq/net";
import { StudioError } from "../../../shared/errors";
import type { RelayClaims } from "./token";

type Path = Moq.Path.Valid;

/** A session's permissions. Immutable once the session is accepted. */
export interface Scope {
	/** Global path prefix of the session; everything it sees and publishes is relative to it. */
	readonly root: Path;
	/** Prefixes (relative to `root`) it may publish under. */
	readonly put: readonly Path[];
	/** Prefixes (relative to `root`) it may subscribe under. */
	readonly get: readonly Path[];
	/** When the token stops being valid (ms since the epoch), if it expires. */
	readonly expiresAt?: number;
}

/** Narrows allowed prefixes (relative to the token root) to the connection's `suffix`. */
function narrow(allowed: readonly string[], suffix: Path): Path[] {
	const out: Path[] = [];
	for (const raw of allowed) {
		const p = Moq.Path.from(raw);
		if (Moq.Path.hasPrefix(p, suffix)) out.push(Moq.Path.empty());
		else {
			const rest = Moq.Path.stripPrefix(suffix, p);
			if (rest !== null) out.push(rest);
		}
	}
	return out;
}

/**
 * The scope of a session connecting at URL path `urlPath`. Without claims (anonymous loopback
 * client) it may publish and subscribe anything under its root. Throws FORBIDDEN when the URL
 * path is outside the token's root or the token grants nothing there.
 */
export function scopeFor(urlPath: string, claims?: RelayClaims): Scope {
	const root = Moq.Path.from(decodeURIComponent(urlPath));
	if (!claims) return { root, put: [Moq.Path.empty()], get: [Moq.Path.empty()] };
	const suffix = Moq.Path.stripPrefix(Moq.Path.from(claims.root), root);
	if (suffix === null) {
		throw new StudioError("FORBIDDEN", `token is scoped to /${claims.root}, not /${root}`);
	}
	const put = narrow(claims.put, suffix);
	const get = narrow(claims.get, suffix);
	if (put.length === 0 && get.length === 0) {
		throw new StudioError("FORBIDDEN", `token grants neither publish nor subscribe under /${root}`);
	}
	return { root, put, get, expiresAt: claims.exp !== undefined ? claims.exp * 1000 : undefined };
}

function allowed(prefixes: readonly Path[], rel: Path): boolean {
	return prefixes.some((p) => Moq.Path.hasPrefix(p, rel));
}

/** True when the session may publish at `rel` (relative to its root). */
export function canPublish(scope: Scope, rel: Path): boolean {
	return allowed(scope.put, rel);
}

/**
 * The path under which the session sees global broadcast `global`, or `undefined` when the
 * broadcast is outside its root or its subscribe permissions.
 */
export function visiblePath(scope: Scope, global: Path): Path | undefined {
	const rel = Moq.Path.stripPrefix(scope.root, global);
	if (rel === null || rel === "" || !allowed(scope.get, rel)) return undefined;
	return rel;
}
