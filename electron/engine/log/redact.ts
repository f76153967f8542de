/**
 * Secret redaction for anything that may be shown or logged.
 *
 * Relay tokens travel as `?jwt=` in URLs and sometimes appear bare (a JWT is three base64url
 * parts separated by dots); both forms are replaced so a token never leaves the engine in text.
 */

const QUERY_SECRET = /([?&](?:jwt|token|access_token|auth)=)[^&#\s"']+/gi;
const BARE_JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\b/g;
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/** The text with every token replaced by `[redacted]`. */
export function redact(text: string): string {
	return text.replace(QUERY_SECRET, "$1[redacted]").replace(BARE_JWT, "[redacted]").replace(BEARER, "$1[redacted]");
}

/** A URL string safe to show: its secret query parameters redacted. */
export function redactUrl(url: string | URL): string {
	return redact(typeof url === "string" ? url : url.toString());
}

/**
 * A relay URL as the studio shows it (session lists, events, the CLI, the log): the relay token
 * (`?jwt=`) removed entirely, since the token is kept apart (sealed at rest) and a placeholder
 * would only invite copying the URL back with it; any other secret-looking parameter redacted.
 */
export function displayRelayUrl(url: string | URL): string {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return redact(String(url));
	}
	parsed.searchParams.delete("jwt");
	return redact(parsed.toString());
}
