/**
 * Serves the built renderer from one folder, never outside it, with the security headers the
 * Electron window gets (a strict CSP, no framing, no sniffing).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";

const types: Record<string, string> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".json": "application/json",
	".svg": "image/svg+xml",
	".png": "image/png",
	".ico": "image/x-icon",
	".woff2": "font/woff2",
	".wasm": "application/wasm",
	".map": "application/json",
};

/** The Content-Security-Policy of the studio's page: scripts and connections to itself only. */
export const CONTENT_SECURITY_POLICY = [
	"default-src 'self'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data: blob:",
	"media-src 'self' blob: mediastream:",
	"worker-src 'self' blob:",
	"connect-src 'self'",
	"object-src 'none'",
	"base-uri 'none'",
	"form-action 'none'",
	"frame-ancestors 'none'",
].join("; ");

/** Headers every response of the web host carries. */
export const SECURITY_HEADERS: Record<string, string> = {
	"Content-Security-Policy": CONTENT_SECURITY_POLICY,
	"X-Content-Type-Options": "nosniff",
	"X-Frame-Options": "DENY",
	"Referrer-Policy": "no-referrer",
	"Cross-Origin-Opener-Policy": "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
};

/**
 * Answers a GET for a file under `root`. Unknown paths without an extension fall back to
 * `index.html` (the app routes on the client); anything resolving outside `root` is a 404.
 */
export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
	const base = resolve(root);
	let pathname: string;
	try {
		pathname = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
	} catch {
		// A malformed %-escape is the client's mistake, not a server failure worth an error log.
		return answer(res, 400, "bad request: malformed %-encoding in the path");
	}
	let file = resolve(join(base, normalize(pathname)));
	if (file !== base && !file.startsWith(base + sep)) return notFound(res);

	let info = await stat(file).catch(() => undefined);
	if (info?.isDirectory()) {
		file = join(file, "index.html");
		info = await stat(file).catch(() => undefined);
	}
	if (!info && extname(pathname) === "") {
		file = join(base, "index.html");
		info = await stat(file).catch(() => undefined);
	}
	if (!info?.isFile()) return notFound(res);

	res.writeHead(200, {
		...SECURITY_HEADERS,
		"Content-Type": types[extname(file)] ?? "application/octet-stream",
		"Content-Length": info.size,
		"Cache-Control": file.endsWith("index.html") ? "no-store" : "public, max-age=3600",
	});
	if (req.method === "HEAD") return void res.end();
	createReadStream(file).pipe(res);
}

function notFound(res: ServerResponse): void {
	answer(res, 404, "not found");
}

function answer(res: ServerResponse, status: number, text: string): void {
	res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8" });
	res.end(text);
}
