/**
 * The web host's media upload (`POST /upload?name=…`, the file's bytes as the body, the page's
 * token in the `x-studio-token` header): a browser cannot give the engine a path on its
 * machine, so Go Live from a file in the web host publishes a file uploaded into the recordings
 * folder. The answer is an {@link Envelope} as JSON, with an HTTP status that matches its code.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Envelope } from "../../shared/api";
import { StudioError, type ErrorName } from "../../shared/errors";
import { UPLOAD_TOKEN_HEADER } from "../../shared/media-file";
import { receiveMediaUpload } from "../engine/publishing/upload";
import type { Log } from "../engine/log/logger";
import { SECURITY_HEADERS } from "./static";

/** What {@link serveUpload} needs from the host. */
export interface UploadEndpoint {
	token: string;
	/** `HOST:PORT` values a page of this host sends as its Origin. */
	allowedHosts: ReadonlySet<string>;
	/** The recordings folder at the time of the upload. */
	folder: () => string;
	maxBytes: number;
	log: Log;
	/** Told the name of each file that arrived (to announce the folder changed). */
	uploaded: (name: string) => void;
}

const STATUS: Partial<Record<ErrorName, number>> = {
	INVALID_ARGUMENT: 400,
	UNAUTHORIZED: 401,
	FORBIDDEN: 403,
	ALREADY_EXISTS: 409,
	LIMIT: 413,
	MEDIA: 415,
};

function send(res: ServerResponse, status: number, envelope: Envelope): void {
	if (res.headersSent) return void res.end();
	res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": "application/json", "Cache-Control": "no-store", Connection: "close" });
	res.end(JSON.stringify(envelope));
}

/** The most of a refused body read and thrown away before the connection is cut instead. */
const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

/**
 * Reads and drops what is left of a refused request's body, so the browser, still sending,
 * receives the answer rather than a reset; a body too large to be worth it is cut off.
 */
function discardBody(req: IncomingMessage): void {
	if (req.destroyed || req.readableEnded) return;
	let discarded = 0;
	req.on("data", (chunk: Buffer) => {
		discarded += chunk.byteLength;
		if (discarded > MAX_DISCARDED_BYTES) req.destroy();
	});
	req.resume();
}

/** Why the request may not upload, or undefined. */
function refusal(req: IncomingMessage, endpoint: UploadEndpoint): StudioError | undefined {
	const origin = req.headers.origin;
	if (origin !== undefined && !endpoint.allowedHosts.has(origin.replace(/^http:\/\//, ""))) return new StudioError("FORBIDDEN", "uploads come from the studio's own page only");
	const given = Buffer.from(String(req.headers[UPLOAD_TOKEN_HEADER] ?? ""));
	const expected = Buffer.from(endpoint.token);
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) return new StudioError("UNAUTHORIZED", "the upload needs the studio's access token");
	return undefined;
}

/**
 * Answers one upload request. Never throws: every refusal is a typed error with its status
 * (401/403 without the page's token or from another origin, 413 too large, 415 not media, 400 a
 * bad name). A refused request's remaining body is read and discarded (up to 64 MiB) so the
 * browser sees the answer instead of a reset connection.
 */
export async function serveUpload(req: IncomingMessage, res: ServerResponse, endpoint: UploadEndpoint): Promise<void> {
	const fail = (err: unknown) => {
		const error = StudioError.from(err, "IO");
		endpoint.log.warn(`upload refused: ${error.codeName}: ${error.message}`);
		discardBody(req);
		send(res, STATUS[error.codeName] ?? 500, { ok: false, error: error.toInfo() });
	};
	const refused = refusal(req, endpoint);
	if (refused) return fail(refused);
	try {
		const url = new URL(req.url ?? "/", "http://localhost");
		const length = req.headers["content-length"];
		const result = await receiveMediaUpload({
			folder: endpoint.folder(),
			name: url.searchParams.get("name") ?? "",
			body: req,
			declaredBytes: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
			maxBytes: endpoint.maxBytes,
		});
		endpoint.log.info(`uploaded ${result.name} (${result.bytes} bytes) into the recordings folder`);
		endpoint.uploaded(result.name);
		send(res, 200, { ok: true, result });
	} catch (err) {
		fail(err);
	}
}
