/**
 * moq-relay compatible JWTs (HMAC, verified with node:crypto; no JWT library needed).
 *
 * Claims follow moq-token: `root` is the path prefix the token is scoped to, `put` the paths
 * (relative to root) it may publish, `get` the paths it may subscribe to, `exp`/`nbf`/`iat` in
 * seconds. `pub`/`sub` are accepted as aliases of `put`/`get`, and a single string for a list.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import * as z from "zod";
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

const list = z
	.union([z.string(), z.array(z.string())])
	.optional()
	.transform((v) => (v === undefined ? undefined : typeof v === "string" ? [v] : v));

const ClaimsSchema = z.object({
	root: z.string().default(""),
	put: list,
	pub: list,
	get: list,
	sub: list,
	exp: z.number().optional(),
	nbf: z.number().optional(),
});

const HeaderSchema = z.object({ alg: z.string(), typ: z.string().optional() });

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
	const header = HeaderSchema.safeParse(decodeJson(headerPart));
	if (!header.success) throw unauthorized("malformed token header");
	const alg = header.data.alg;
	if (!(alg in HASHES)) throw unauthorized(`unsupported token algorithm ${JSON.stringify(alg)} (want HS256)`);
	const expected = createHmac(HASHES[alg as Alg], key).update(`${headerPart}.${payloadPart}`).digest();
	const actual = Buffer.from(signaturePart, "base64url");
	if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
		throw unauthorized("token signature does not match the relay's key");
	}
	const claims = ClaimsSchema.safeParse(decodeJson(payloadPart));
	if (!claims.success) throw unauthorized("malformed token claims");
	const c = claims.data;
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
