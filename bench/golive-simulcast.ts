/**
 * Simulcast encode benchmark (issue 16): what each extra rendition costs Go Live, and whether
 * the renditions' encoders are cheaper in one worker or in one worker each, in the same run.
 *
 * Source: Chromium's fake camera (`--use-fake-device-for-media-stream=fps=30`) at BENCH_WIDTH x
 * BENCH_HEIGHT (1280x720 default), read with a MediaStreamTrackProcessor whose readable goes to a
 * worker, as Go Live does. Encoders: H.264 (avc1 High, realtime, the studio's config) at the
 * simulcast ladder of renderer/src/golive/simulcast.ts (full, two thirds, a third of the height),
 * each handed the full-size frame (Chromium's encoder scales it), skipping a frame when its queue
 * holds more than 2 (the studio's rule). Variants, each after warm-up seconds:
 * - floor: the worker reads the camera and closes every frame (capture alone);
 * - one: one rendition;
 * - three-1w: three renditions in the one worker (what the studio ships);
 * - three-3w: three renditions, one worker each: the reading worker clones every frame to the
 *   other two over MessagePorts (a VideoFrame is transferred, not copied).
 * Order floor, one, three-1w, three-3w, three-3w, three-1w, one, floor, so drift and noisy
 * neighbours land on all alike; each figure is the mean of its two slots.
 *
 * CPU: every Chromium process (utime+stime of this process's descendants from /proc), in % of
 * one core. Printed: CPU over the floor per variant, the ratio three-1w / one (cost of simulcast
 * as a multiple of one rendition) and three-3w / three-1w (workers), and per rendition the frames
 * encoded per second and the frames skipped. Timings are printed, never asserted; exits 1 only
 * when a variant encoded nothing (a broken run).
 *
 * Run: npx esbuild bench/golive-simulcast.ts --bundle --platform=node --format=esm \
 *        --packages=external --outfile=out/bench/golive-simulcast.mjs && node out/bench/golive-simulcast.mjs
 * Env: BENCH_SECONDS (measured s per slot, default 8), BENCH_WARMUP_SECONDS (default 3),
 *      BENCH_WIDTH / BENCH_HEIGHT (default 1280 / 720).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Page } from "playwright-core";
import { CLK_TCK, childTicks } from "./child-cpu";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const WIDTH = Number(process.env.BENCH_WIDTH ?? 1280);
const HEIGHT = Number(process.env.BENCH_HEIGHT ?? 720);


/** Starts a meter of Chromium's CPU; the returned function reads it in % of one core. */
function startCpu(): () => number {
	const t0 = performance.now();
	const c0 = childTicks();
	return () => {
		const wallMs = performance.now() - t0;
		let ticks = 0;
		for (const [key, now] of childTicks()) ticks += now - (c0.get(key) ?? 0);
		return (((ticks / CLK_TCK) * 1000) / wallMs) * 100;
	};
}

/** The ladder of simulcast.ts for three renditions (full, 2/3, 1/3 of the height). */
function ladder(): { width: number; height: number; bitrate: number }[] {
	const even = (n: number) => Math.round(n / 2) * 2;
	return [1, 2 / 3, 1 / 3].map((f) => ({ width: even(WIDTH * f), height: even(HEIGHT * f), bitrate: Math.round(3_000_000 * f * f) }));
}

/** The worker: reads frames (from a readable, or a port) and encodes them with its encoders. */
const WORKER = `
let encoders = [], counts = [], ports = [], stop = false;
function avc(w, h) { const mbs = Math.ceil(w / 16) * Math.ceil(h / 16) * 30; return "avc1.6400" + (mbs <= 108000 ? "1f" : mbs <= 245760 ? "28" : "2a"); }
function encode(frame) {
	for (const p of ports) { const c = frame.clone(); p.postMessage(c, [c]); }
	encoders.forEach((e, i) => {
		if (e.encodeQueueSize > 2) { counts[i].skipped++; return; }
		e.encode(frame, { keyFrame: counts[i].n++ % 60 === 0 });
	});
	frame.close();
}
onmessage = async (ev) => {
	const m = ev.data;
	if (m.type === "report") { postMessage({ type: "report", counts: counts.map((c) => ({ ...c })) }); return; }
	if (m.type === "stop") { stop = true; return; }
	ports = m.forward ?? [];
	for (const r of m.renditions) {
		const c = { encoded: 0, skipped: 0, n: 0 };
		const e = new VideoEncoder({ output: () => c.encoded++, error: (err) => postMessage({ type: "error", message: err.message }) });
		e.configure({ codec: avc(r.width, r.height), width: r.width, height: r.height, bitrate: r.bitrate, framerate: 30, latencyMode: "realtime", avc: { format: "avc" } });
		encoders.push(e); counts.push(c);
	}
	if (m.port) { m.port.onmessage = (e) => (stop ? e.data.close() : encode(e.data)); return; }
	const reader = m.readable.getReader();
	for (;;) { const { value, done } = await reader.read(); if (done) break; if (stop) { value.close(); break; } encode(value); }
	reader.cancel();
};`;

/** Runs in the page: starts a variant and returns a function-free handle on window. */
async function startVariant(page: Page, variant: string, renditions: { width: number; height: number; bitrate: number }[]): Promise<void> {
	await page.evaluate(
		async ({ variant, renditions, worker, width, height }) => {
			const w = window as unknown as { bench?: { workers: Worker[]; track: MediaStreamTrack } };
			const url = URL.createObjectURL(new Blob([worker], { type: "text/javascript" }));
			const stream = await navigator.mediaDevices.getUserMedia({ video: { width, height, frameRate: 30 } });
			const track = stream.getVideoTracks()[0]!;
			const Processor = (globalThis as unknown as { MediaStreamTrackProcessor: new (i: { track: MediaStreamTrack }) => { readable: ReadableStream } }).MediaStreamTrackProcessor;
			const { readable } = new Processor({ track });
			const workers: Worker[] = [];
			const main = new Worker(url);
			workers.push(main);
			if (variant === "three-3w") {
				const forward: MessagePort[] = [];
				for (const r of renditions.slice(1)) {
					const channel = new MessageChannel();
					const other = new Worker(url);
					other.postMessage({ renditions: [r], port: channel.port2 }, [channel.port2]);
					workers.push(other);
					forward.push(channel.port1);
				}
				main.postMessage({ renditions: renditions.slice(0, 1), readable, forward }, [readable, ...forward]);
			} else {
				const mine = variant === "floor" ? [] : variant === "one" ? renditions.slice(0, 1) : renditions;
				main.postMessage({ renditions: mine, readable }, [readable]);
			}
			w.bench = { workers, track };
		},
		{ variant, renditions, worker: WORKER, width: WIDTH, height: HEIGHT },
	);
}

/** Per rendition: encoded and skipped so far, over every worker of the variant. */
function report(page: Page): Promise<{ encoded: number; skipped: number }[]> {
	return page.evaluate(async () => {
		const w = window as unknown as { bench: { workers: Worker[] } };
		const all = await Promise.all(
			w.bench.workers.map(
				(worker) =>
					new Promise<{ encoded: number; skipped: number }[]>((resolve) => {
						worker.addEventListener("message", function on(ev: MessageEvent) {
							if (ev.data.type !== "report") return;
							worker.removeEventListener("message", on);
							resolve(ev.data.counts);
						});
						worker.postMessage({ type: "report" });
					}),
			),
		);
		return all.flat();
	});
}

function stopVariant(page: Page): Promise<void> {
	return page.evaluate(() => {
		const w = window as unknown as { bench: { workers: Worker[]; track: MediaStreamTrack } };
		w.bench.track.stop();
		for (const worker of w.bench.workers) worker.terminate();
	});
}

const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>simulcast bench</title>"));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
	headless: true,
	args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream"],
});
let failed = false;
try {
	const page = await browser.newPage();
	const errors: string[] = [];
	page.on("pageerror", (e) => errors.push(e.message));
	page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
	await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
	const renditions = ladder();
	const order = ["floor", "one", "three-1w", "three-3w", "three-3w", "three-1w", "one", "floor"];
	const results = new Map<string, { cpu: number[]; fps: number[][]; skipped: number[][] }>();
	for (const variant of order) {
		await startVariant(page, variant, renditions);
		await new Promise((r) => setTimeout(r, WARMUP * 1000));
		const before = await report(page);
		const cpu = startCpu();
		const t0 = performance.now();
		await new Promise((r) => setTimeout(r, SECONDS * 1000));
		const pct = cpu();
		const after = await report(page);
		const s = (performance.now() - t0) / 1000;
		await stopVariant(page);
		const entry = results.get(variant) ?? { cpu: [], fps: [], skipped: [] };
		entry.cpu.push(pct);
		entry.fps.push(after.map((a, i) => (a.encoded - (before[i]?.encoded ?? 0)) / s));
		entry.skipped.push(after.map((a, i) => a.skipped - (before[i]?.skipped ?? 0)));
		results.set(variant, entry);
		process.stdout.write(`  slot ${variant.padEnd(9)} chromium ${pct.toFixed(0)}% fps ${entry.fps.at(-1)!.map((f) => f.toFixed(1)).join("/") || "-"}\n`);
	}
	const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
	const floor = mean(results.get("floor")!.cpu);
	const over = (v: string) => Math.max(1, mean(results.get(v)!.cpu) - floor);
	process.stdout.write(`\nsimulcast encode, ${WIDTH}x${HEIGHT}@30 fake camera, renditions ${renditions.map((r) => `${r.width}x${r.height}`).join(", ")}; ${SECONDS} s per slot, mean of 2 slots\n`);
	process.stdout.write(`variant   cpu%  over-floor%  | fps per rendition | skipped per rendition\n`);
	for (const v of ["floor", "one", "three-1w", "three-3w"]) {
		const r = results.get(v)!;
		const fps = r.fps[0]!.map((_, i) => mean(r.fps.map((f) => f[i] ?? 0)));
		const skipped = r.skipped[0]!.map((_, i) => r.skipped.reduce((a, f) => a + (f[i] ?? 0), 0));
		process.stdout.write(`${v.padEnd(9)} ${mean(r.cpu).toFixed(0).padStart(4)}  ${(mean(r.cpu) - floor).toFixed(0).padStart(11)}  | ${fps.map((f) => f.toFixed(1)).join(" ") || "-"} | ${skipped.join(" ") || "-"}\n`);
		if (v !== "floor" && fps.some((f) => f === 0)) failed = true;
	}
	process.stdout.write(`ratio three-1w/one (over the floor) ${(over("three-1w") / over("one")).toFixed(2)}\n`);
	process.stdout.write(`ratio three-3w/three-1w (over the floor) ${(over("three-3w") / over("three-1w")).toFixed(2)}\n`);
	if (errors.length) {
		process.stdout.write(`page errors: ${errors.join("; ")}\n`);
		failed = true;
	}
} finally {
	await browser.close();
	server.close();
}
process.exit(failed ? 1 : 0);
