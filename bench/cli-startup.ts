/**
 * CLI start-up benchmark: how long `moq-studio relay` takes to print "listening" and
 * `moq-studio --help` to exit, against a floor measured in the same run: `node -e` with a `ws`
 * WebSocketServer listening on 127.0.0.1 (the least a Node WebSocket relay must load). Rounds
 * interleave the variants so a busy machine slows them alike; medians and the ratios to the floor
 * are printed.
 *
 * Then the consequence a user sees: a studio session publishing a 50 fps track through the relay
 * and another consuming it, with the studio's default reconnect backoff (first retry after
 * 0.5 s ± 20 %). The relay process is killed and started again on the same port; the figure is
 * the time from starting the new relay process to the first frame published after the restart
 * arriving at the consumer (p50 / p95 / max), and how many frames were written in that window.
 *
 * Run: npx esbuild bench/cli-startup.ts --bundle --platform=node --format=esm \
 *        --packages=external --outfile=out/bench/cli-startup.mjs && node out/bench/cli-startup.mjs
 * (after `npm run build`: it runs the built CLI).
 * Env: BENCH_ROUNDS (default 10), BENCH_RESTARTS (default 10; 0 skips the restart part),
 * BENCH_CLI (default out/main/cli.js), BENCH_CLI_BASE (a second CLI build measured in the same rounds
 * as "before"; the restart part then runs for both too), BENCH_HELP=0 (skip `--help`), BENCH_NO_HTTP3=1 (pass `--no-http3`: the
 * relay then skips its HTTP/3 WebTransport probe, which a bare `moq-studio relay` makes).
 */
import "../electron/engine/polyfill";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as Moq from "@moq/net";
import { LocalBroadcast } from "../electron/engine/origins/broadcast";
import { Studio } from "../electron/engine/studio";

// @moq/net logs every subscribe and disconnect through the console: keep the report readable.
const print = (line: string) => process.stdout.write(`${line}\n`);
for (const level of ["debug", "info", "log", "warn", "error"] as const) console[level] = () => {};

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 10);
const NO_HTTP3 = process.env.BENCH_NO_HTTP3 === "1" ? ["--no-http3"] : [];
const HELP = process.env.BENCH_HELP !== "0";
const CLI = resolve(process.env.BENCH_CLI ?? "out/main/cli.js");
/** BENCH_CLI_BASE: another build (e.g. of the previous commit) measured in the same rounds, as "before". */
const CLIS = [...(process.env.BENCH_CLI_BASE ? [resolve(process.env.BENCH_CLI_BASE)] : []), CLI];

const FLOOR_SCRIPT = `
const { WebSocketServer } = require("ws");
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
wss.on("listening", () => { process.stdout.write("listening on ws://127.0.0.1:" + wss.address().port + "/\\n"); });
process.on("SIGTERM", () => wss.close(() => process.exit(0)));
`;

/** Starts `node args`; resolves with the ms until a stdout line matches `pattern` (or the process exits, when `pattern` is null). */
function timeUntil(args: string[], pattern: RegExp | null): Promise<{ ms: number; child: ChildProcess }> {
	return new Promise((done, fail) => {
		const t0 = performance.now();
		const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], cwd: resolve(".") });
		let out = "";
		let err = "";
		child.stderr.on("data", (d: Buffer) => (err += d.toString()));
		child.stdout.on("data", (d: Buffer) => {
			out += d.toString();
			if (pattern?.test(out)) done({ ms: performance.now() - t0, child });
		});
		child.once("exit", (code) => {
			if (pattern === null && code === 0) done({ ms: performance.now() - t0, child });
			else if (!pattern?.test(out)) fail(new Error(`node ${args.join(" ")} exited ${code}: ${out}${err}`));
		});
	});
}

function stop(child: ChildProcess): Promise<void> {
	return new Promise((done) => {
		if (child.exitCode !== null || child.signalCode !== null) return done();
		child.once("exit", () => done());
		child.kill("SIGTERM");
	});
}

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

async function startupRounds(): Promise<void> {
	const LISTENING = /listening on /;
	const relayArgs = (cli: string) => [cli, "relay", "--listen", "127.0.0.1:0", ...NO_HTTP3];
	const floor: number[] = [];
	const relay = CLIS.map(() => [] as number[]);
	const help = CLIS.map(() => [] as number[]);
	// One warm-up of each, so the first round does not pay for a cold file cache.
	await stop((await timeUntil(["-e", FLOOR_SCRIPT], LISTENING)).child);
	for (const cli of CLIS) await stop((await timeUntil(relayArgs(cli), LISTENING)).child);
	for (let i = 0; i < ROUNDS; i++) {
		const f = await timeUntil(["-e", FLOOR_SCRIPT], LISTENING);
		floor.push(f.ms);
		await stop(f.child);
		for (const [k, cli] of CLIS.entries()) {
			const r = await timeUntil(relayArgs(cli), LISTENING);
			relay[k]!.push(r.ms);
			await stop(r.child);
			if (HELP) help[k]!.push((await timeUntil([cli, "--help"], null)).ms);
		}
	}
	const f = median(floor);
	print(`cli start-up over ${ROUNDS} rounds (median ms)${NO_HTTP3.length ? ", relay --no-http3" : ""}`);
	print(`floor   node -e ws listener             ${f.toFixed(0).padStart(5)} ms`);
	for (const [k, cli] of CLIS.entries()) {
		const tag = CLIS.length > 1 ? (k === 0 ? "before " : "after  ") : "";
		print(`relay   ${tag}moq-studio relay         ${median(relay[k]!).toFixed(0).padStart(5)} ms  ratio relay/floor ${(median(relay[k]!) / f).toFixed(2)}  (${cli})`);
		if (HELP) print(`help    ${tag}moq-studio --help        ${median(help[k]!).toFixed(0).padStart(5)} ms  ratio help/floor ${(median(help[k]!) / f).toFixed(2)}`);
	}
}

function freePort(): Promise<number> {
	return new Promise((done, fail) => {
		const srv = createServer();
		srv.once("error", fail);
		srv.listen(0, "127.0.0.1", () => {
			const port = (srv.address() as { port: number }).port;
			srv.close(() => done(port));
		});
	});
}

/** Kills and restarts the relay `RESTARTS` times under a live studio publisher and consumer. */
async function restartRounds(cli: string, tag: string): Promise<void> {
	const port = await freePort();
	const listen = ["relay", "--listen", `127.0.0.1:${port}`, ...NO_HTTP3];
	let relay = (await timeUntil([cli, ...listen], /listening on /)).child;
	const dataDir = await mkdtemp(join(tmpdir(), "moq-cli-startup-"));
	const studio = new Studio({ host: "web", dataDir });
	await studio.start();
	const h = studio.handlers;
	const pub = await h["origins.create"]({ name: "pub" });
	const watch = await h["origins.create"]({ name: "watch" });
	const url = `http://127.0.0.1:${port}/`;
	await h["sessions.connect"]({ url, publishOrigin: pub.id });
	await h["sessions.connect"]({ url, consumeOrigin: watch.id });

	// The publisher: a frame every 20 ms carrying its sequence number, a new group every 25 frames.
	const producer = new Moq.Broadcast.Producer();
	const track = producer.createTrack("t");
	studio.origins.addBroadcast(pub.id, new LocalBroadcast("bench/restart", producer));
	let seq = 0;
	let group: Moq.Group.Producer | undefined;
	const ticker = setInterval(() => {
		if (!group || seq % 25 === 0) {
			group?.close();
			group = track.appendGroup();
		}
		const payload = new Uint8Array(8);
		new DataView(payload.buffer).setUint32(0, seq++);
		group.writeFrame({ payload, timestamp: Moq.Time.Timestamp.now() });
	}, 20);

	// The consumer: every broadcast the consume origin gets (a new one per reconnect) is read.
	const arrivedAt = new Map<number, number>();
	let lastSeq = -1;
	const unwatch = studio.origins.watch(watch.id, (ev) => {
		if (!ev.active || ev.broadcast.path !== "bench/restart") return;
		const consumer = ev.broadcast.consume();
		const sub = consumer.subscribe("t");
		void (async () => {
			try {
				for (let g = await sub.recvGroup(); g; g = await sub.recvGroup()) {
					for (let f = await g.readFrame(); f; f = await g.readFrame()) {
						const n = new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0);
						if (!arrivedAt.has(n)) arrivedAt.set(n, performance.now());
						lastSeq = Math.max(lastSeq, n);
					}
				}
			} catch {
				// The connection dropped: the next epoch brings a new broadcast.
			} finally {
				sub.close();
				consumer.close();
			}
		})();
	});

	const waitFor = async (cond: () => boolean, ms: number, what: string) => {
		const end = Date.now() + ms;
		while (!cond()) {
			if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
			await new Promise((r) => setTimeout(r, 5));
		}
	};
	await waitFor(() => lastSeq >= 0, 20_000, "the first frame");
	const gaps: number[] = [];
	const lost: number[] = [];
	try {
		for (let i = 0; i < RESTARTS; i++) {
			await new Promise((r) => setTimeout(r, 300));
			relay.kill("SIGKILL");
			await new Promise((r) => relay.once("exit", r));
			const killedSeq = seq;
			const t0 = performance.now();
			relay = (await timeUntil([cli, ...listen], /listening on /)).child;
			// The first frame written after the new relay started, arriving at the consumer.
			const firstNew = seq;
			await waitFor(() => lastSeq >= firstNew, 30_000, `restart ${i + 1}`);
			const firstAt = Math.min(...[...arrivedAt].filter(([n]) => n >= firstNew).map(([, at]) => at));
			gaps.push(firstAt - t0);
			lost.push(firstNew - killedSeq);
		}
	} finally {
		clearInterval(ticker);
		unwatch();
		await studio.close();
		await stop(relay);
		await rm(dataDir, { recursive: true, force: true });
	}
	print(`relay restart x${RESTARTS}${tag}: relay process started -> first new frame at the consumer (${cli})`);
	print(
		`restart${tag} p50 ${median(gaps).toFixed(0)} ms  p95 ${quantile(gaps, 0.95).toFixed(0)} ms  max ${Math.max(...gaps).toFixed(0)} ms  ` +
			`(frames written while the relay was starting: median ${median(lost)})`,
	);
}

await startupRounds();
if (RESTARTS > 0) for (const [k, cli] of CLIS.entries()) await restartRounds(cli, CLIS.length > 1 ? (k === 0 ? " before" : " after") : "");
process.exit(0);
