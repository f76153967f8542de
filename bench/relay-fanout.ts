/**
 * Relay fan-out benchmark: one 6 Mb/s, 30 fps publisher (25 KB frames, 30-frame groups) to
 * N = 1, 8, 32 subscribers for ~5 s each, through the relay in a child process.
 *
 * Reports delivered frames (must be 100%: the process exits 1 otherwise, after printing every
 * figure), publish-to-receive latency p50/p99, and the relay
 * process's CPU. Latency is also printed as a ratio against a floor measured in the same run:
 * the same frames carried between plain WebSockets by a minimal byte forwarder (also a child
 * process), so noisy neighbours on a 2-core machine affect both sides alike. Runs the relay
 * twice: with @moq/qmux's default flow-control windows and with the relay's tuned ones, and a
 * third time over WebTransport HTTP/2 (@fails-components/webtransport, engine connections through
 * transport/connect.ts) with the tuned relay, so the two transports compare in the same run.
 *
 * Run: npx esbuild bench/relay-fanout.ts --bundle --platform=node --format=esm \
 *        --packages=external --outfile=out/bench/relay-fanout.mjs && node out/bench/relay-fanout.mjs
 * Env: BENCH_SECONDS (default 5), BENCH_N (default "1,8,32"), BENCH_VARIANTS (default all,
 * e.g. "relay-tuned,relay-wt-h2"; relay-nobatch is relay-tuned without the write batching of
 * transport/moq-net-writer.ts in the relay, the before of that change), BENCH_CLIENT (studio, the default: subscribers and publisher
 * connect as the studio does, transport/connect.ts; library: @moq/net's own WebSocket client),
 * BENCH_PROF (a directory: CPU profiles of the server processes), BENCH_DETAIL (prints, on
 * stderr, each measured frame's worst latency over the subscribers, and the first subscriber's
 * latency with the spread to the last: where the time goes at many subscribers).
 *
 * BENCH_SUBSCRIBER_PROCS (default 0: every subscriber in this process, the publisher's; k > 0:
 * the N subscribers spread round-robin over min(N, k) forked processes, as independent peers
 * would be, each timing frames against the publisher's stamp on the shared wall clock,
 * performance.timeOrigin + now(); BENCH_DETAIL prints each process's clock offset, within its
 * IPC round trip, and the receipts come back to this process for the same per-subscriber
 * every-frame check). The floor's subscribers are spread the same way, so the ratio compares like with like.
 *
 * Besides latency and the server's CPU it prints the server's GC pauses (% of the window) and the
 * client processes' CPU and GC pauses (summed over the publisher and subscriber processes, % of
 * one core) and their worst event-loop delay p99: at 32 subscribers the subscribers cost more
 * than the relay, and their delays count in the latency too. Measured both ways (relay-tuned,
 * 5 alternating rounds, 2 cores): p99 at 32 was 17.2 ms in-process against 17.8 ms over 4
 * processes (p99 at 1: 4.4 / 4.8 ms), the subscribers' GC pauses ~4% of the wall either way, and
 * the relay's own event-loop p99 5-6 ms: the subscribers' process is not where the time goes, so
 * in-process stays the default (fewer processes on a 2-core machine, past figures comparable).
 * In the spread mode the relay logs a "fatal error running connection ... closed: 0" per
 * connection on stderr as subscriber processes close cleanly; it is noise, not a failure.
 */
import "../electron/engine/polyfill";
import { type ChildProcess, fork } from "node:child_process";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import * as Moq from "@moq/net";
import { WebSocket, WebSocketServer } from "ws";
import { startRelay } from "../electron/engine/relay";
import { openMoqConnection } from "../electron/engine/transport/connect";

const FRAME_BYTES = 25_000;
const FPS = 30;
const GOP = 30;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const COUNTS = (process.env.BENCH_N ?? "1,8,32").split(",").map(Number);
const CLIENT = process.env.BENCH_CLIENT === "library" ? "library" : "studio";
/** 0: every subscriber in the bench process; k > 0: spread over min(N, k) subscriber processes. */
const SUBSCRIBER_PROCS = Number(process.env.BENCH_SUBSCRIBER_PROCS ?? 0);
const VARIANTS = (process.env.BENCH_VARIANTS ?? "relay-default,relay-nobatch,relay-tuned,relay-wt-h2").split(",") as Exclude<Variant, "floor">[];

type Variant = "floor" | "relay-default" | "relay-tuned" | "relay-wt-h2" | "relay-nobatch";
type ToChild = { cmd: "cpu-start" } | { cmd: "cpu-end" } | { cmd: "exit" };
type FromChild = { url: string; wt?: { url: string; sha256: string } } | { cpuMs: number; wallMs: number; loopP99: number; loopMax: number; gcMs: number };

// ---------------------------------------------------------------- child side

async function runChild(variant: Variant): Promise<void> {
	let url: string;
	let wt: { url: string; sha256: string } | undefined;
	if (variant === "floor") url = await startForwarder();
	else {
		const relay = await startRelay({
			host: "127.0.0.1",
			port: 0,
			// The library defaults: 1 MiB / 256 KiB windows and a 64 KiB send buffer.
			...(variant === "relay-default" ? { qmux: {}, sendBufferBytes: 64 * 1024 } : {}),
			webTransport: { http3: false, http2: variant === "relay-wt-h2" },
		});
		url = relay.url;
		const { http2Url, certificateSha256 } = relay.webTransport;
		if (http2Url && certificateSha256) wt = { url: http2Url, sha256: certificateSha256 };
	}
	const send = (m: FromChild) => process.send?.(m);
	send({ url, wt });
	let cpu = process.cpuUsage();
	let wall = performance.now();
	// How long the server's event loop was blocked: a delay here is latency for every subscriber.
	const loop = monitorEventLoopDelay({ resolution: 1 });
	// Time the server spent in GC pauses while measuring (garbage per subscriber per frame shows here).
	let gcMs = 0;
	new PerformanceObserver((list) => {
		for (const e of list.getEntries()) gcMs += e.duration;
	}).observe({ entryTypes: ["gc"] });
	process.on("message", (m: ToChild) => {
		if (m.cmd === "cpu-start") {
			cpu = process.cpuUsage();
			wall = performance.now();
			loop.reset();
			loop.enable();
			gcMs = 0;
		} else if (m.cmd === "cpu-end") {
			loop.disable();
			const d = process.cpuUsage(cpu);
			send({ cpuMs: (d.user + d.system) / 1000, wallMs: performance.now() - wall, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, gcMs });
		} else process.exit(0);
	});
}

/** The floor: forwards every binary message from the /pub socket to every /sub socket. */
async function startForwarder(): Promise<string> {
	const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
	const subs = new Set<WebSocket>();
	wss.on("connection", (ws, req) => {
		if (req.url === "/pub") ws.on("message", (data) => {
			for (const s of subs) s.send(data as Buffer);
		});
		else {
			subs.add(ws);
			ws.on("close", () => subs.delete(ws));
		}
	});
	await new Promise((r) => wss.once("listening", r));
	const addr = wss.address();
	return `ws://127.0.0.1:${typeof addr === "object" && addr !== null ? addr.port : 0}`;
}

// ---------------------------------------------------------------- parent side

interface Child {
	proc: ChildProcess;
	url: string;
	wt: { url: string; sha256: string } | undefined;
	request(cmd: ToChild): void;
	cpu(): Promise<{ cpuMs: number; wallMs: number; loopP99: number; loopMax: number; gcMs: number }>;
}

async function spawnChild(variant: Variant): Promise<Child> {
	// BENCH_PROF=<dir> writes a CPU profile of each server process there.
	const prof = process.env.BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
	// relay-nobatch: the tuned relay without write batching (transport/moq-net-writer.ts).
	const env = variant === "relay-nobatch" ? { ...process.env, MOQ_STUDIO_NO_BATCHED_WRITES: "1" } : process.env;
	const proc = fork(process.argv[1] ?? "", ["--child", variant], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv: [...process.execArgv, ...prof], env });
	const { url, wt } = await new Promise<{ url: string; wt?: { url: string; sha256: string } }>((resolve) => proc.once("message", (m: FromChild) => "url" in m && resolve(m)));
	return {
		proc,
		url,
		wt,
		request: (cmd) => proc.send(cmd),
		cpu: () =>
			new Promise((resolve) => {
				proc.once("message", (m: FromChild) => "cpuMs" in m && resolve(m));
				proc.send({ cmd: "cpu-end" } satisfies ToChild);
			}),
	};
}

/**
 * Wall-clock milliseconds with sub-millisecond resolution that every process on this machine
 * reads alike (each process's `timeOrigin` is the system clock at its start, `now()` the
 * monotonic time since): a frame stamped in the bench process can be timed in a subscriber process.
 */
function clock(): number {
	return performance.timeOrigin + performance.now();
}

function makeFrame(index: number): Uint8Array {
	const frame = new Uint8Array(FRAME_BYTES);
	const view = new DataView(frame.buffer);
	view.setFloat64(0, clock());
	view.setUint32(8, index);
	return frame;
}

function readFrame(payload: Uint8Array): { sent: number; index: number } {
	const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
	return { sent: view.getFloat64(0), index: view.getUint32(8) };
}

/** Per-subscriber receive log: frame index -> latency ms. */
type Receipts = Map<number, number>;

interface Publisher {
	publish(index: number): void;
	close(): void;
}

interface Subscriber {
	receipts: Receipts;
	close(): void;
}

/** Where the subscribers connect: the server child's URLs. */
interface Endpoint {
	variant: Variant;
	url: string;
	wt: { url: string; sha256: string } | undefined;
}

// Over WebTransport the engine's own client connects (HTTP/2, pinned), as a studio session does.
// Over WebSocket, BENCH_CLIENT picks the subscribers' (and publisher's) client: the studio's
// (transport/connect.ts: QMux on transport/socket-stream.ts, the studio's windows) or the
// library's own (`ws` through the web-stream ponyfill, the library's windows).
async function connectMoq({ url, wt }: Endpoint): Promise<Moq.Connection.Established> {
	if (wt) return (await openMoqConnection(new URL(url), { transport: "webtransport", webTransportUrl: new URL(wt.url), certificateSha256: wt.sha256, timeoutMs: 10_000 })).established;
	if (CLIENT === "studio") return (await openMoqConnection(new URL(url), { transport: "websocket", timeoutMs: 10_000 })).established;
	return Moq.Connection.connect(new URL(url), { websocket: { delay: 0 } });
}

function openSocket(url: string): Promise<WebSocket> {
	return new Promise<WebSocket>((resolve, reject) => {
		const ws = new WebSocket(url, { perMessageDeflate: false });
		ws.once("open", () => resolve(ws));
		ws.once("error", reject);
	});
}

async function openPublisher(at: Endpoint): Promise<Publisher> {
	if (at.variant === "floor") {
		const pub = await openSocket(`${at.url}/pub`);
		return { publish: (index) => pub.send(makeFrame(index)), close: () => pub.terminate() };
	}
	const pub = await connectMoq(at);
	const broadcast = new Moq.Broadcast.Producer();
	const track = broadcast.createTrack("video");
	pub.publish(Moq.Path.from("bench"), broadcast);
	let group: Moq.Group.Producer | undefined;
	return {
		publish(index) {
			if (index % GOP === 0) {
				group?.close();
				group = track.appendGroup();
			}
			group?.writeFrame({ payload: makeFrame(index), timestamp: Moq.Time.Timestamp.now() });
		},
		close() {
			group?.close();
			pub.close();
		},
	};
}

/** One subscriber on its own connection, logging each frame's latency as it arrives. */
async function openSubscriber(at: Endpoint): Promise<Subscriber> {
	const receipts: Receipts = new Map();
	if (at.variant === "floor") {
		const ws = await openSocket(`${at.url}/sub`);
		ws.on("message", (data: Buffer) => {
			const { sent, index } = readFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
			receipts.set(index, clock() - sent);
		});
		return { receipts, close: () => ws.terminate() };
	}
	const conn = await connectMoq(at);
	const sub = conn.consume(Moq.Path.from("bench")).subscribe("video");
	void (async () => {
		for (let g = await sub.recvGroup(); g; g = await sub.recvGroup()) {
			const grp = g;
			void (async () => {
				for (let f = await grp.readFrame().catch(() => undefined); f; f = await grp.readFrame().catch(() => undefined)) {
					const { sent, index } = readFrame(f.payload);
					receipts.set(index, clock() - sent);
				}
			})();
		}
	})().catch(() => {});
	return { receipts, close: () => conn.close() };
}

// ---------------------------------------------------------------- subscriber processes

type ToSubs = { cmd: "clock" } | { cmd: "cpu-start" } | { cmd: "collect"; start: number; frames: number } | { cmd: "exit" };
/** A process's own costs while measuring. */
interface Costs {
	cpuMs: number;
	loopP99: number;
	gcMs: number;
}
/** `latencies[s][i]`: subscriber s's latency for frame start + i, null when it never arrived. */
type FromSubs = { ready: true } | { live: true } | { clock: number } | ({ latencies: (number | null)[][] } & Costs);

/** Meters a process's CPU, event-loop delay and GC pauses between start() and stop(). */
function costMeter(): { start(): void; stop(): Costs } {
	const loop = monitorEventLoopDelay({ resolution: 1 });
	let gcMs = 0;
	let on = false;
	new PerformanceObserver((list) => {
		if (on) for (const e of list.getEntries()) gcMs += e.duration;
	}).observe({ entryTypes: ["gc"] });
	let cpu = process.cpuUsage();
	return {
		start() {
			cpu = process.cpuUsage();
			gcMs = 0;
			on = true;
			loop.reset();
			loop.enable();
		},
		stop() {
			on = false;
			loop.disable();
			const d = process.cpuUsage(cpu);
			return { cpuMs: (d.user + d.system) / 1000, loopP99: loop.percentile(99) / 1e6, gcMs };
		},
	};
}

/** A subscriber process: `count` subscribers to `at`, reporting their latencies when asked. */
async function runSubscribers(at: Endpoint, count: number): Promise<void> {
	for (const level of ["debug", "info", "warn", "log"] as const) console[level] = () => {};
	const send = (m: FromSubs) => process.send?.(m);
	const meter = costMeter();
	const subs: Subscriber[] = [];
	process.on("message", (m: ToSubs) => {
		if (m.cmd === "clock") send({ clock: clock() });
		else if (m.cmd === "cpu-start") meter.start();
		else if (m.cmd === "collect") {
			const costs = meter.stop();
			const latencies = subs.map((s) => Array.from({ length: m.frames }, (_, i) => s.receipts.get(m.start + i) ?? null));
			send({ latencies, ...costs });
		} else {
			for (const s of subs) s.close();
			// Let the closes reach the relay: exiting at once reads there as an abrupt drop.
			setTimeout(() => process.exit(0), 100);
		}
	});
	for (let i = 0; i < count; i++) subs.push(await openSubscriber(at));
	send({ ready: true });
	while (subs.some((s) => s.receipts.size === 0)) await new Promise((r) => setTimeout(r, 20));
	send({ live: true });
}

/** The subscribers of one run, wherever they live. */
interface SubscriberPool {
	/** Resolves once every subscriber has received a frame (or after 10 s). */
	live(): Promise<void>;
	/** Starts metering the subscriber processes (this process is metered by measure()). */
	meter(): void;
	/** Every subscriber's receipts for frames start..start+frames-1, and the subscriber processes' costs. */
	collect(start: number, frames: number): Promise<{ receipts: Receipts[]; costs: Costs[] }>;
	close(): Promise<void>;
}

async function inProcessPool(at: Endpoint, n: number): Promise<SubscriberPool> {
	const subs: Subscriber[] = [];
	for (let i = 0; i < n; i++) subs.push(await openSubscriber(at));
	return {
		async live() {
			const deadline = Date.now() + 10_000;
			while (subs.some((s) => s.receipts.size === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
		},
		meter() {},
		collect: async () => ({ receipts: subs.map((s) => s.receipts), costs: [] }),
		async close() {
			for (const s of subs) s.close();
		},
	};
}

/** `n` subscribers spread round-robin over `k` forked processes, as independent peers would be. */
async function processPool(at: Endpoint, n: number, k: number): Promise<SubscriberPool> {
	const counts = Array.from({ length: Math.min(n, k) }, (_, p) => Math.floor(n / k) + (p < n % k ? 1 : 0));
	const procs = counts.map((count) =>
		fork(process.argv[1] ?? "", ["--subs", JSON.stringify({ at, count })], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv: process.execArgv }),
	);
	const next = <T extends FromSubs>(proc: ChildProcess, is: (m: FromSubs) => m is T): Promise<T> =>
		new Promise((resolve, reject) => {
			const onMessage = (m: FromSubs) => {
				if (!is(m)) return;
				proc.off("message", onMessage);
				proc.off("exit", onExit);
				resolve(m);
			};
			const onExit = (code: number | null) => reject(new Error(`subscriber process exited (${code}) before reporting`));
			proc.on("message", onMessage);
			proc.once("exit", onExit);
		});
	const live = procs.map((p) => next(p, (m): m is { live: true } => "live" in m));
	// A rejection before live() is awaited must not crash the run: live() reports it.
	for (const l of live) l.catch(() => {});
	await Promise.all(procs.map((p) => next(p, (m): m is { ready: true } => "ready" in m)));
	if (process.env.BENCH_DETAIL) {
		// The clocks agree when each process's offset is within its IPC round trip.
		const offsets: string[] = [];
		for (const p of procs) {
			const t0 = clock();
			const reply = next(p, (m): m is { clock: number } => "clock" in m);
			p.send({ cmd: "clock" } satisfies ToSubs);
			const t1 = (await reply).clock;
			const t2 = clock();
			offsets.push(`${(t1 - (t0 + t2) / 2).toFixed(3)}±${((t2 - t0) / 2).toFixed(3)}`);
		}
		process.stderr.write(`${at.variant} N=${n} subscriber clock offsets ms: ${offsets.join(" ")}\n`);
	}
	return {
		async live() {
			await Promise.race([Promise.all(live), new Promise((r) => setTimeout(r, 10_000))]);
		},
		meter() {
			for (const p of procs) p.send({ cmd: "cpu-start" } satisfies ToSubs);
		},
		async collect(start, frames) {
			const reports = await Promise.all(
				procs.map((p) => {
					const reply = next(p, (m): m is { latencies: (number | null)[][] } & Costs => "latencies" in m);
					p.send({ cmd: "collect", start, frames } satisfies ToSubs);
					return reply;
				}),
			);
			const receipts = reports.flatMap((r) => r.latencies.map((ls) => new Map(ls.flatMap((l, i): [number, number][] => (l === null ? [] : [[start + i, l]])))));
			return { receipts, costs: reports.map(({ cpuMs, loopP99, gcMs }) => ({ cpuMs, loopP99, gcMs })) };
		},
		async close() {
			await Promise.all(
				procs.map((p) => {
					const exited = new Promise((r) => p.once("exit", r));
					if (p.exitCode === null) p.send({ cmd: "exit" } satisfies ToSubs);
					return exited;
				}),
			);
		},
	};
}

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return Number.NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Result {
	variant: Variant;
	n: number;
	delivered: number;
	expected: number;
	p50: number;
	p99: number;
	cpuPct: number;
	/** The server's event-loop delay p99 and max (ms) while measuring. */
	loopP99: number;
	loopMax: number;
	/** The server's GC pauses, as a share of the measured wall time (%). */
	gcPct: number;
	/** The worst event-loop delay p99 (ms) over the client processes (publisher and subscribers). */
	clientLoopP99: number;
	/** The client processes' CPU (publisher and every subscriber, summed), % of one core. */
	clientPct: number;
	/** The client processes' GC pauses (summed), % of the measured wall time. */
	clientGcPct: number;
}

async function measure(variant: Variant, n: number): Promise<Result> {
	const child = await spawnChild(variant);
	const at: Endpoint = { variant, url: child.url, wt: child.wt };
	const publisher = await openPublisher(at);
	const pool = SUBSCRIBER_PROCS > 0 ? await processPool(at, n, SUBSCRIBER_PROCS) : await inProcessPool(at, n);
	// Warm up for one group so every subscription is live end to end, then measure whole groups.
	let index = 0;
	const tick = () => publisher.publish(index++);
	// The warm-up stops at the group boundary it is given (then the measured groups start).
	let warmEnd = Number.POSITIVE_INFINITY;
	let timer = setInterval(() => index < warmEnd && tick(), 1000 / FPS);
	await pool.live();
	// Finish the warm-up group at the same pace: publishing its rest in one burst (up to 29 frames,
	// 23 MB at 32 subscribers) made the first measured group queue behind it, and that backlog,
	// not the steady 6 Mb/s, set p99 at 32 subscribers (166 ms against 5-15 ms for later groups).
	const start = Math.ceil((index + 1) / GOP) * GOP;
	warmEnd = start;
	while (index < start) await new Promise((r) => setTimeout(r, 5));
	clearInterval(timer);
	const frames = Math.round((SECONDS * FPS) / GOP) * GOP;
	child.request({ cmd: "cpu-start" });
	pool.meter();
	// The bench process's own costs: its delays count in the latency too.
	const meter = costMeter();
	meter.start();
	const clientWall = performance.now();
	// Pace against the clock rather than trusting setInterval drift.
	const t0 = performance.now();
	await new Promise<void>((resolve) => {
		timer = setInterval(() => {
			const due = start + Math.min(frames, Math.floor(((performance.now() - t0) / 1000) * FPS) + 1);
			while (index < due) tick();
			if (index >= start + frames) {
				clearInterval(timer);
				resolve();
			}
		}, 5);
	});
	await new Promise((r) => setTimeout(r, 1000)); // drain
	const own = meter.stop();
	const clientWallMs = performance.now() - clientWall;
	const { receipts, costs } = await pool.collect(start, frames);
	const clientCosts = [own, ...costs];
	const cpu = await child.cpu();
	const latencies: number[] = [];
	let delivered = 0;
	for (const r of receipts) {
		for (let i = start; i < start + frames; i++) {
			const l = r.get(i);
			if (l !== undefined) {
				delivered++;
				latencies.push(l);
			}
		}
	}
	latencies.sort((a, b) => a - b);
	if (process.env.BENCH_DETAIL) {
		// Per frame: the worst latency over subscribers, to see whether late frames cluster.
		const worst: string[] = [];
		for (let i = start; i < start + frames; i++) {
			let w = 0;
			for (const r of receipts) w = Math.max(w, r.get(i) ?? 0);
			worst.push(`${(i - start) % GOP === 0 ? "|" : ""}${w.toFixed(0)}`);
		}
		process.stderr.write(`${variant} N=${n} worst per frame: ${worst.join(" ")}\n`);
		// Per frame: the first subscriber's latency and the spread to the last (the serial fan-out).
		const firsts: number[] = [];
		const spreads: number[] = [];
		for (let i = start; i < start + frames; i++) {
			const ls = receipts.map((r) => r.get(i)).filter((l): l is number => l !== undefined);
			firsts.push(Math.min(...ls));
			spreads.push(Math.max(...ls) - Math.min(...ls));
		}
		firsts.sort((a, b) => a - b);
		spreads.sort((a, b) => a - b);
		process.stderr.write(`${variant} N=${n} first subscriber p50 ${percentile(firsts, 50).toFixed(2)} ms, spread first-last p50 ${percentile(spreads, 50).toFixed(2)} p90 ${percentile(spreads, 90).toFixed(2)} ms\n`);
	}
	publisher.close();
	await pool.close();
	child.request({ cmd: "exit" });
	await new Promise((r) => child.proc.once("exit", r));
	return {
		variant,
		n,
		delivered,
		expected: frames * n,
		p50: percentile(latencies, 50),
		p99: percentile(latencies, 99),
		cpuPct: (cpu.cpuMs / cpu.wallMs) * 100,
		loopP99: cpu.loopP99,
		loopMax: cpu.loopMax,
		gcPct: (cpu.gcMs / cpu.wallMs) * 100,
		clientLoopP99: Math.max(...clientCosts.map((c) => c.loopP99)),
		clientPct: (clientCosts.reduce((s, c) => s + c.cpuMs, 0) / clientWallMs) * 100,
		clientGcPct: (clientCosts.reduce((s, c) => s + c.gcMs, 0) / clientWallMs) * 100,
	};
}

/** Runs the benchmark and prints the report; resolves with the exit code (1 when a run lost frames). */
async function main(): Promise<number> {
	// @moq/net logs every subscription at debug level; keep the report readable.
	for (const level of ["debug", "info", "warn", "log"] as const) console[level] = () => {};
	const print = (line: string) => process.stdout.write(`${line}\n`);
	print(`relay fan-out: ${FRAME_BYTES} B frames, ${FPS} fps (${((FRAME_BYTES * 8 * FPS) / 1e6).toFixed(1)} Mb/s), GOP ${GOP}, ${SECONDS} s per run`);
	print(`subscribers: ${SUBSCRIBER_PROCS > 0 ? `spread over up to ${SUBSCRIBER_PROCS} processes (BENCH_SUBSCRIBER_PROCS)` : "in the bench process (BENCH_SUBSCRIBER_PROCS=0)"}`);
	print("variant        N   delivered        p50 ms  p99 ms  p50/floor p99/floor  server CPU  loop p99/max ms  client loop p99  server GC  client CPU  client GC");
	const incomplete: Result[] = [];
	for (const n of COUNTS) {
		const floor = await measure("floor", n);
		const results = [floor];
		for (const v of VARIANTS) results.push(await measure(v, n));
		for (const r of results) {
			if (r.delivered !== r.expected || r.expected === 0) incomplete.push(r);
			const pct = ((100 * r.delivered) / r.expected).toFixed(1);
			print(
				`${r.variant.padEnd(14)} ${String(r.n).padStart(2)}  ${`${r.delivered}/${r.expected}`.padStart(11)} ${pct.padStart(5)}%` +
					`  ${r.p50.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(6)}` +
					`  ${(r.p50 / floor.p50).toFixed(2).padStart(8)}x ${(r.p99 / floor.p99).toFixed(2).padStart(8)}x  ${r.cpuPct.toFixed(1).padStart(6)}%  ${r.loopP99.toFixed(1).padStart(6)}/${r.loopMax.toFixed(1).padEnd(6)}  ${r.clientLoopP99.toFixed(1).padStart(6)}  ${r.gcPct.toFixed(1).padStart(5)}%  ${r.clientPct.toFixed(1).padStart(6)}%  ${r.clientGcPct.toFixed(1).padStart(6)}%`,
			);
		}
	}
	// Figures are printed either way; a run that lost frames is a failure, not a measurement.
	if (incomplete.length === 0) return 0;
	print(`FAILED: ${incomplete.length} run(s) did not deliver every frame: ${incomplete.map((r) => `${r.variant} N=${r.n} ${r.delivered}/${r.expected}`).join(", ")}`);
	return 1;
}

const childIndex = process.argv.indexOf("--child");
const subsIndex = process.argv.indexOf("--subs");
if (childIndex >= 0) void runChild(process.argv[childIndex + 1] as Variant);
else if (subsIndex >= 0) {
	const { at, count } = JSON.parse(process.argv[subsIndex + 1] ?? "{}") as { at: Endpoint; count: number };
	void runSubscribers(at, count);
} else
	main().then(
		(code) => process.exit(code),
		(err: unknown) => {
			process.stderr.write(`${String(err)}\n`);
			process.exit(1);
		},
	);
