/**
 * The `<moq-watch>` interop page (./watch-page, `@moq/watch` from npm with its own `@moq/net`)
 * bundled and served on 127.0.0.1, for tests that check a broadcast plays in it. Bundling fails
 * with the install command when the fixture is missing; it never skips.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

const PAGE_DIR = fileURLToPath(new URL("./watch-page/", import.meta.url));
const INSTALL_COMMAND = "npm ci --prefix test/interop/watch-page";

/** What `window.moqWatchProbe()` (watch-page/src/main.js) returns, as far as these tests read it. */
export interface WatchProbe {
	status: "connecting" | "connected" | "disconnected";
	catalog: { video?: { renditions: Record<string, { codec: string; codedWidth?: number; codedHeight?: number }> } } | null;
	videoFrames: number;
	display: { width: number; height: number } | null;
	/** The video rendition the element chose. */
	track: string | null;
}

/** The served page: open `url(relay, broadcast)`; `close()` stops the server. */
export interface WatchPage {
	url(relay: string, broadcast: string): string;
	close(): Promise<void>;
}

/** Bundles the page with the fixture's esbuild and serves it on a free loopback port. */
export async function serveWatchPage(): Promise<WatchPage> {
	const missing = ["node_modules/@moq/watch/package.json", "node_modules/esbuild/package.json"].filter((p) => !existsSync(join(PAGE_DIR, p)));
	if (missing.length > 0) throw new Error(`the <moq-watch> interop fixture is not installed (missing ${missing.join(", ")}); run: ${INSTALL_COMMAND}`);
	const require = createRequire(join(PAGE_DIR, "package.json"));
	const esbuild = require("esbuild") as { build(options: Record<string, unknown>): Promise<{ outputFiles: { path: string; text: string }[] }> };
	const result = await esbuild.build({ absWorkingDir: PAGE_DIR, entryPoints: ["src/main.js"], bundle: true, format: "esm", target: "es2022", write: false, outfile: "main.js", logLevel: "silent" });
	const bundle = result.outputFiles.find((f) => f.path.endsWith("main.js"))?.text;
	if (!bundle) throw new Error("esbuild produced no main.js");
	const html = await readFile(join(PAGE_DIR, "index.html"), "utf8");
	const server: Server = createServer((req, res) => {
		const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
		if (path === "/" || path === "/index.html") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
		else if (path === "/main.js") res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(bundle);
		else res.writeHead(404).end();
	});
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", resolve);
	});
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
	return {
		url: (relay, broadcast) => `${base}?${new URLSearchParams({ url: relay, name: broadcast })}`,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

/** The element's state now. */
export function probeWatch(page: Page): Promise<WatchProbe> {
	return page.evaluate(() => (window as unknown as { moqWatchProbe(): WatchProbe }).moqWatchProbe());
}
