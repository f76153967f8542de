/**
 * moq-relay compatible JWTs (HMAC, verified with node:crypto; no JWT library needed).
 *
 * Claims follow moq-token: `root` is the path prefix the token is scoped to, `put` the paths
 * (relative to root) it may publish, `get` the paths it may subscribe to, `exp`/`nbf`/`iat` in
 * seconds. `pub`/`sub` are accepted as aliases of `put`/`get`, and a single string for a list.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { StudioError } from "../../../shared/errors";

/** The verified claims of a relay token. */
export interface RelayClaims {
	/** Path prefix the token is scoped to ("" is the whole relay). */
	root: string;
	/** Publish permissions, relative to `root`; "" allows everything under it. */
	put: string[];
	/** Subscribe permissions, relative to `root`; "" allows everything under it. */
	get: string[];
	/** Expiry, seconds since the epoch; absent means no expiry. */
	exp?: number;
}

const HASHES = { HS256: "sha256", HS384: "sha384", HS512: "sha512" } as const;
type Alg = keyof typeof HASHES;

// Checked by hand rather than with zod: the relay is the one engine path that needs no other zod
// schema, and loading zod added about 50 ms to `moq-studio relay`'s start-up (bench/cli-startup.ts).
type Claims = { root: string; put?: string[]; pub?: string[]; get?: string[]; sub?: string[]; exp?: number; nbf?: number };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A path list claim: absent, one string or an array of strings; `null` when malformed. */
function pathList(v: unknown): string[] | undefined | null {
	if (v === undefined) return undefined;
	if (typeof v === "string") return [v];
	return Array.isArray(v) && v.every((p) => typeof p === "string") ? (v as string[]) : null;
}

/** A numeric date claim: absent or a finite number; `null` when malformed. */
function seconds(v: unknown): number | undefined | null {
	if (v === undefined) return undefined;
	return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The claims of a decoded payload, or undefined when any known claim has the wrong type. */
function parseClaims(v: unknown): Claims | undefined {
	if (!isRecord(v)) return undefined;
	if (v.root !== undefined && typeof v.root !== "string") return undefined;
	const c: Claims = { root: v.root ?? "" };
	for (const name of ["put", "pub", "get", "sub"] as const) {
		const list = pathList(v[name]);
		if (list === null) return undefined;
		if (list !== undefined) c[name] = list;
	}
	for (const name of ["exp", "nbf"] as const) {
		const n = seconds(v[name]);
		if (n === null) return undefined;
		if (n !== undefined) c[name] = n;
	}
	return c;
}

/** The `alg` of a decoded header, or undefined when the header is malformed. */
function headerAlg(v: unknown): string | undefined {
	if (!isRecord(v) || typeof v.alg !== "string" || (v.typ !== undefined && typeof v.typ !== "string")) return undefined;
	return v.alg;
}

function decodeJson(part: string): unknown {
	try {
		return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
	} catch {
		return undefined;
	}
}

function unauthorized(message: string): StudioError {
	return new StudioError("UNAUTHORIZED", message);
}

/**
 * Verifies `token` against `key` and returns its claims. Throws UNAUTHORIZED (with a message
 * saying which check failed, never the key) for a malformed token, an algorithm other than
 * HS256/HS384/HS512, a bad signature, an expired token or one not yet valid.
 */
export function verifyToken(token: string, key: Uint8Array, nowSeconds = Date.now() / 1000): RelayClaims {
	const parts = token.split(".");
	if (parts.length !== 3) throw unauthorized("malformed token: expected three dot-separated parts");
	const [headerPart = "", payloadPart = "", signaturePart = ""] = parts;
	const alg = headerAlg(decodeJson(headerPart));
	if (alg === undefined) throw unauthorized("malformed token header");
	if (!(alg in HASHES)) throw unauthorized(`unsupported token algorithm ${JSON.stringify(alg)} (want HS256)`);
	const expected = createHmac(HASHES[alg as Alg], key).update(`${headerPart}.${payloadPart}`).digest();
	const actual = Buffer.from(signaturePart, "base64url");
	if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
		throw unauthorized("token signature does not match the relay's key");
	}
	const c = parseClaims(decodeJson(payloadPart));
	if (!c) throw unauthorized("malformed token claims");
	if (c.exp !== undefined && nowSeconds >= c.exp) throw unauthorized("token expired");
	if (c.nbf !== undefined && nowSeconds < c.nbf) throw unauthorized("token not valid yet");
	return { root: c.root, put: c.put ?? c.pub ?? [], get: c.get ?? c.sub ?? [], exp: c.exp };
}

/**
 * Signs claims into a token the relay accepts (HS256 unless told otherwise). Used by tests and
 * by tooling that mints tokens for the studio's own sessions.
 */
export function signToken(claims: Partial<RelayClaims> & Record<string, unknown>, key: Uint8Array, alg: Alg = "HS256"): string {
	const header = Buffer.from(JSON.stringify({ alg, typ: "JWT" })).toString("base64url");
	const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
	const signature = createHmac(HASHES[alg], key).update(`${header}.${payload}`).digest("base64url");
	return `${header}.${payload}.${signature}`;
}
