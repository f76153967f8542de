/**
 * Loading the relay's token key from a file.
 *
 * Format, chosen to interoperate with moq-token's key files while staying easy to make by hand:
 * - a JSON object with a `k` member (a symmetric JWK such as `{"kty":"oct","alg":"HS256","k":"..."}`):
 *   `k` is base64url and its decoded bytes are the HMAC secret;
 * - anything else: the file's bytes, verbatim, are the secret (so `head -c 32 /dev/urandom > key`
 *   works; note that `echo secret > key` includes the trailing newline in the secret).
 */
import { readFile } from "node:fs/promises";
import { StudioError } from "../../../shared/errors";

/** Parses key file contents per the format above. Throws INVALID_ARGUMENT for an empty key. */
export function parseJwtKey(bytes: Uint8Array): Uint8Array {
	let secret: Uint8Array = bytes;
	const text = Buffer.from(bytes).toString("utf8").trim();
	if (text.startsWith("{")) {
		let json: unknown;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		const k = typeof json === "object" && json !== null ? (json as { k?: unknown }).k : undefined;
		if (typeof k === "string") secret = new Uint8Array(Buffer.from(k, "base64url"));
		else if (json !== undefined) throw new StudioError("INVALID_ARGUMENT", 'JWK key file has no "k" member');
	}
	if (secret.byteLength === 0) throw new StudioError("INVALID_ARGUMENT", "the JWT key is empty");
	return secret;
}

/** Reads and parses a key file; IO errors become StudioError IO naming the file. */
export async function loadJwtKey(file: string): Promise<Uint8Array> {
	let bytes: Buffer;
	try {
		bytes = await readFile(file);
	} catch (err) {
		throw new StudioError("IO", `cannot read JWT key file ${file}: ${(err as Error).message}`, { cause: err });
	}
	return parseJwtKey(new Uint8Array(bytes));
}
