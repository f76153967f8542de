/**
 * MoQ over WebTransport HTTP/3 (QUIC on UDP) against the studio's relay, through the real
 * fails-components quiche transport: a Node engine session, and Debian's Chromium running the
 * published `<moq-watch>` (test/interop/watch-page) pinned by the hash the relay serves at
 * `/certificate.sha256`.
 *
 * They need the optional native addon `@fails-components/webtransport-transport-http3-quiche`,
 * whose install downloads a prebuilt binary from GitHub: where it is missing every test here is
 * reported by vitest as skipped with the reason ("HTTP/3 unavailable: install …"). To run them,
 * on a machine that reaches GitHub: `npm ci` (or `npm install --no-save
 * @fails-components/webtransport-transport-http3-quiche`), `npm ci --prefix test/interop/watch-page`,
 * then `npx vitest run test/transport/webtransport-h3.test.ts`.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as Moq from "@moq/net";
import { chromium } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { Logger } from "../../electron/engine/log/logger";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { Studio } from "../../electron/engine/studio";
import { openMoqConnection } from "../../electron/engine/transport/connect";
import { probeHttp3 } from "../../electron/engine/transport/webtransport";
import { CHROMIUM_PATH } from "../helpers/browser";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio } from "../helpers/studio";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, readString, until, within, writeGroup } from "../relay/clients";

quietLibraryLogs();

/** Why HTTP/3 cannot run here (probed the way the engine does), undefined when it can. */
const http3Missing = await probeHttp3();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

describe("MoQ over WebTransport HTTP/3", () => {
	it("a Node engine session reaches the relay over UDP on its WebSocket port number and carries MoQ both ways", { timeout: 60_000 }, async (ctx) => {
		if (http3Missing) return ctx.skip(http3Missing);
		const relayLines: string[] = [];
		const relay = await startTestRelay({ log: (level, message) => void relayLines.push(`${level} ${message}`) });
		cleanups.push(() => relay.close());
		expect(relay.webTransport.http3Port).toBe(relay.port);
		expect(relay.listeners).toContain(`udp ${relay.port} (webtransport http/3)`);

		// The studio's session on Automatic tries HTTP/3 first and keeps it.
		const studio = new Studio({ host: "web", logger: new Logger() });
		cleanups.push(() => studio.close());
		const origin = studio.origins.create("show");
		const producer = new Moq.Broadcast.Producer();
		cleanups.push(() => producer.close());
		const track = producer.createTrack("data");
		studio.origins.addBroadcast(origin.id, new LocalBroadcast("h3/show.hang", producer));
		const statuses: number[] = [];
		const id = studio.sessions.connect({ url: relay.url, publishOrigin: origin.id });
		studio.sessions.onStatus((sid, code) => sid === id && statuses.push(code));
		await until(() => statuses.includes(1), 15_000, "the session's first connect");
		expect(studio.sessions.get(id)).toMatchObject({ transport: "webtransport", transportKind: "webtransport-h3" });

		// A second connection pinned by the served hash subscribes over HTTP/3 too.
		const hash = await (await fetch(new URL("/certificate.sha256", relay.url))).text();
		const sub = await openMoqConnection(new URL(relay.url), { transport: "webtransport", certificateSha256: hash, timeoutMs: 10_000 });
		cleanups.push(() => sub.close());
		expect(sub.kind).toBe("webtransport-h3");
		const announced = sub.established.announced(Moq.Path.from("h3"));
		for (;;) {
			const entry = await within(announced.next(), 10_000, "the announcement");
			if (!entry || entry.active) break;
		}
		const frames = sub.established.consume(Moq.Path.from("h3/show.hang")).subscribe("data");
		const writer = setInterval(() => writeGroup(track, ["over quic"]), 50);
		cleanups.push(() => clearInterval(writer));
		expect(await readString(frames, 10_000)).toBe("over quic");
		expect(relayLines.filter((l) => l.includes("over webtransport-h3"))).toHaveLength(2);
	});
});

/** The `<moq-watch>` fixture page (see test/interop/moq-watch.test.ts). */
const PAGE_DIR = fileURLToPath(new URL("../interop/watch-page/", import.meta.url));

/** Bundles the fixture page with its own esbuild; fails (never skips) with the install command when missing. */
async function bundlePage(): Promise<string> {
	const missing = ["node_modules/@moq/watch/package.json", "node_modules/esbuild/package.json"].filter((p) => !existsSync(join(PAGE_DIR, p)));
	if (missing.length > 0) throw new Error(`the <moq-watch> fixture is not installed (missing ${missing.join(", ")}); run: npm ci --prefix test/interop/watch-page`);
	const esbuild = createRequire(join(PAGE_DIR, "package.json"))("esbuild") as {
		build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
	};
	const result = await esbuild.build({ absWorkingDir: PAGE_DIR, entryPoints: ["src/main.js"], bundle: true, format: "esm", target: "es2022", write: false, outfile: "main.js", logLevel: "silent" });
	return result.outputFiles[0]?.text ?? "";
}

async function servePage(html: string, bundle: string): Promise<{ server: Server; url: string }> {
	const server = createServer((req, res) => {
		const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
		const body = path === "/" ? html : path === "/main.js" ? bundle : undefined;
		if (body === undefined) return void res.writeHead(404).end();
		res.writeHead(200, { "content-type": path === "/" ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8", "cache-control": "no-store" }).end(body);
	});
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", resolve);
	});
	return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe("<moq-watch> in Chromium over WebTransport HTTP/3", () => {
	it("plays the studio's broadcast from the embedded relay over QUIC, pinned by /certificate.sha256", { timeout: 90_000 }, async (ctx) => {
		if (http3Missing) return ctx.skip(http3Missing);
		const bundle = await bundlePage();
		const dir = await tempDir("moq-h3-watch-");
		cleanups.push(() => dir.remove());
		const file = await makeH264Mp4(join(dir.dir, "h3.mp4"), 6);
		const t = await startTestStudio({ embeddedRelay: true, dataDir: join(dir.dir, "data") });
		cleanups.push(() => t.close());
		const relay = t.studio.embeddedRelay!;
		expect(relay.webTransport.http3Port).toBe(relay.port);
		const origin = t.studio.origins.list().find((o) => o.name === "studio")!;
		const publication = await t.studio.publishing.start({ originId: origin.id, path: "live/h3.hang", file, loop: true });
		cleanups.push(async () => void (await t.studio.publishing.stop(publication.id)));
		const page = await servePage(await readFile(join(PAGE_DIR, "index.html"), "utf8"), bundle);
		cleanups.push(() => new Promise<void>((resolve) => page.server.close(() => resolve())));

		// The shared launcher passes --disable-quic (no stray QUIC to the outside); WebTransport
		// over HTTP/3 needs QUIC, on loopback only here.
		const browser = await chromium.launch({
			executablePath: CHROMIUM_PATH,
			headless: true,
			args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
		});
		cleanups.push(() => browser.close());
		const tab = await browser.newPage();
		const logs: string[] = [];
		tab.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
		tab.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
		await tab.goto(`${page.url}?${new URLSearchParams({ url: relay.url, name: "live/h3.hang" })}`);
		type Probe = { status: string; transport?: string; videoFrames: number };
		const probe = () => tab.evaluate(() => (window as unknown as { moqWatchProbe(): Probe }).moqWatchProbe());
		const deadline = Date.now() + 60_000;
		let seen = await probe();
		while (!(seen.status === "connected" && seen.videoFrames > 10)) {
			if (Date.now() > deadline) throw new Error(`<moq-watch> did not play over HTTP/3; last: ${JSON.stringify(seen)}\n${logs.slice(-30).join("\n")}`);
			await new Promise((r) => setTimeout(r, 200));
			seen = await probe();
		}
		// WebTransport won @moq/net's race (the relay serves WebSocket on the same port number too).
		expect(seen.transport).toBe("webtransport");
	});
});
