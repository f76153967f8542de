/**
 * Interop (issue 7): the published `<moq-watch>` element from npm plays the studio's broadcast.
 *
 * The studio engine publishes a real H.264 + Opus file as a hang broadcast into its embedded
 * relay; Debian's Chromium opens a static page that renders `<moq-watch url=… name=…>` from
 * `@moq/watch` 0.4.6, bundled with esbuild from the self-contained fixture in `./watch-page`
 * (its own node_modules with its own `@moq/net` 0.2.x, so the app keeps one copy: 0.3.4).
 * Playback is proven through the element's public signals (connection, catalog, decoded frame
 * count) and by reading the pixels of the `<canvas>` it paints: not black, and changing.
 *
 * The fixture is installed by `npm ci --prefix test/interop/watch-page`; without it this test
 * fails with that command in its message, it never skips.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

/** The fixture package holding the page and its own copy of `@moq/watch`. */
const PAGE_DIR = fileURLToPath(new URL("./watch-page/", import.meta.url));
/** The command that installs the fixture (what the message of a missing install says). */
const INSTALL_COMMAND = "npm ci --prefix test/interop/watch-page";
const BROADCAST = "live/interop.hang";

/** What `window.moqWatchProbe()` in watch-page/src/main.js returns. */
interface Probe {
	status: "connecting" | "connected" | "disconnected";
	version: string | undefined;
	transport: "webtransport" | "websocket" | undefined;
	broadcast: "offline" | "loading" | "live";
	catalog: {
		video?: { renditions: Record<string, { codec: string; container?: { kind: string } }> };
		audio?: { renditions: Record<string, { codec: string }> };
	} | null;
	videoFrames: number;
	videoBytes: number;
	audioBytes: number;
	audioTimestamp: number | null;
	display: { width: number; height: number } | null;
	canvas: { width: number; height: number };
}

/** A coarse picture of the canvas: an 80x60 grid of luma values plus whole-canvas figures. */
interface Pixels {
	width: number;
	height: number;
	/** Mean luma, 0-255. */
	mean: number;
	/** Share of pixels brighter than near-black. */
	lit: number;
	/** Distinct colours among sampled pixels (quantized to 4 bits per channel). */
	colours: number;
	grid: number[];
}

/** Bundles the page's entry with the fixture's esbuild, in memory. Fails with the install command when missing. */
async function bundlePage(): Promise<string> {
	const missing = ["node_modules/@moq/watch/package.json", "node_modules/esbuild/package.json"].filter((p) => !existsSync(join(PAGE_DIR, p)));
	if (missing.length > 0) {
		throw new Error(`the <moq-watch> interop fixture is not installed (missing ${missing.join(", ")}); run: ${INSTALL_COMMAND}`);
	}
	const require = createRequire(join(PAGE_DIR, "package.json"));
	const esbuild = require("esbuild") as {
		build(options: Record<string, unknown>): Promise<{ outputFiles: { path: string; text: string }[] }>;
	};
	const result = await esbuild.build({
		absWorkingDir: PAGE_DIR,
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

/** Polls `read` until `ok` holds or the `deadline` (epoch ms) passes; the timeout error carries the last value seen. */
async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, deadline: number, what: string): Promise<T> {
	for (;;) {
		const value = await read();
		if (ok(value)) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

function probe(page: Page): Promise<Probe> {
	return page.evaluate(() => (window as unknown as { moqWatchProbe(): Probe }).moqWatchProbe());
}

function readPixels(page: Page): Promise<Pixels> {
	return page.evaluate(() => {
		const canvas = document.querySelector("moq-watch canvas") as HTMLCanvasElement | null;
		const ctx = canvas?.getContext("2d");
		if (!canvas || !ctx || canvas.width === 0 || canvas.height === 0) return { width: 0, height: 0, mean: 0, lit: 0, colours: 0, grid: [] };
		const { width, height } = canvas;
		const data = ctx.getImageData(0, 0, width, height).data;
		const luma = (i: number) => 0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0);
		let sum = 0;
		let lit = 0;
		const colours = new Set<number>();
		for (let i = 0; i < data.length; i += 4) {
			const y = luma(i);
			sum += y;
			if (y > 24) lit++;
			if ((i / 4) % 7 === 0) colours.add((((data[i] ?? 0) >> 4) << 8) | (((data[i + 1] ?? 0) >> 4) << 4) | ((data[i + 2] ?? 0) >> 4));
		}
		const grid: number[] = [];
		for (let gy = 0; gy < 60; gy++) {
			for (let gx = 0; gx < 80; gx++) {
				const x = Math.floor(((gx + 0.5) * width) / 80);
				const y = Math.floor(((gy + 0.5) * height) / 60);
				grid.push(Math.round(luma((y * width + x) * 4)));
			}
		}
		const pixels = width * height;
		return { width, height, mean: sum / pixels, lit: lit / pixels, colours: colours.size, grid };
	});
}

/** How many grid cells differ by more than a codec's noise between two samples. */
function changedCells(a: Pixels, b: Pixels): number {
	return a.grid.filter((v, i) => Math.abs(v - (b.grid[i] ?? v)) > 24).length;
}

/** Grid cells that must change for the picture to count as moving (testsrc's scrolling gradient and counter). */
const MOVING_CELLS = 20;

let t: TestStudio | undefined;
let browser: Browser | undefined;
let page: { server: Server; url: string } | undefined;
let dir: { dir: string; remove: () => Promise<void> } | undefined;
let file: string;

beforeAll(async () => {
	dir = await tempDir("moq-interop-watch-");
	// ~10 s of testsrc 320x240@30 H.264 (High, yuv420p, GOP 30, B-frames) + 48 kHz Opus, looped.
	[file, browser] = await Promise.all([makeH264Mp4(join(dir.dir, "interop.mp4"), 10), launchChromium(["--autoplay-policy=no-user-gesture-required"])]);
	t = await startTestStudio({ embeddedRelay: true, dataDir: join(dir.dir, "data") });
});

afterAll(async () => {
	await browser?.close();
	await t?.close();
	await new Promise<void>((resolve) => (page ? page.server.close(() => resolve()) : resolve()));
	await dir?.remove();
});

describe("<moq-watch> from npm plays the studio's broadcast", () => {
	it("connects to the embedded relay over WebSocket, reads the hang catalog and paints changing, non-black frames", { timeout: 40_000 }, async () => {
		// One budget for every wait, inside the test's timeout, so a stall fails with what was seen.
		const deadline = Date.now() + 32_000;
		const t0 = performance.now();
		const marks: string[] = [];
		const mark = (what: string) => marks.push(`${what} ${((performance.now() - t0) / 1000).toFixed(1)}s`);
		// Bundled here, not in beforeAll, so a missing fixture shows as this test failing (not
		// skipped) with the install command in its message.
		page = await servePage(await readFile(join(PAGE_DIR, "index.html"), "utf8"), await bundlePage());
		const studio = t!.studio;
		const relayUrl = studio.embeddedRelay!.url;
		const origin = studio.origins.list().find((o) => o.name === "studio");
		expect(origin, "the embedded relay's studio origin").toBeDefined();
		const publication = await studio.publishing.start({ originId: origin!.id, path: BROADCAST, file, loop: true });

		const tab = await browser!.newPage();
		const errors: string[] = [];
		const logs: string[] = [];
		tab.on("pageerror", (e) => errors.push(e.message));
		tab.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
		// The WebSocket subprotocol the relay picked (QMux draft + MoQ ALPN), seen through the DevTools protocol.
		const subprotocols: string[] = [];
		const cdp = await tab.context().newCDPSession(tab);
		cdp.on("Network.webSocketHandshakeResponseReceived", (e) => {
			const headers = e.response.headers as Record<string, string>;
			const chosen = Object.entries(headers).find(([k]) => k.toLowerCase() === "sec-websocket-protocol")?.[1];
			subprotocols.push(chosen ?? "(none)");
		});
		await cdp.send("Network.enable");
		try {
			mark("bundled");
			await tab.goto(`${page!.url}?${new URLSearchParams({ url: relayUrl, name: BROADCAST })}`);

			// Connected, catalog read, frames decoded.
			const live = await waitFor(() => probe(tab), (p) => p.status === "connected" && p.catalog !== null && p.videoFrames > 0, deadline, "a connection, the catalog and a decoded video frame");
			mark("first frame decoded");
			// The relay serves QMux over WebSocket only: @moq/net's WebTransport attempt fails, WebSocket wins.
			expect(live.transport).toBe("websocket");
			expect(live.version).toMatch(/lite|draft|moq/i);
			const alpn = logs.map((l) => /negotiated ALPN: (\S+)/.exec(l)?.[1]).find(Boolean);
			// A subprotocol was agreed (none would mean QMux's legacy wire format) and it names the MoQ version.
			expect(subprotocols.at(-1)).toMatch(new RegExp(`${live.version}$`));
			const video = Object.entries(live.catalog?.video?.renditions ?? {});
			const audio = Object.entries(live.catalog?.audio?.renditions ?? {});
			expect(video.map(([name, r]) => [name, r.codec.slice(0, 4), r.container?.kind])).toEqual([["video0", "avc1", "legacy"]]);
			expect(audio.map(([name, r]) => [name, r.codec])).toEqual([["audio0", "opus"]]);

			// The canvas shows the picture: not black, not a flat fill.
			const first = await waitFor(() => readPixels(tab), (p) => p.width > 0 && p.lit > 0.5 && p.colours >= 8, deadline, "a painted, non-black canvas");
			mark("painted");
			expect(first.mean).toBeGreaterThan(40);

			// And it moves: a later paint differs from the first one, and more frames were decoded.
			const later = await waitFor(() => readPixels(tab), (p) => p.lit > 0.5 && changedCells(first, p) >= MOVING_CELLS, deadline, "the canvas to change");
			mark("changed");
			const after = await waitFor(() => probe(tab), (p) => p.videoFrames >= live.videoFrames + 15 && p.audioBytes > 0 && p.audioTimestamp !== null, deadline, "more video frames and audio playing");
			// Audio decodes and plays: the worklet's playback position moves on.
			const heard = await waitFor(() => probe(tab), (p) => p.audioTimestamp !== null && p.audioTimestamp > (after.audioTimestamp ?? 0) + 200, deadline, "the audio playback position to advance");
			mark("more frames and audio");
			expect(heard.display).toEqual({ width: 320, height: 240 }); // the source's picture size

			process.stdout.write(
				`[interop] <moq-watch> ${heard.status} via ${heard.transport} (subprotocol ${subprotocols.join(" ")}), ALPN ${alpn}, version ${heard.version}; ` +
					`${heard.videoFrames} video frames (${heard.videoBytes} B), ${heard.audioBytes} audio B, audio at ${heard.audioTimestamp?.toFixed(0)} ms; ` +
					`canvas ${first.width}x${first.height} mean luma ${first.mean.toFixed(0)}, ${changedCells(first, later)}/4800 cells changed; ${marks.join(", ")}\n`,
			);
			expect(errors).toEqual([]);
			expect(logs.filter((l) => /decoder error|unsupported|no supported/i.test(l))).toEqual([]);
		} catch (err) {
			// Say what the element saw: the console carries @moq/net's connect and catalog logs.
			throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- progress: ${marks.join(", ") || "none"} ---\n--- page errors ---\n${errors.join("\n")}\n--- page console ---\n${logs.slice(-40).join("\n")}`, {
				cause: err,
			});
		} finally {
			await tab.close();
			await studio.publishing.stop(publication.id);
		}
	});
});
