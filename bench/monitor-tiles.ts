/**
 * Monitor tiles benchmark (issue 10): what watching N broadcasts costs in the studio's Monitor
 * against the published `<moq-watch>` element (the anchor) playing the same broadcasts in the
 * same Chromium, in the same run.
 *
 * Media: 720p30 H.264 (libx264, GOP 60, no B-frames, ~3 Mb/s, film-like noise so x264 keeps its
 * rate) plus Opus, made once with Debian's ffmpeg and cached in $TMPDIR/moq-bench. The engine
 * (a `Studio` with its embedded relay and web host, in this process) publishes 9 copies in a loop
 * (`publishing.start`, `bench/tile-N.hang`) for the whole run, watched or not.
 *
 * Variants, one at a time in the same headless Debian Chromium (`--disable-gpu`, software decode
 * for both), for N = 1, 4 and 9 tiles, in the order studio, anchor, anchor, studio (so drift and
 * neighbours land on both alike), each after unreported warm-up seconds:
 * - studio: the built renderer through the web host; Broadcasts -> Watch for each of the N
 *   broadcasts, so the Monitor view shows N tiles (engine subscription -> media channel
 *   WebSocket -> decode worker -> OffscreenCanvas).
 * - anchor: a page with N `<moq-watch>` elements (`@moq/watch` from the fixture in
 *   test/interop/watch-page, bundled with its own esbuild), each connected to the relay itself.
 * - idle (the floor of both): Chromium on about:blank while the engine publishes the same 9.
 *
 * CPU: this process (engine, relay, web host, publishers: process.cpuUsage) plus every Chromium
 * process (browser, renderers, GPU, utility: utime+stime of this process's descendants read
 * from /proc), in % of one core. Per tile = (variant - idle) / N. Ratio = studio / anchor.
 *
 * Delay (studio only): from a frame's arrival in the engine (the monitor message's `arrivalMs`)
 * to its paint on the tile's canvas, per painted frame, p50/p99. Measured from outside the
 * product: each decode worker is instrumented through the DevTools protocol (a wrapper on
 * `MessageEvent#data` reads the 32-byte monitor header, a wrapper on the OffscreenCanvas
 * `drawImage` takes the paint time of the VideoFrame with that timestamp), so nothing in the
 * renderer changes for the benchmark. Skipped: the engine's `skippedGroups`/`skippedFrames`
 * (backpressure) over the measured slot, and the worker's `waitedOut` and decode errors; decoded
 * frames not painted (the paint loop keeps only the newest per animation frame) are reported too.
 * Frames painted per second per tile, for both (the anchor page counts its VideoDecoder outputs and
 * VideoFrame `drawImage`s from a classic script that runs before `<moq-watch>`), and CPU ms per
 * painted frame, which evens out a player that keeps up with fewer frames.
 *
 * Goals printed: studio CPU per tile <= anchor's (ratio <= 1); 4 tiles with 0 frames skipped.
 * Wall-clock figures are printed, never asserted. An anchor slot whose page stops answering (20 s)
 * or crashes is printed as FAILED and the run goes on: a player that cannot keep N tiles up is a
 * result. Exits 1 when a studio slot failed or a slot showed no frames at all (a broken run).
 *
 * Run: npm run build && npx esbuild bench/monitor-tiles.ts --bundle --platform=node --format=esm \
 *        --packages=external --outfile=out/bench/monitor-tiles.mjs && node out/bench/monitor-tiles.mjs
 * Env: BENCH_TILES (comma list, default 1,4,9), BENCH_SECONDS (measured s per slot, default 10),
 *      BENCH_WARMUP_SECONDS (default 4), BENCH_RES (720 default, or e.g. 180 for the quick
 *      variant), BENCH_IDLE_SECONDS (default 5), BENCH_ANCHOR_PLAIN=1 (the anchor page without its
 *      frame-counting script; its frames are then the ones `<moq-watch>` received).
 * Needs the fixture: npm ci --prefix test/interop/watch-page.
 */
import "../electron/engine/polyfill";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Browser, Page, Worker } from "playwright-core";
import { launchChromium } from "../test/helpers/browser";
import { startTestStudio, type TestStudio } from "../test/helpers/studio";

const TILES = (process.env.BENCH_TILES ?? "1,4,9").split(",").map(Number).filter((n) => n > 0);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 4);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 5);
const RES = Number(process.env.BENCH_RES ?? 720);
const WIDTH = Math.round((RES * 16) / 9 / 2) * 2;
const FPS = 30;
const GOP = 60;
/** ~3 Mb/s at 720p, scaled by area for other sizes. */
const BITRATE = Math.max(200_000, Math.round((3_000_000 * WIDTH * RES) / (1280 * 720)));
const MAX_TILES = Math.max(...TILES);
const WATCH_PAGE_DIR = resolve("test/interop/watch-page");
const CLK_TCK = 100;

/** What the run is doing, for messages about stray errors. */
let phase = "setup";
const print = (line: string) => process.stdout.write(`${line}\n`);
const started = performance.now();
/** Progress on stderr (the report stays on stdout). */
const progress = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const run = promisify(execFile);
const broadcastPath = (i: number) => `bench/tile-${i}.hang`;

// ---------------------------------------------------------------- media

/** Makes (once) the test file: H.264 GOP 60 without B-frames at ~3 Mb/s (720p) plus Opus. */
async function makeMedia(): Promise<string> {
	const seconds = 10;
	const dir = join(tmpdir(), "moq-bench");
	const file = join(dir, `monitor-${RES}p30-gop${GOP}-${seconds}s.mp4`);
	if (existsSync(file)) return file;
	await mkdir(dir, { recursive: true });
	print(`making ${file} with ffmpeg (once)...`);
	const partial = `${file}.part.mp4`;
	await run("ffmpeg", [
		"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", `testsrc2=size=${WIDTH}x${RES}:rate=${FPS}`,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", String(seconds),
		"-vf", "noise=alls=12:allf=t",
		"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
		"-g", String(GOP), "-keyint_min", String(GOP), "-sc_threshold", "0",
		"-b:v", String(BITRATE), "-maxrate", String(BITRATE), "-bufsize", String(BITRATE), "-pix_fmt", "yuv420p",
		"-c:a", "libopus", "-b:a", "96k", "-ac", "2",
		partial,
	]);
	await rename(partial, file);
	return file;
}

// ---------------------------------------------------------------- CPU

/** A descendant process's CPU so far: its kind (Chromium's `--type=`, or `browser`) and utime+stime in clock ticks. */
interface ProcTicks {
	kind: string;
	ticks: number;
}

/** Every descendant of this process, keyed by pid and start time (so a reused pid is a new process). */
function childTicks(): Map<string, ProcTicks> {
	const parent = new Map<number, number>();
	const ticks = new Map<number, { key: string; ticks: number }>();
	for (const name of readdirSync("/proc")) {
		if (!/^\d+$/.test(name)) continue;
		try {
			const stat = readFileSync(`/proc/${name}/stat`, "utf8");
			// Fields after the command (which may contain spaces and parentheses).
			const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
			const pid = Number(name);
			parent.set(pid, Number(rest[1]));
			ticks.set(pid, { key: `${pid}:${rest[19]}`, ticks: Number(rest[11]) + Number(rest[12]) });
		} catch {
			// the process ended while listing
		}
	}
	const out = new Map<string, ProcTicks>();
	for (const [pid, t] of ticks) {
		let p = parent.get(pid);
		for (let depth = 0; p !== undefined && p > 1 && depth < 16; depth++) {
			if (p === process.pid) {
				out.set(t.key, { kind: processKind(pid), ticks: t.ticks });
				break;
			}
			p = parent.get(p);
		}
	}
	return out;
}

/** `renderer`, `gpu-process`, `utility`, `zygote`... from Chromium's command line; `browser` without `--type`. */
function processKind(pid: number): string {
	try {
		// Chromium rewrites its child processes' titles: the arguments may be one space-separated string.
		const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/);
		const type = cmd.find((a) => a.startsWith("--type="))?.slice(7);
		const sub = cmd.find((a) => a.startsWith("--utility-sub-type="))?.slice(19).split(".").at(-1);
		return type ? (sub ? `${type}:${sub}` : type) : /chrom/i.test(cmd[0] ?? "") ? "browser" : "other";
	} catch {
		return "gone";
	}
}

/** CPU used over an interval, in % of one core. */
interface CpuUse {
	/** This process: engine, relay, web host, publishers. */
	enginePct: number;
	/** All of Chromium. */
	chromiumPct: number;
	totalPct: number;
	/** Chromium by process kind. */
	byKind: Record<string, number>;
	wallMs: number;
}

/** Starts a CPU meter over this process and its descendants (Chromium); the returned function reads it. */
function startCpu(): () => CpuUse {
	const t0 = performance.now();
	const u0 = process.cpuUsage();
	const c0 = childTicks();
	return () => {
		const wallMs = performance.now() - t0;
		const u = process.cpuUsage(u0);
		const pct = (ticks: number) => (((ticks / CLK_TCK) * 1000) / wallMs) * 100;
		let ticks = 0;
		const byKind: Record<string, number> = {};
		// Processes that started during the interval count from 0; ones that ended are lost (none should: tabs stay open).
		for (const [key, now] of childTicks()) {
			const d = now.ticks - (c0.get(key)?.ticks ?? 0);
			ticks += d;
			byKind[now.kind] = (byKind[now.kind] ?? 0) + pct(d);
		}
		const enginePct = ((u.user + u.system) / 1000 / wallMs) * 100;
		const chromiumPct = pct(ticks);
		return { enginePct, chromiumPct, totalPct: enginePct + chromiumPct, byKind, wallMs };
	};
}

/** The page's main-thread busy time (CDP Performance metrics), to read over an interval as % of one core. */
async function startMainThread(page: Page): Promise<() => Promise<{ taskPct: number; scriptPct: number }>> {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send("Performance.enable");
	const read = async () => {
		// A saturated renderer may not answer: NaN rather than a hung run.
		const answer = await Promise.race([cdp.send("Performance.getMetrics"), sleep(10_000).then(() => ({ metrics: [] as { name: string; value: number }[] }))]);
		const metrics = answer.metrics.length > 0 ? answer.metrics : [{ name: "TaskDuration", value: Number.NaN }, { name: "ScriptDuration", value: Number.NaN }];
		const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
		return { task: get("TaskDuration"), script: get("ScriptDuration"), at: performance.now() };
	};
	const a = await read();
	return async () => {
		const b = await read();
		const s = (b.at - a.at) / 1000;
		return { taskPct: ((b.task - a.task) / s) * 100, scriptPct: ((b.script - a.script) / s) * 100 };
	};
}

// ---------------------------------------------------------------- anchor page

/** Bundles a page with N `<moq-watch>` elements (names from `?names=`), from the watch-page fixture. */
async function bundleAnchor(): Promise<string> {
	if (!existsSync(join(WATCH_PAGE_DIR, "node_modules/@moq/watch/package.json"))) {
		throw new Error("the <moq-watch> fixture is not installed; run: npm ci --prefix test/interop/watch-page");
	}
	const require = createRequire(join(WATCH_PAGE_DIR, "package.json"));
	const esbuild = require("esbuild") as { build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }> };
	const source = `
import "@moq/watch/element";
const params = new URLSearchParams(location.search);
const watches = [];
for (const name of (params.get("names") ?? "").split(",").filter(Boolean)) {
	const watch = document.createElement("moq-watch");
	watch.setAttribute("visible", "always");
	watch.setAttribute("name", name);
	watch.setAttribute("url", params.get("url") ?? "");
	watch.append(document.createElement("canvas"));
	document.body.append(watch);
	watches.push(watch);
}
window.benchProbe = () => ({ ...(window.__bench ?? { decoded: 0, painted: 0 }), tiles: watches.map((w) => ({ received: w.video.out.stats.peek()?.frameCount ?? 0, status: w.connection.status.peek() })) });
`;
	const result = await esbuild.build({
		stdin: { contents: source, resolveDir: WATCH_PAGE_DIR, sourcefile: "anchor.js", loader: "js" },
		bundle: true,
		format: "esm",
		target: "es2022",
		write: false,
		logLevel: "silent",
	});
	return result.outputFiles[0]!.text;
}

/**
 * The anchor page. The classic script runs before the module: it counts, without changing them,
 * the frames the page's VideoDecoders output and the VideoFrames drawn on a canvas (what
 * `<moq-watch>` paints), the same two counts the studio's decode workers give.
 */
const ANCHOR_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>anchor</title><link rel="icon" href="data:,">
<style>body{margin:0;background:#222;display:grid;grid-template-columns:repeat(3,400px);gap:8px}moq-watch,canvas{width:400px;height:225px;display:block}</style>
<script>
window.__bench = { decoded: 0, painted: 0 };
const BenchDecoder = window.VideoDecoder;
window.VideoDecoder = class extends BenchDecoder {
	constructor(init) { super({ ...init, output: (frame) => { window.__bench.decoded++; init.output(frame); } }); }
};
const benchDraw = CanvasRenderingContext2D.prototype.drawImage;
CanvasRenderingContext2D.prototype.drawImage = function (image, ...rest) {
	if (image instanceof VideoFrame) window.__bench.painted++;
	return benchDraw.call(this, image, ...rest);
};
</script>
</head><body><script type="module" src="./main.js"></script></body></html>`;

async function serveAnchor(bundle: string): Promise<{ server: Server; url: string }> {
	const server = createServer((req, res) => {
		const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
		// BENCH_ANCHOR_PLAIN=1: without the counting script (then frames are what <moq-watch> received).
		if (path === "/") res.writeHead(200, { "content-type": "text/html" }).end(process.env.BENCH_ANCHOR_PLAIN ? ANCHOR_HTML.replace(/<script>[\s\S]*?<\/script>/, "") : ANCHOR_HTML);
		else if (path === "/main.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
		else res.writeHead(404).end();
	});
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

// ---------------------------------------------------------------- studio page instrumentation

/**
 * Instruments one decode worker (in its global scope; the product's code is untouched): records
 * the engine arrival of each video message by timestamp, and the delay to the `drawImage` of the
 * VideoFrame with that timestamp; keeps the worker's latest `stats` message.
 */
async function instrumentWorker(worker: Worker): Promise<void> {
	await worker.evaluate(() => {
		const g = self as unknown as Record<string, unknown> & { postMessage(m: unknown, t?: Transferable[]): void };
		if (g.__bench) return;
		const bench = { delays: [] as number[], arrivals: new Map<number, number>(), stats: null as unknown };
		g.__bench = bench;
		const data = Object.getOwnPropertyDescriptor(MessageEvent.prototype, "data")!;
		Object.defineProperty(MessageEvent.prototype, "data", {
			configurable: true,
			get(this: MessageEvent) {
				const v: unknown = data.get!.call(this);
				if (v instanceof ArrayBuffer && v.byteLength >= 32) {
					const dv = new DataView(v);
					// Monitor message version 1, type 0 (video): timestamp f64 at 16, arrival f64 at 24.
					if (dv.getUint8(0) === 1 && dv.getUint8(1) === 0) {
						bench.arrivals.set(dv.getFloat64(16), dv.getFloat64(24));
						if (bench.arrivals.size > 600) bench.arrivals.delete(bench.arrivals.keys().next().value!);
					}
				}
				return v;
			},
		});
		const proto = OffscreenCanvasRenderingContext2D.prototype as unknown as { drawImage(...args: unknown[]): void };
		const draw = proto.drawImage;
		proto.drawImage = function (this: unknown, ...args: unknown[]) {
			draw.apply(this, args);
			const frame = args[0];
			if (typeof VideoFrame !== "undefined" && frame instanceof VideoFrame && frame.timestamp !== null) {
				const arrival = bench.arrivals.get(frame.timestamp);
				if (arrival !== undefined) {
					bench.delays.push(performance.timeOrigin + performance.now() - arrival);
					bench.arrivals.delete(frame.timestamp);
				}
			}
		};
		const post = g.postMessage.bind(g);
		g.postMessage = (m: unknown, t?: Transferable[]) => {
			if ((m as { type?: string } | null)?.type === "stats") bench.stats = (m as { stats: unknown }).stats;
			post(m, t ?? []);
		};
	});
}

/** What an instrumented worker gives back. */
interface WorkerTake {
	delays: number[];
	stats: { video: { decoded: number; errors: number; waitedOut: number; painted: number }; audio: { errors: number } } | null;
}

function takeWorker(worker: Worker): Promise<WorkerTake> {
	return worker.evaluate(() => {
		const bench = (self as unknown as { __bench?: { delays: number[]; stats: unknown } }).__bench;
		if (!bench) return { delays: [], stats: null };
		const delays = bench.delays;
		bench.delays = [];
		return { delays, stats: bench.stats } as never;
	});
}

// ---------------------------------------------------------------- variants

interface Slot {
	variant: "studio" | "anchor";
	tiles: number;
	cpu: CpuUse;
	/** The page's main thread (not its workers), % of one core. */
	mainThread: { taskPct: number; scriptPct: number };
	/** Frames painted (studio) or decoded (anchor) per tile per second. */
	fpsPerTile: number;
	/** Studio only. */
	delays: number[];
	skippedGroups: number;
	skippedFrames: number;
	waitedOut: number;
	decodeErrors: number;
	decoded: number;
	painted: number;
}

async function engineSkips(t: TestStudio): Promise<{ groups: number; frames: number }> {
	const list = await t.studio.handlers["monitor.list"]({});
	let groups = 0;
	let frames = 0;
	for (const m of list) for (const tr of m.tracks) {
		groups += tr.skippedGroups;
		frames += tr.skippedFrames;
	}
	return { groups, frames };
}

async function closeMonitors(t: TestStudio): Promise<void> {
	for (const m of await t.studio.handlers["monitor.list"]({})) {
		try {
			if (!m.closed) await t.studio.handlers["monitor.close"]({ id: m.id });
		} catch {
			// closed meanwhile
		}
	}
}

async function studioSlot(browser: Browser, t: TestStudio, tiles: number): Promise<Slot> {
	const page = await browser.newPage({ viewport: { width: 1920, height: 1600 } });
	const workers: Worker[] = [];
	const instrumenting: Promise<void>[] = [];
	page.on("worker", (w) => {
		if (!/decode\.worker|monitor-decoder/.test(w.url())) return;
		workers.push(w);
		instrumenting.push(instrumentWorker(w).catch(() => undefined));
	});
	const errors: string[] = [];
	page.on("pageerror", (e) => errors.push(e.message));
	try {
		await page.goto(`${t.web.url}#/broadcasts`);
		await page.getByRole("navigation", { name: "Main" }).waitFor({ timeout: 30_000 });
		for (let i = 0; i < tiles; i++) {
			await page.getByRole("button", { name: "Broadcasts" }).click();
			await page.getByRole("button", { name: `Watch ${broadcastPath(i)}` }).click({ timeout: 30_000 });
			await page.getByRole("listitem", { name: `Monitor of ${broadcastPath(i)}` }).waitFor({ timeout: 30_000 });
			progress(`studio: watching ${broadcastPath(i)}`);
		}
		await page.getByRole("heading", { name: "Monitor" }).waitFor();
		// Playwright reports a worker a moment after the page created it (the last tile's can come
		// after its tile shows on a loaded machine): wait for them before counting.
		for (const end = Date.now() + 15_000; workers.length < tiles && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
		await Promise.all(instrumenting);
		if (workers.length !== tiles) throw new Error(`${workers.length} decode workers for ${tiles} tiles`);
		await sleep(WARMUP_SECONDS * 1000);
		const before = await Promise.all(workers.map(takeWorker));
		const skips0 = await engineSkips(t);
		const main = await startMainThread(page);
		const cpu = startCpu();
		await sleep(SECONDS * 1000);
		const used = cpu();
		const mainThread = await main();
		const skips1 = await engineSkips(t);
		const after = await Promise.all(workers.map(takeWorker));
		const sum = (takes: WorkerTake[], get: (s: NonNullable<WorkerTake["stats"]>) => number) => takes.reduce((n, w) => n + (w.stats ? get(w.stats) : 0), 0);
		const painted = sum(after, (s) => s.video.painted) - sum(before, (s) => s.video.painted);
		if (errors.length > 0) print(`    studio page errors: ${errors.slice(0, 3).join(" | ")}`);
		return {
			variant: "studio",
			tiles,
			cpu: used,
			mainThread,
			fpsPerTile: painted / tiles / (used.wallMs / 1000),
			delays: after.flatMap((w) => w.delays),
			skippedGroups: skips1.groups - skips0.groups,
			skippedFrames: skips1.frames - skips0.frames,
			waitedOut: sum(after, (s) => s.video.waitedOut) - sum(before, (s) => s.video.waitedOut),
			decodeErrors: sum(after, (s) => s.video.errors + s.audio.errors),
			decoded: sum(after, (s) => s.video.decoded) - sum(before, (s) => s.video.decoded),
			painted,
		};
	} finally {
		await page.close();
		await closeMonitors(t);
	}
}

async function anchorSlot(browser: Browser, anchorUrl: string, relayUrl: string, tiles: number): Promise<Slot> {
	const page = await browser.newPage({ viewport: { width: 1920, height: 1600 } });
	const errors: string[] = [];
	page.on("pageerror", (e) => errors.push(e.message));
	try {
		const names = Array.from({ length: tiles }, (_, i) => broadcastPath(i)).join(",");
		await page.goto(`${anchorUrl}?${new URLSearchParams({ url: relayUrl, names })}`);
		type Probe = { decoded: number; painted: number; tiles: { received: number; status: string }[] };
		let crashed = false;
		page.on("crash", () => (crashed = true));
		// A page whose main thread is saturated answers late or never: give up after 20 s.
		const probe = () =>
			Promise.race([
				page.evaluate(() => (window as unknown as { benchProbe(): Probe }).benchProbe()),
				sleep(20_000).then(() => Promise.reject(new Error(`the anchor page did not answer within 20 s${crashed ? " (it crashed)" : ""}`))),
			]);
		const deadline = Date.now() + 30_000;
		while (!(await probe()).tiles.every((p) => p.received > 0)) {
			if (Date.now() > deadline) throw new Error(`anchor: not every <moq-watch> received a frame: ${JSON.stringify(await probe())} ${errors.join(" | ")}`);
			await sleep(200);
		}
		await sleep(WARMUP_SECONDS * 1000);
		const before = await probe();
		const main = await startMainThread(page);
		const cpu = startCpu();
		await sleep(SECONDS * 1000);
		const used = cpu();
		const mainThread = await main();
		const after = await probe();
		if (crashed) throw new Error("the anchor page crashed");
		const received = after.tiles.reduce((n, p, i) => n + p.received - (before.tiles[i]?.received ?? 0), 0);
		const plain = Boolean(process.env.BENCH_ANCHOR_PLAIN);
		const decoded = plain ? received : after.decoded - before.decoded;
		const painted = plain ? received : after.painted - before.painted;
		if (errors.length > 0) print(`    anchor page errors: ${errors.slice(0, 3).join(" | ")}`);
		return { variant: "anchor", tiles, cpu: used, mainThread, fpsPerTile: painted / tiles / (used.wallMs / 1000), delays: [], skippedGroups: 0, skippedFrames: 0, waitedOut: 0, decodeErrors: 0, decoded, painted };
	} finally {
		await page.close();
	}
}

async function idleSlot(browser: Browser): Promise<CpuUse> {
	const page = await browser.newPage();
	try {
		await page.goto("about:blank");
		await sleep(1000);
		const cpu = startCpu();
		await sleep(IDLE_SECONDS * 1000);
		return cpu();
	} finally {
		await page.close();
	}
}

// ---------------------------------------------------------------- report

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return Number.NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const f1 = (n: number) => n.toFixed(1);

async function main(): Promise<number> {
	for (const level of ["debug", "info", "warn", "log"] as const) console[level] = () => {};
	const file = await makeMedia();
	const [t, browser, bundle] = await Promise.all([startTestStudio({ embeddedRelay: true }), launchChromium(["--autoplay-policy=no-user-gesture-required"]), bundleAnchor()]);
	const anchor = await serveAnchor(bundle);
	const bad: string[] = [];
	try {
		const origin = t.studio.origins.list().find((o) => o.name === "studio");
		if (!origin) throw new Error("no embedded studio origin");
		for (let i = 0; i < MAX_TILES; i++) await t.studio.handlers["publishing.start"]({ originId: origin.id, path: broadcastPath(i), file, loop: true });
		const relayUrl = t.studio.embeddedRelay!.url;
		print(
			`monitor tiles: H.264 ${WIDTH}x${RES}@${FPS} GOP ${GOP} ~${(BITRATE / 1e6).toFixed(1)} Mb/s + Opus, ${MAX_TILES} broadcasts published in a loop; ` +
				`${SECONDS} s per slot after ${WARMUP_SECONDS} s warm-up; Chromium ${browser.version()} --disable-gpu; node ${process.version}; CPU in % of one core`,
		);
		const idle = [await idleSlot(browser)];
		print(`idle (publishing, nobody watching): engine ${f1(idle[0]!.enginePct)}% + chromium ${f1(idle[0]!.chromiumPct)}% = ${f1(idle[0]!.totalPct)}%`);
		print("tiles variant  engine% chromium%  total% | per tile (above idle) | fps/tile | arrival->paint p50   p99 (n) | skipped groups frames waitedOut errors | decoded painted");
		const summary: { tiles: number; studio: number; anchor: number; studioFps: number; anchorFps: number; skipped: number; p50: number; p99: number }[] = [];
		for (const tiles of TILES) {
			const slots: Slot[] = [];
			const idlePct = () => idle.reduce((n, c) => n + c.totalPct, 0) / idle.length;
			const perTile = (s: Slot) => (s.cpu.totalPct - idlePct()) / tiles;
			for (const variant of ["studio", "anchor", "anchor", "studio"] as const) {
				phase = `${variant} ${tiles} tile(s)`;
				progress(phase);
				let s: Slot;
				try {
					s = variant === "studio" ? await studioSlot(browser, t, tiles) : await anchorSlot(browser, anchor.url, relayUrl, tiles);
				} catch (err) {
					// A player that cannot keep N tiles up (a page that hangs or crashes) is a result, not the end of the run.
					const message = err instanceof Error ? err.message.split("\n")[0]! : String(err);
					print(`${String(tiles).padStart(5)} ${variant.padEnd(7)} FAILED: ${message}`);
					if (variant === "studio") bad.push(`studio ${tiles} tiles: ${message}`);
					continue;
				}
				slots.push(s);
				const d = [...s.delays].sort((a, b) => a - b);
				const lat = s.variant === "studio" ? `${f1(percentile(d, 50)).padStart(19)} ${f1(percentile(d, 99)).padStart(5)} (${d.length})` : `${"-".padStart(19)} ${"-".padStart(5)}    `;
				const skip = s.variant === "studio" ? `${String(s.skippedGroups).padStart(14)} ${String(s.skippedFrames).padStart(6)} ${String(s.waitedOut).padStart(9)} ${String(s.decodeErrors).padStart(6)}` : `${"-".padStart(14)} ${"-".padStart(6)} ${"-".padStart(9)} ${"-".padStart(6)}`;
				print(
					`${String(tiles).padStart(5)} ${s.variant.padEnd(7)} ${f1(s.cpu.enginePct).padStart(7)} ${f1(s.cpu.chromiumPct).padStart(9)} ${f1(s.cpu.totalPct).padStart(7)} | ${f1(perTile(s)).padStart(21)} | ${f1(s.fpsPerTile).padStart(8)} | ${lat} | ${skip} | ${s.decoded} ${s.painted}`,
				);
				const kinds = Object.entries(s.cpu.byKind)
					.filter(([, v]) => v >= 0.5)
					.sort((a, b) => b[1] - a[1])
					.map(([k, v]) => `${k} ${f1(v)}`)
					.join(", ");
				print(`        chromium by process: ${kinds}; page main thread: tasks ${f1(s.mainThread.taskPct)}%, script ${f1(s.mainThread.scriptPct)}%`);
				if (s.decoded === 0) bad.push(`${s.variant} ${tiles} tiles decoded nothing`);
			}
			// The idle floor again between tile counts, averaged with the earlier ones.
			idle.push(await idleSlot(browser));
			const of = (v: "studio" | "anchor") => slots.filter((s) => s.variant === v);
			const mean = (v: "studio" | "anchor") => of(v).reduce((n, s) => n + perTile(s), 0) / of(v).length;
			const studioSlots = slots.filter((s) => s.variant === "studio");
			const delays = studioSlots.flatMap((s) => s.delays).sort((a, b) => a - b);
			const skipped = studioSlots.reduce((n, s) => n + s.skippedGroups + s.skippedFrames + s.waitedOut, 0);
			const fps = (v: "studio" | "anchor") => of(v).reduce((n, s) => n + s.fpsPerTile, 0) / of(v).length;
			summary.push({ tiles, studio: mean("studio"), anchor: mean("anchor"), studioFps: fps("studio"), anchorFps: fps("anchor"), skipped, p50: percentile(delays, 50), p99: percentile(delays, 99) });
		}
		print("summary (CPU per tile above idle, mean of the 2 slots each (NaN: every slot failed); ratio studio/anchor; CPU ms per painted frame, which evens out a player that paints fewer):");
		for (const s of summary) {
			// % of a core per tile / painted frames per second per tile = CPU ms per painted frame x 0.1.
			const msPerFrame = (pct: number, fps: number) => (pct * 10) / Math.max(fps, 1e-9);
			print(
				`  ${s.tiles} tile(s): studio ${f1(s.studio)}% anchor ${f1(s.anchor)}% ratio ${(s.studio / s.anchor).toFixed(2)}x (goal <= 1: ${Number.isNaN(s.anchor) ? "no anchor figure: every anchor slot failed" : s.studio <= s.anchor ? "met" : "NOT met"}); ` +
					`painted fps/tile studio ${f1(s.studioFps)} anchor ${f1(s.anchorFps)}; CPU ms per painted frame studio ${f1(msPerFrame(s.studio, s.studioFps))} anchor ${f1(msPerFrame(s.anchor, s.anchorFps))} ` +
					`ratio ${(msPerFrame(s.studio, s.studioFps) / msPerFrame(s.anchor, s.anchorFps)).toFixed(2)}x; ` +
					`arrival->paint p50 ${f1(s.p50)} ms p99 ${f1(s.p99)} ms; skipped ${s.skipped}${s.tiles === 4 ? ` (goal 0 at 4 tiles: ${s.skipped === 0 ? "met" : "NOT met"})` : ""}`,
			);
		}
	} finally {
		phase = "teardown";
		await browser.close().catch(() => undefined);
		await new Promise<void>((r) => anchor.server.close(() => r()));
		await t.close();
	}
	if (bad.length === 0) return 0;
	print(`FAILED: ${bad.join("; ")}`);
	return 1;
}

// A library's connection torn down with the studio rejects a promise nobody awaits: not the bench's failure.
process.on("unhandledRejection", (err: unknown) => process.stderr.write(`(unhandled rejection during ${phase}: ${err instanceof Error ? (process.env.BENCH_STACKS ? err.stack : err.message) : String(err)})\n`));

main().then(
	(code) => process.exit(code),
	(err: unknown) => {
		process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
		process.exit(1);
	},
);
