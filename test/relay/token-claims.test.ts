/**
 * Relay token claims are checked by hand (no zod on the relay's start-up path): every claim of
 * the wrong type is refused as UNAUTHORIZED "malformed", the moq-token aliases and shapes are read.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signToken, verifyToken } from "../../electron/engine/relay";
import { StudioError } from "../../shared/errors";

const KEY = new TextEncoder().encode("test-secret-of-reasonable-length");
/** Signs claims of any shape (signToken's type admits only well-formed ones). */
const sign = (claims: Record<string, unknown>) => signToken(claims, KEY);

/** A token with an arbitrary (possibly malformed) header, correctly signed. */
function withHeader(header: unknown, claims: unknown): string {
	const h = Buffer.from(JSON.stringify(header)).toString("base64url");
	const p = Buffer.from(JSON.stringify(claims)).toString("base64url");
	return `${h}.${p}.${createHmac("sha256", KEY).update(`${h}.${p}`).digest("base64url")}`;
}

function refusal(token: string): { code: string; message: string } | undefined {
	try {
		verifyToken(token, KEY);
		return undefined;
	} catch (err) {
		expect(err).toBeInstanceOf(StudioError);
		const e = err as StudioError;
		return { code: e.codeName, message: e.message };
	}
}

describe("relay token claims", () => {
	it("reads root, put/get, their pub/sub aliases, single strings and dates", () => {
		expect(verifyToken(signToken({}, KEY), KEY)).toEqual({ root: "", put: [], get: [], exp: undefined });
		expect(verifyToken(sign({ root: "r", put: "a", get: ["b", "c"], exp: 4e9, nbf: 1 }), KEY)).toEqual({ root: "r", put: ["a"], get: ["b", "c"], exp: 4e9 });
		expect(verifyToken(sign({ pub: ["x"], sub: "" }), KEY)).toMatchObject({ put: ["x"], get: [""] });
		// put wins over its alias, as moq-token reads them.
		expect(verifyToken(signToken({ put: ["p"], pub: ["q"] }, KEY), KEY).put).toEqual(["p"]);
		// Unknown claims are ignored.
		expect(verifyToken(signToken({ iat: 5, cluster: true }, KEY), KEY).root).toBe("");
	});

	it.each([
		["root", { root: 3 }],
		["put", { put: 5 }],
		["get", { get: ["a", 1] }],
		["pub", { pub: { a: 1 } }],
		["sub", { sub: null }],
		["exp", { exp: "soon" }],
		["nbf", { nbf: Number.NaN }],
	])("refuses a malformed %s claim", (_name, claims) => {
		expect(refusal(sign(claims))).toEqual({ code: "UNAUTHORIZED", message: "malformed token claims" });
	});

	it("refuses a payload that is not an object and a malformed header", () => {
		expect(refusal(withHeader({ alg: "HS256" }, [1, 2]))?.message).toBe("malformed token claims");
		expect(refusal(withHeader({ alg: "HS256" }, "root"))?.message).toBe("malformed token claims");
		expect(refusal(withHeader({ typ: "JWT" }, {}))?.message).toBe("malformed token header");
		expect(refusal(withHeader({ alg: "HS256", typ: 1 }, {}))?.message).toBe("malformed token header");
		expect(refusal(withHeader({ alg: "none" }, {}))?.message).toMatch(/unsupported token algorithm "none"/);
	});
});
