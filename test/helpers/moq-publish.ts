/**
 * A static page rendering the published `<moq-publish>` element from npm (`@moq/publish` 0.2.17,
 * bundled with esbuild from the self-contained fixture in test/interop/publish-page, which has its
 * own `@moq/net` 0.1.x so the app keeps one copy), publishing Chromium's fake camera and microphone
 * to a relay. Used by test/interop/moq-publish.test.ts (the studio records it) and
 * test/interop/moq-publish-watch.test.ts (the studio's Monitor watches it); reusable by any test
 * that needs a third-party publisher.
 *
 * A browser passed in must have been launched with fake media devices: {@link MOQ_PUBLISH_CHROMIUM_ARGS}.
 * A missing fixture fails with the install command in the message; it never skips.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./browser";

/** The fixture package holding the page and its own copy of `@moq/publish`. */
export const PUBLISH_PAGE_DIR = fileURLToPath(new URL("../interop/publish-page/", import.meta.url));
/** The command that installs the fixture (what the message of a missing install says). */
export const PUBLISH_PAGE_INSTALL = "npm ci --prefix test/interop/publish-page";
/** Chromium flags for a fake camera (30 fps test pattern) and microphone (a beep), granted without a prompt. */
export const MOQ_PUBLISH_CHROMIUM_ARGS = ["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"];

/** What `window.moqPublishProbe()` in publish-page/src/main.js returns. */
export interface MoqPublishProbe {
	status: "connecting" | "connected" | "disconnected";
	/** The negotiated MoQ version (e.g. `moq-lite-05`), once connected. */
	version: string | undefined;
	name: string;
	/** Whether the element announces the broadcast (connected to the DOM and a source chosen). */
	announced: boolean;
	/** Labels of the captured tracks, null until getUserMedia gave them. */
	videoSource: string | null;
	audioSource: string | null;
	/** Whether a subscriber is being served encoded video / audio. */
	videoActive: boolean;
	audioActive: boolean;
	/** The hang catalog sections the element publishes (renditions keyed by track name). */
	videoCatalog: { renditions: Record<string, { codec: string; codedWidth?: number; codedHeight?: number; container?: { kind: string } }>; display?: { width: number; height: number } } | null;
	audioCatalog: { renditions: Record<string, { codec: string; sampleRate: number; numberOfChannels: number; description?: string }> } | null;
}

/**
 * True once the element is connected, announces its broadcast and has both catalog sections with
 * their renditions (`video/hd`, `audio/data`): a subscriber (a recording, the studio's Monitor) can
 * start. The video section exists as soon as the camera gives a frame; its rendition only once the
 * encoder is chosen.
 */
export function moqPublishIsLive(p: MoqPublishProbe): boolean {
	return p.status === "connected" && p.announced && p.videoCatalog?.renditions["video/hd"] !== undefined && p.audioCatalog?.renditions["audio/data"] !== undefined;
}

/** A `<moq-publish>` page that is live (or trying to be); `close` stops publishing and the page server (safe to call twice). */
export interface MoqPublishPage {
	page: Page;
	/** The `<moq-publish>` element's state. */
	probe(): Promise<MoqPublishProbe>;
	/** The page's uncaught errors and console lines, for failure messages. */
	errors: string[];
	logs: string[];
	/** WebSocket subprotocols the relay chose, seen through the DevTools protocol. */
	subprotocols: string[];
	close(): Promise<void>;
}

/** Bundles the page's entry with the fixture's esbuild, in memory. Fails with the install command when missing. */
export async function bundlePublishPage(): Promise<string> {
	const missing = ["node_modules/@moq/publish/package.json", "node_modules/esbuild/package.json"].filter((p) => !existsSync(join(PUBLISH_PAGE_DIR, p)));
	if (missing.length > 0) {
		throw new Error(`the <moq-publish> interop fixture is not installed (missing ${missing.join(", ")}); run: ${PUBLISH_PAGE_INSTALL}`);
	}
	const require = createRequire(join(PUBLISH_PAGE_DIR, "package.json"));
	const esbuild = require("esbuild") as {
		build(options: Record<string, unknown>): Promise<{ outputFiles: { path: string; text: string }[] }>;
	};
	const result = await esbuild.build({
		absWorkingDir: PUBLISH_PAGE_DIR,
		entryPoints: ["src/main.js"],
		bundle: true,
		format: "esm",
		target: "es2022",
		write: false,
		outfile: "main.js",
		logLevel: "silent",
	});
	const out = result.outputFiles.find((f) => f.path.endsWith("main.js"));
	if (!out) throw new Error("esbuild produced no main.js");
	return out.text;
}

/** Serves index.html and the bundle on 127.0.0.1 and a free port. */
async function servePage(html: string, bundle: string): Promise<{ server: Server; url: string }> {
	const server = createServer((req, res) => {
		const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
		if (path === "/" || path === "/index.html") {
			res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
			res.end(html);
		} else if (path === "/main.js") {
			res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" });
			res.end(bundle);
		} else {
			res.writeHead(404).end();
		}
	});
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", resolve);
	});
	return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/**
 * Opens a tab rendering `<moq-publish url=relayUrl name=name source="camera">`: it captures the
 * fake camera and microphone and publishes them as a hang broadcast. Uses `browser` when given (it
 * must have been launched with {@link MOQ_PUBLISH_CHROMIUM_ARGS}), else launches Debian's Chromium
 * with them and closes it in `close`. Returns as soon as the page is loaded; poll `probe()` (or the
 * relay's announcements) for progress.
 */
export async function startMoqPublishPage(options: { relayUrl: string; name: string; browser?: Browser }): Promise<MoqPublishPage> {
	const bundle = await bundlePublishPage();
	const served = await servePage(await readFile(join(PUBLISH_PAGE_DIR, "index.html"), "utf8"), bundle);
	let ownBrowser: Browser | undefined;
	let context: BrowserContext | undefined;
	let closing: Promise<void> | undefined;
	// Idempotent: stops publishing (closing the tab's context closes its WebSocket), then the browser it launched and the page server.
	const closeAll = () =>
		(closing ??= (async () => {
			await context?.close().catch(() => {});
			await ownBrowser?.close().catch(() => {});
			await new Promise<void>((resolve) => served.server.close(() => resolve()));
		})());
	try {
		const browser = options.browser ?? (ownBrowser = await launchChromium(MOQ_PUBLISH_CHROMIUM_ARGS));
		context = await browser.newContext({ permissions: ["camera", "microphone"] });
		const page = await context.newPage();
		const errors: string[] = [];
		const logs: string[] = [];
		const subprotocols: string[] = [];
		page.on("pageerror", (e) => errors.push(e.message));
		page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
		const cdp = await context.newCDPSession(page);
		cdp.on("Network.webSocketHandshakeResponseReceived", (e) => {
			const headers = e.response.headers as Record<string, string>;
			subprotocols.push(Object.entries(headers).find(([k]) => k.toLowerCase() === "sec-websocket-protocol")?.[1] ?? "(none)");
		});
		await cdp.send("Network.enable");
		await page.goto(`${served.url}?${new URLSearchParams({ url: options.relayUrl, name: options.name })}`);
		return {
			page,
			errors,
			logs,
			subprotocols,
			probe: () => page.evaluate(() => (window as unknown as { moqPublishProbe(): MoqPublishProbe }).moqPublishProbe()),
			close: closeAll,
		};
	} catch (err) {
		await closeAll();
		throw err;
	}
}
