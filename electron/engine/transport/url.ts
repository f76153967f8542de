/**
 * Relay URLs as users type them, checked and turned into what the transport dials.
 */
import { StudioError } from "../../../shared/errors";

const SCHEMES = new Set(["http:", "https:", "ws:", "wss:"]);

/**
 * Parses a relay URL (`https://host/path`, `http://127.0.0.1:4443/`, or ws/wss); INVALID_ARGUMENT
 * otherwise. A `token` rides as `?jwt=`, replacing one already in the URL.
 */
export function parseRelayUrl(input: string, token?: string): URL {
	let url: URL;
	try {
		url = new URL(input);
	} catch {
		throw new StudioError("INVALID_ARGUMENT", `not a URL: ${JSON.stringify(input.slice(0, 200))}`);
	}
	if (!SCHEMES.has(url.protocol)) {
		throw new StudioError("INVALID_ARGUMENT", `unsupported relay URL scheme ${url.protocol} (use https:// or http://)`);
	}
	if (!url.hostname) throw new StudioError("INVALID_ARGUMENT", "the relay URL has no host");
	if (url.username || url.password) throw new StudioError("INVALID_ARGUMENT", "put credentials in the token, not in the URL");
	if (token !== undefined && token !== "") url.searchParams.set("jwt", token);
	url.hash = "";
	return url;
}

/** The WebSocket URL for a relay URL: http maps to ws and https to wss. */
export function webSocketUrl(url: URL): URL {
	const ws = new URL(url);
	if (ws.protocol === "http:") ws.protocol = "ws:";
	else if (ws.protocol === "https:") ws.protocol = "wss:";
	return ws;
}

/** Normalises a hex sha-256 fingerprint (`AB:CD:..` or `abcd..`) to lowercase hex; INVALID_ARGUMENT if it is not one. */
export function normaliseFingerprint(input: string): string {
	const hex = input.replace(/[:\s]/g, "").toLowerCase();
	if (!/^[0-9a-f]{64}$/.test(hex)) throw new StudioError("INVALID_ARGUMENT", "a certificate pin is a sha-256 hash: 64 hex digits");
	return hex;
}
