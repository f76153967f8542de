/**
 * Single-stream throughput through the relay: one publisher sends large frames (default 1 MiB,
 * 100-frame groups) as fast as flow control allows to one subscriber, through the relay in a child
 * process. The floor, measured in the same run, is the same bytes carried between plain
 * WebSockets by a minimal byte forwarder (also a child process), so a busy machine slows both.
 *
 * Reports delivered frames (must be 100%: the process exits 1 otherwise, after printing every
 * figure), MB/s, the server process's CPU (also per MB carried) and RSS, and the ratios relay/floor
 * of MB/s and of server CPU per MB (the steadier one on a shared machine).
 *
 * Run: npx esbuild bench/relay-throughput.ts --bundle --platform=node --format=esm \
 *        --packages=external --outfile=out/bench/relay-throughput.mjs && node out/bench/relay-throughput.mjs
 * Env: BENCH_MB (default 200, per run), BENCH_FRAME_KB (default 1024), BENCH_GROUP_FRAMES
 * (default 100), BENCH_ROUNDS (default 2; the best round of each side is reported), BENCH_PROF (a
 * directory: CPU profiles of the server processes), MOQ_STUDIO_NO_COALESCED_READS=1 (the baseline
 * without transport/moq-net-reader.ts).
 */
import "../electron/engine/polyfill";
import { type ChildProcess, fork } from "node:child_process";
import * as Moq from "@moq/net";
import { WebSocket, WebSocketServer } from "ws";
import { startRelay } from "../electron/engine/relay";
import { paceGroup } from "../electron/engine/transport/moq-net-backpressure";
import { openMoqConnection } from "../electron/engine/transport/connect";
import { activeMoqNetWorkarounds } from "../electron/engine/transport/moq-net-workarounds";

const FRAME_BYTES = Number(process.env.BENCH_FRAME_KB ?? 1024) * 1024;
const FRAMES = Math.max(1, Math.round((Number(process.env.BENCH_MB ?? 200) * 1024 * 1024) / FRAME_BYTES));
const GROUP_FRAMES = Number(process.env.BENCH_GROUP_FRAMES ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

type Variant = "floor" | "relay";
type ToChild = { cmd: "cpu-start" } | { cmd: "cpu-end" } | { cmd: "exit" };
type FromChild = { url: string } | { cpuMs: number; wallMs: number; rssMb: number };

// ---------------------------------------------------------------- child side

async function runChild(variant: Variant): Promise<void> {
	const url = variant === "floor" ? await startForwarder() : (await startRelay({ host: "127.0.0.1", port: 0 })).url;
	const send = (m: FromChild) => process.send?.(m);
	send({ url });
	let cpu = process.cpuUsage();
	let wall = performance.now();
	let rss = 0;
	const sample = setInterval(() => (rss = Math.max(rss, process.memoryUsage.rss())), 100);
	sample.unref();
	process.on("message", (m: ToChild) => {
		if (m.cmd === "cpu-start") {
			cpu = process.cpuUsage();
			wall = performance.now();
			rss = process.memoryUsage.rss();
		} else if (m.cmd === "cpu-end") {
			const d = process.cpuUsage(cpu);
			rss = Math.max(rss, process.memoryUsage.rss());
			send({ cpuMs: (d.user + d.system) / 1000, wallMs: performance.now() - wall, rssMb: rss / 1e6 });
		} else process.exit(0);
	});
}

/** The floor: forwards every binary message from the /pub socket to the /sub socket, with backpressure. */
async function startForwarder(): Promise<string> {
	const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
	const subs = new Set<WebSocket>();
	wss.on("connection", (ws, req) => {
		if (req.url === "/pub")
			ws.on("message", (data) => {
				for (const s of subs) s.send(data as Buffer);
				// The same flow control a relay has: stop reading while a subscriber is backed up.
				if ([...subs].some((s) => s.bufferedAmount > 8 * 1024 * 1024)) {
					ws.pause();
					const resume = setInterval(() => {
						if ([...subs].every((s) => s.bufferedAmount <= 8 * 1024 * 1024)) {
							clearInterval(resume);
							ws.resume();
						}
					}, 1);
				}
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
	request(cmd: ToChild): void;
	stats(): Promise<{ cpuMs: number; wallMs: number; rssMb: number }>;
}

async function spawnChild(variant: Variant): Promise<Child> {
	// BENCH_PROF=<dir> writes a CPU profile of each server process there.
	const prof = process.env.BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
	const proc = fork(process.argv[1] ?? "", ["--child", variant], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv: [...process.execArgv, ...prof] });
	const url = await new Promise<string>((resolve) => proc.once("message", (m: FromChild) => "url" in m && resolve(m.url)));
	return {
		proc,
		url,
		request: (cmd) => proc.send(cmd),
		stats: () =>
			new Promise((resolve) => {
				proc.once("message", (m: FromChild) => "cpuMs" in m && resolve(m));
				proc.send({ cmd: "cpu-end" } satisfies ToChild);
			}),
	};
}

function makeFrame(index: number): Uint8Array {
	const frame = new Uint8Array(FRAME_BYTES);
	new DataView(frame.buffer).setUint32(0, index);
	frame[FRAME_BYTES - 1] = index & 0xff;
	return frame;
}

/** `done` resolves with the frames received intact once `FRAMES` arrived or the stream ended. */
interface Receive {
	done: Promise<number>;
}

interface Side {
	/** Starts receiving; resolves once the subscription is live. */
	subscribe(): Promise<Receive>;
	/** Sends every frame as fast as flow control allows. */
	publish(): Promise<void>;
	close(): void;
}

async function moqSide(url: string): Promise<Side> {
	// The studio's own client connection (its QMux windows), as a publisher or recorder has.
	const connect = async () => (await openMoqConnection(new URL(url), { transport: "websocket", timeoutMs: 10_000 })).established;
	const [pub, sub] = await Promise.all([connect(), connect()]);
	const broadcast = new Moq.Broadcast.Producer();
	const track = broadcast.createTrack("bulk");
	const announced = sub.announced(Moq.Path.from("bench"));
	pub.publish(Moq.Path.from("bench/bulk"), broadcast);
	// Subscribe once the relay has the broadcast: before that the subscription is refused.
	for (let e = await announced.next(); e && !e.active; e = await announced.next());
	announced.close();
	return {
		async subscribe() {
			const subscription = sub.consume(Moq.Path.from("bench/bulk")).subscribe("bulk", { startGroup: 0 });
			const received = (async () => {
				let intact = 0;
				const reads: Promise<void>[] = [];
				for (let g = await subscription.recvGroup(); g; g = await subscription.recvGroup()) {
					const group = g;
					reads.push(
						(async () => {
							for (let f = await group.readFrame().catch(() => undefined); f; f = await group.readFrame().catch(() => undefined)) {
								const index = new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0);
								if (f.payload.byteLength === FRAME_BYTES && f.payload[FRAME_BYTES - 1] === (index & 0xff)) intact++;
							}
						})(),
					);
				}
				await Promise.all(reads);
				return intact;
			})().catch(() => 0);
			const deadline = Date.now() + 10_000;
			while (!track.used.peek() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
			return { done: received };
		},
		async publish() {
			for (let i = 0, seq = 0; i < FRAMES; seq++) {
				const group = new Moq.Group.Producer(seq);
				const pacer = paceGroup(group);
				track.writeGroup(group);
				for (let n = 0; n < GROUP_FRAMES && i < FRAMES; n++, i++) {
					await pacer.room(FRAME_BYTES);
					group.writeFrame({ payload: makeFrame(i), timestamp: Moq.Time.Timestamp.now() });
				}
				group.close();
			}
			// End the track; its end waits for the frames (the connection stays open).
			track.close();
		},
		close() {
			pub.close();
			sub.close();
		},
	};
}

async function floorSide(url: string): Promise<Side> {
	const open = (path: string) =>
		new Promise<WebSocket>((resolve, reject) => {
			const ws = new WebSocket(url + path, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
			ws.once("open", () => resolve(ws));
			ws.once("error", reject);
		});
	const [pub, sub] = await Promise.all([open("/pub"), open("/sub")]);
	return {
		async subscribe() {
			await new Promise((r) => setTimeout(r, 50)); // the forwarder registers /sub on connection
			const done = new Promise<number>((resolve) => {
				let intact = 0;
				let seen = 0;
				sub.on("message", (data: Buffer) => {
					const index = data.readUInt32BE(0);
					if (data.byteLength === FRAME_BYTES && data[FRAME_BYTES - 1] === (index & 0xff)) intact++;
					if (++seen === FRAMES) resolve(intact);
				});
				sub.once("close", () => resolve(intact));
			});
			return { done };
		},
		async publish() {
			for (let i = 0; i < FRAMES; i++) {
				while (pub.bufferedAmount > 8 * 1024 * 1024) await new Promise((r) => setTimeout(r, 1));
				pub.send(makeFrame(i));
			}
		},
		close() {
			pub.terminate();
			sub.terminate();
		},
	};
}

interface Result {
	variant: Variant;
	delivered: number;
	expected: number;
	mbps: number;
	cpuPct: number;
	rssMb: number;
	/** CPU of this process (publisher and subscriber). */
	clientCpuPct: number;
	/** Server CPU time per MB carried: what a saturated core would cost, whatever the load. */
	serverCpuMsPerMb: number;
}

async function measure(variant: Variant): Promise<Result> {
	const child = await spawnChild(variant);
	const side = variant === "floor" ? await floorSide(child.url) : await moqSide(child.url);
	const receiving = await side.subscribe();
	child.request({ cmd: "cpu-start" });
	const t0 = performance.now();
	const cpu0 = process.cpuUsage();
	await side.publish();
	const delivered = await receiving.done;
	const seconds = (performance.now() - t0) / 1000;
	const clientCpu = process.cpuUsage(cpu0);
	const stats = await child.stats();
	side.close();
	child.request({ cmd: "exit" });
	await new Promise((r) => child.proc.once("exit", r));
	return {
		variant,
		delivered,
		expected: FRAMES,
		mbps: (delivered * FRAME_BYTES) / 1e6 / seconds,
		cpuPct: (stats.cpuMs / stats.wallMs) * 100,
		rssMb: stats.rssMb,
		clientCpuPct: ((clientCpu.user + clientCpu.system) / 1000 / (seconds * 1000)) * 100,
		serverCpuMsPerMb: stats.cpuMs / ((delivered * FRAME_BYTES) / 1e6 || 1),
	};
}

/** Runs the benchmark and prints the report; resolves with the exit code (1 when a run lost frames). */
async function main(): Promise<number> {
	for (const level of ["debug", "info", "warn", "log"] as const) console[level] = () => {};
	const print = (line: string) => process.stdout.write(`${line}\n`);
	const off = Object.entries(activeMoqNetWorkarounds).filter(([, on]) => !on);
	print(
		`relay throughput: ${FRAMES} frames of ${FRAME_BYTES / 1024} KiB in ${GROUP_FRAMES}-frame groups, ${ROUNDS} round(s)` +
			(off.length > 0 ? ` (workarounds off: ${off.map(([k]) => k).join(", ")})` : ""),
	);
	print("variant     delivered        MB/s  server CPU  server ms/MB  server RSS MB  client CPU");
	const best = new Map<Variant, Result>();
	// The least server CPU per MB of each side: on a shared machine, wall-clock MB/s swings with
	// the neighbours' load, CPU per byte much less.
	const leanest = new Map<Variant, Result>();
	const incomplete: Result[] = [];
	for (let round = 0; round < ROUNDS; round++) {
		for (const variant of ["floor", "relay"] as const) {
			const r = await measure(variant);
			if (r.delivered !== r.expected) incomplete.push(r);
			const prev = best.get(variant);
			if (!prev || r.mbps > prev.mbps) best.set(variant, r);
			const lean = leanest.get(variant);
			if (r.delivered > 0 && (!lean || r.serverCpuMsPerMb < lean.serverCpuMsPerMb)) leanest.set(variant, r);
			print(
				`${r.variant.padEnd(10)} ${`${r.delivered}/${r.expected}`.padStart(11)}  ${r.mbps.toFixed(1).padStart(8)}  ${r.cpuPct.toFixed(1).padStart(9)}%  ${r.serverCpuMsPerMb.toFixed(2).padStart(12)}  ${r.rssMb.toFixed(0).padStart(12)}  ${r.clientCpuPct.toFixed(1).padStart(9)}%`,
			);
		}
	}
	const floor = best.get("floor");
	const relay = best.get("relay");
	if (floor && relay) print(`ratio relay/floor (best rounds): ${(relay.mbps / floor.mbps).toFixed(2)}x (${relay.mbps.toFixed(1)} vs ${floor.mbps.toFixed(1)} MB/s)`);
	const leanFloor = leanest.get("floor");
	const leanRelay = leanest.get("relay");
	if (leanFloor && leanRelay) {
		print(
			`server CPU per MB relay/floor: ${(leanRelay.serverCpuMsPerMb / leanFloor.serverCpuMsPerMb).toFixed(2)}x ` +
				`(${leanRelay.serverCpuMsPerMb.toFixed(2)} vs ${leanFloor.serverCpuMsPerMb.toFixed(2)} ms/MB; one core carries ${(1000 / leanRelay.serverCpuMsPerMb).toFixed(0)} vs ${(1000 / leanFloor.serverCpuMsPerMb).toFixed(0)} MB/s)`,
		);
	}
	if (incomplete.length === 0) return 0;
	print(`FAILED: ${incomplete.length} run(s) did not deliver every frame: ${incomplete.map((r) => `${r.variant} ${r.delivered}/${r.expected}`).join(", ")}`);
	return 1;
}

const childIndex = process.argv.indexOf("--child");
if (childIndex >= 0) void runChild(process.argv[childIndex + 1] as Variant);
else
	main().then(
		(code) => process.exit(code),
		(err: unknown) => {
			process.stderr.write(`${String(err)}\n`);
			process.exit(1);
		},
	);
