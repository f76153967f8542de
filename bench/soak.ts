/**
 * Long-show soak: the load of a live show without the browser, for minutes or hours, to prove
 * that memory stays flat and no recording loses a track or a frame (issue 18).
 *
 * Every process is the built `moq-studio`, started as a user would, with `--expose-gc` and
 * `MOQ_STUDIO_HEAP_REPORT` so it prints its heap after a full GC on stderr
 * (electron/cli/heap-report.ts). Two shapes:
 * - `show` (the default): the studio (`web`) with its embedded relay, whose engine publishes a
 *   looping file and records two broadcasts through the contract (the calls the UI makes); a
 *   standalone relay; three looping file publishers (audio+video to each relay, audio only to
 *   the standalone one); three CLI recorders, one per publisher; two `announced` watchers.
 * - `small`: one relay, one looping audio+video publisher and one recorder (what `npm test` runs
 *   for three minutes, in test/media/long-show.test.ts).
 * An idle relay with no client is the floor, measured in the same run.
 *
 * At the end: per process, the heap growth (median of the first samples after warm-up against
 * the median of the last ones) and, for runs with at least 10 minutes after warm-up, the slopes
 * of heap and RSS in MB per 10 minutes; per recording, gaps (a step over 1.5x the track's median
 * frame interval) and lost tracks (one ending 2 s before the others). Exit code 1 when a process
 * died, a bound is exceeded, or a recording has a gap or lost a track.
 *
 * Run: npm run build && npx esbuild bench/soak.ts --bundle --platform=node --format=esm \
 *        --packages=external --outfile=out/bench/soak.mjs && node out/bench/soak.mjs
 * Env: SOAK_MINUTES (default 30), SOAK_SHAPE (show | small), SOAK_SAMPLE_S (30),
 *      SOAK_WARMUP_S (max(60, 20% of the run)), SOAK_MAX_OLD_SPACE_MB (unset: Node's default; set,
 *      it starves the relays and publishers, and in `small` every process, so a leak crashes),
 *      SOAK_HEAP_GROWTH_MB (4), SOAK_RSS_BOUND_MB (5, per 10 min), SOAK_HEAP_BOUND_MB (5, per 10 min),
 *      SOAK_KEEP (keep the folder with the recordings), SOAK_JSON (write the summary there).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { WebSocket } from "ws";

const run = promisify(execFile);

/** What to run and how strictly to judge it. */
export interface SoakOptions {
	minutes: number;
	shape: "show" | "small";
	/** Heap report period, seconds. */
	sampleS: number;
	/** Samples before this (seconds of each process's own clock) are warm-up: the 30 s caches fill. */
	warmupS: number;
	/** `--max-old-space-size` for the starved processes; undefined leaves Node's default. */
	maxOldSpaceMb?: number;
	/** Allowed heap growth after warm-up, MB. */
	heapGrowthMb: number;
	/** Slope bounds, MB per 10 minutes; applied when at least 10 minutes follow the warm-up. */
	rssSlopeMb: number;
	heapSlopeMb: number;
	/** The built CLI. */
	cli: string;
	/** Keep the working folder (recordings, clips) instead of removing it. */
	keep: boolean;
	/** Progress lines. */
	log: (line: string) => void;
}

/** Memory verdict of one process. */
export interface ProcessSummary {
	role: string;
	samples: number;
	/** Median heap after GC in the first and the last window after warm-up, MB. */
	heapStartMb: number;
	heapEndMb: number;
	rssStartMb: number;
	rssEndMb: number;
	/** Least-squares slopes after warm-up, MB per 10 minutes. */
	heapSlope: number;
	rssSlope: number;
	/** Why it failed, or null. */
	failure: string | null;
}

/** Gap check of one track of one recording. */
export interface TrackSummary {
	kind: "video" | "audio";
	packets: number;
	firstS: number;
	endS: number;
	gaps: number;
	gapS: number;
}

/** Everything a soak found; `failures` is empty when it passed. */
export interface SoakSummary {
	minutes: number;
	shape: SoakOptions["shape"];
	processes: ProcessSummary[];
	recordings: { name: string; tracks: TrackSummary[] }[];
	failures: string[];
}

/** Options from SOAK_* environment variables (see the file comment). */
export function soakOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SoakOptions {
	const minutes = Number(env.SOAK_MINUTES ?? 30);
	return {
		minutes,
		shape: env.SOAK_SHAPE === "small" ? "small" : "show",
		sampleS: Number(env.SOAK_SAMPLE_S ?? 30),
		warmupS: Number(env.SOAK_WARMUP_S ?? Math.max(60, minutes * 60 * 0.2)),
		maxOldSpaceMb: env.SOAK_MAX_OLD_SPACE_MB ? Number(env.SOAK_MAX_OLD_SPACE_MB) : undefined,
		heapGrowthMb: Number(env.SOAK_HEAP_GROWTH_MB ?? 4),
		rssSlopeMb: Number(env.SOAK_RSS_BOUND_MB ?? 5),
		heapSlopeMb: Number(env.SOAK_HEAP_BOUND_MB ?? 5),
		cli: resolve(env.SOAK_CLI ?? "out/main/cli.js"),
		keep: !!env.SOAK_KEEP,
		log: (line) => console.log(line),
	};
}

interface Sample {
	t: number;
	heap: number;
	rss: number;
}

interface Proc {
	role: string;
	child: ChildProcess;
	stdout: string;
	stderr: string;
	samples: Sample[];
	stopping: boolean;
	died?: string;
	exited: Promise<void>;
}

/** Least-squares slope of `y` (bytes) over `t` (ms), in MB per 10 minutes. */
export function slopeMbPer10Min(points: { t: number; y: number }[]): number {
	if (points.length < 3) return Number.NaN;
	const n = points.length;
	const mt = points.reduce((s, p) => s + p.t, 0) / n;
	const my = points.reduce((s, p) => s + p.y, 0) / n;
	let num = 0;
	let den = 0;
	for (const p of points) {
		num += (p.t - mt) * (p.y - my);
		den += (p.t - mt) ** 2;
	}
	return den === 0 ? Number.NaN : ((num / den) * 600_000) / 2 ** 20;
}

function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Steps between consecutive (sorted) times over 1.5x the median step: [count, seconds missing]. */
export function countGaps(times: number[]): { gaps: number; gapS: number } {
	const steps = times.slice(1).map((t, i) => t - (times[i] ?? t));
	const typical = median(steps);
	let gaps = 0;
	let gapS = 0;
	for (const d of steps) {
		if (typical > 0 && d > typical * 1.5 + 1e-4) {
			gaps++;
			gapS += d - typical;
		}
	}
	return { gaps, gapS };
}

async function checkRecording(file: string): Promise<TrackSummary[]> {
	const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=index,codec_type", "-of", "json", file]);
	const streams = (JSON.parse(stdout) as { streams: { index: number; codec_type: string }[] }).streams;
	const out: TrackSummary[] = [];
	for (const s of streams) {
		if (s.codec_type !== "audio" && s.codec_type !== "video") continue;
		const packets = await run("ffprobe", ["-v", "error", "-select_streams", String(s.index), "-show_entries", "packet=pts_time", "-of", "csv=p=0", file], {
			maxBuffer: 256 << 20,
		});
		// Sorted: video has B-frames, so decode order is not presentation order.
		const pts = packets.stdout
			.split("\n")
			.map((l) => Number.parseFloat(l))
			.filter((v) => Number.isFinite(v))
			.sort((a, b) => a - b);
		out.push({ kind: s.codec_type, packets: pts.length, firstS: pts[0] ?? 0, endS: pts.at(-1) ?? 0, ...countGaps(pts) });
	}
	return out;
}

/** A minimal client of the web host's contract bridge (the WebSocket the UI uses). */
async function bridge(url: string): Promise<{ invoke(method: string, args: unknown): Promise<unknown>; close(): void }> {
	const u = new URL(url);
	const ws = new WebSocket(`ws://${u.host}/bridge?token=${u.searchParams.get("token") ?? ""}`);
	await new Promise<void>((ok, fail) => {
		ws.once("open", () => ok());
		ws.once("error", fail);
	});
	let next = 1;
	const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
	ws.on("message", (data) => {
		const m = JSON.parse(String(data)) as { type: string; id?: number; ok?: boolean; result?: unknown; error?: { message: string } };
		if (m.type !== "response" || m.id === undefined) return;
		const p = pending.get(m.id);
		pending.delete(m.id);
		if (m.ok) p?.ok(m.result);
		else p?.fail(new Error(m.error?.message ?? "bridge error"));
	});
	return {
		invoke: (method, args) =>
			new Promise((ok, fail) => {
				const id = next++;
				pending.set(id, { ok, fail });
				ws.send(JSON.stringify({ type: "invoke", id, method, args }));
			}),
		close: () => ws.close(),
	};
}

/** Runs one soak; never throws for a finding (those are in `failures`), only for a broken setup. */
export async function runSoak(o: SoakOptions): Promise<SoakSummary> {
	if (!existsSync(o.cli)) throw new Error(`${o.cli} is missing: run \`npm run build\` first`);
	const dir = await mkdtemp(join(tmpdir(), "moq-soak-"));
	const procs: Proc[] = [];

	const start = (role: string, args: string[], starved = false): Proc => {
		const node = ["--expose-gc"];
		if (starved && o.maxOldSpaceMb) node.push(`--max-old-space-size=${o.maxOldSpaceMb}`);
		const child = spawn(process.execPath, [...node, o.cli, ...args], {
			stdio: ["ignore", "pipe", "pipe"],
			env: { ...process.env, MOQ_STUDIO_HEAP_REPORT: String(o.sampleS * 1000) },
		});
		const p: Proc = { role, child, stdout: "", stderr: "", samples: [], stopping: false, exited: new Promise((ok) => child.once("exit", () => ok())) };
		let partial = "";
		child.stdout?.on("data", (d: Buffer) => (p.stdout = (p.stdout + d.toString()).slice(-100_000)));
		child.stderr?.on("data", (d: Buffer) => {
			const lines = (partial + d.toString()).split("\n");
			partial = lines.pop() ?? "";
			for (const line of lines) {
				if (line.startsWith('{"event":"heap"')) {
					const h = JSON.parse(line) as { usedBytes: number; rssBytes: number; uptimeMs: number };
					p.samples.push({ t: h.uptimeMs, heap: h.usedBytes, rss: h.rssBytes });
				} else p.stderr = (p.stderr + line + "\n").slice(-100_000);
			}
		});
		child.once("exit", (code, signal) => {
			if (!p.stopping) p.died = `${role} exited with ${code ?? signal}: ${p.stderr.trim().split("\n").slice(-3).join(" | ")}`;
		});
		procs.push(p);
		return p;
	};
	const output = async (p: Proc, pattern: RegExp, what: string): Promise<string> => {
		const deadline = Date.now() + 30_000;
		for (;;) {
			const m = pattern.exec(p.stdout);
			if (m?.[1]) return m[1];
			if (p.died || Date.now() > deadline) throw new Error(`no ${what} from ${p.role}: ${p.died ?? p.stderr}`);
			await sleep(100);
		}
	};
	const stop = async (p: Proc) => {
		p.stopping = true;
		if (p.child.exitCode !== null || p.child.signalCode !== null) return;
		p.child.kill("SIGINT");
		if (!(await Promise.race([p.exited.then(() => true), sleep(15_000).then(() => false)]))) {
			p.child.kill("SIGKILL");
			await p.exited;
		}
	};

	const failures: string[] = [];
	const recordings: { name: string; file: string }[] = [];
	try {
		const clipS = 20;
		const av = join(dir, "av.mp4");
		const audioOnly = join(dir, "audio.mp4");
		const ff = (args: string[]) => run("ffmpeg", ["-hide_banner", "-v", "error", "-y", ...args]);
		// 640x360@30 H.264 with B-frames (GOP 1 s) and 48 kHz Opus (50 groups a second), looped.
		await ff([
			"-f", "lavfi", "-i", `testsrc2=size=640x360:rate=30:duration=${clipS}`,
			"-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${clipS}`,
			"-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "30", "-pix_fmt", "yuv420p", "-b:v", "800k",
			"-c:a", "libopus", "-b:a", "64k", av,
		]);
		if (o.shape === "show") await ff(["-f", "lavfi", "-i", `sine=frequency=660:sample_rate=48000:duration=${clipS}`, "-c:a", "libopus", "-b:a", "64k", audioOnly]);

		const listening = /listening on (\S+)/;
		start("floor (idle relay)", ["relay", "--listen", "127.0.0.1:0"]);
		const relay = start("relay", ["relay", "--listen", "127.0.0.1:0"], true);
		const relayUrl = await output(relay, listening, "relay address");
		const recorder = (name: string, url: string, broadcast: string) => {
			const file = join(dir, `${name}.mp4`);
			recordings.push({ name, file });
			start(name, ["record", "--url", url, "--broadcast", broadcast, "--out", file, "--json"], o.shape === "small");
		};
		const publisher = (name: string, url: string, broadcast: string, file: string) =>
			start(name, ["publish", "--url", url, "--broadcast", broadcast, "--file", file, "--loop"], true);

		let api: Awaited<ReturnType<typeof bridge>> | undefined;
		const engineRecordings: string[] = [];
		if (o.shape === "small") {
			// The recorder waits for the announcement, as a recording node would.
			recorder("recorder", relayUrl, "soak/show.hang");
			publisher("publisher", relayUrl, "soak/show.hang", av);
		} else {
			const web = start("web", ["web", "--port", "0", "--relay-port", "0", "--data-dir", join(dir, "web-data")], true);
			const embeddedUrl = await output(web, /Embedded relay listening on (\S+)/, "embedded relay address");
			const webUrl = await output(web, /open (\S+)/, "web address");
			recorder("rec-one", embeddedUrl, "soak/one.hang");
			recorder("rec-two", relayUrl, "soak/two.hang");
			recorder("rec-three", relayUrl, "soak/three.hang");
			start("watch-embedded", ["announced", "--url", embeddedUrl, "--json"]);
			start("watch-relay", ["announced", "--url", relayUrl, "--json"]);
			publisher("pub-one", embeddedUrl, "soak/one.hang", av);
			publisher("pub-two", relayUrl, "soak/two.hang", av);
			publisher("pub-three", relayUrl, "soak/three.hang", audioOnly);
			api = await bridge(webUrl);
			const origins = (await api.invoke("origins.list", {})) as { id: string }[];
			const originId = origins[0]?.id;
			if (!originId) throw new Error("the web host has no origin");
			await api.invoke("publishing.start", { originId, path: "soak/four.hang", file: av, loop: true });
			for (const path of ["soak/one.hang", "soak/four.hang"]) {
				const info = (await api.invoke("recordings.start", { originId, path, fileName: `engine-${path.slice(5, -5)}.mp4` })) as { id: string };
				engineRecordings.push(info.id);
			}
		}

		o.log(`soak (${o.shape}): ${procs.length} processes for ${o.minutes} min${o.maxOldSpaceMb ? `, starved at --max-old-space-size=${o.maxOldSpaceMb}` : ""}; in ${dir}`);
		const endAt = Date.now() + o.minutes * 60_000;
		let lastReport = Date.now();
		while (Date.now() < endAt && !procs.some((p) => p.died)) {
			await sleep(500);
			if (Date.now() - lastReport >= 60_000) {
				lastReport = Date.now();
				const mins = (o.minutes - (endAt - Date.now()) / 60_000).toFixed(1);
				o.log(`[${mins} min] heap MB: ${procs.map((p) => `${p.role} ${((p.samples.at(-1)?.heap ?? 0) / 2 ** 20).toFixed(1)}`).join(", ")}`);
			}
		}

		// Stop: recordings first (so they finish their files), then the sources, then the relays.
		for (const id of engineRecordings) {
			const info = (await api?.invoke("recordings.stop", { id }).catch((e: Error) => failures.push(`engine recording: ${e.message}`))) as
				| { file: string | null; path: string }
				| undefined;
			if (info?.file) recordings.push({ name: `engine ${info.path}`, file: info.file });
		}
		api?.close();
		for (const p of procs) if (p.died) failures.push(p.died);
		const recordersFirst = [...procs].sort((a, b) => Number(b.role.startsWith("rec")) - Number(a.role.startsWith("rec")));
		for (const p of recordersFirst) await stop(p);

		const processes = procs.map((p) => summarizeProcess(p, o));
		for (const s of processes) if (s.failure && !s.role.startsWith("floor")) failures.push(`${s.role}: ${s.failure}`);
		const recorded: SoakSummary["recordings"] = [];
		for (const r of recordings) {
			if (!existsSync(r.file)) {
				failures.push(`${r.name}: no file`);
				continue;
			}
			const tracks = await checkRecording(r.file);
			recorded.push({ name: r.name, tracks });
			const end = Math.max(...tracks.map((t) => t.endS));
			if (tracks.length === 0) failures.push(`${r.name}: no track`);
			for (const t of tracks) {
				if (t.gaps > 0) failures.push(`${r.name}: ${t.kind} has ${t.gaps} gaps (${t.gapS.toFixed(2)} s)`);
				if (end - t.endS > 2) failures.push(`${r.name}: ${t.kind} ends at ${t.endS.toFixed(1)} s of ${end.toFixed(1)} s (track lost)`);
			}
			if (end - Math.min(...tracks.map((t) => t.firstS)) < o.minutes * 60 * 0.8) failures.push(`${r.name}: only ${end.toFixed(0)} s recorded`);
		}
		return { minutes: o.minutes, shape: o.shape, processes, recordings: recorded, failures };
	} finally {
		for (const p of procs) {
			p.stopping = true;
			if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
		}
		if (!o.keep) await rm(dir, { recursive: true, force: true });
	}
}

function summarizeProcess(p: Proc, o: SoakOptions): ProcessSummary {
	const after = p.samples.filter((s) => s.t >= o.warmupS * 1000);
	const window = Math.max(3, Math.ceil(20 / o.sampleS));
	const mb = (xs: Sample[], key: "heap" | "rss") => median(xs.map((s) => s[key])) / 2 ** 20;
	const first = after.slice(0, window);
	const last = after.slice(-window);
	const s: ProcessSummary = {
		role: p.role,
		samples: p.samples.length,
		heapStartMb: mb(first, "heap"),
		heapEndMb: mb(last, "heap"),
		rssStartMb: mb(first, "rss"),
		rssEndMb: mb(last, "rss"),
		heapSlope: slopeMbPer10Min(after.map((x) => ({ t: x.t, y: x.heap }))),
		rssSlope: slopeMbPer10Min(after.map((x) => ({ t: x.t, y: x.rss }))),
		failure: null,
	};
	const longEnough = after.length > 0 && (after.at(-1)!.t - after[0]!.t) / 60_000 >= 10;
	if (after.length < 2 * window) s.failure = `only ${after.length} heap samples after warm-up`;
	else if (s.heapEndMb - s.heapStartMb > o.heapGrowthMb) s.failure = `heap grew ${(s.heapEndMb - s.heapStartMb).toFixed(1)} MB after warm-up`;
	else if (longEnough && s.heapSlope > o.heapSlopeMb) s.failure = `heap slope ${s.heapSlope.toFixed(1)} MB per 10 min`;
	else if (longEnough && s.rssSlope > o.rssSlopeMb) s.failure = `RSS slope ${s.rssSlope.toFixed(1)} MB per 10 min`;
	return s;
}

/** The summary as the table the closing notes quote. */
export function formatSoak(s: SoakSummary): string {
	const lines = [
		`memory after warm-up (MB; slopes in MB per 10 min)`,
		["process", "heap start", "heap end", "heap slope", "RSS start", "RSS end", "RSS slope", "verdict"].join("\t"),
		...s.processes.map((p) =>
			[p.role, p.heapStartMb.toFixed(1), p.heapEndMb.toFixed(1), p.heapSlope.toFixed(2), p.rssStartMb.toFixed(1), p.rssEndMb.toFixed(1), p.rssSlope.toFixed(2), p.failure ?? "ok"].join("\t"),
		),
		``,
		`recordings (a gap: a step over 1.5x the track's median frame interval)`,
		...s.recordings.map((r) => `${r.name}: ${r.tracks.map((t) => `${t.kind} ${t.packets} packets ${t.firstS.toFixed(1)}-${t.endS.toFixed(1)} s, ${t.gaps} gaps (${t.gapS.toFixed(2)} s)`).join("; ")}`),
		``,
		s.failures.length ? `soak FAILED:\n- ${s.failures.join("\n- ")}` : `soak ok`,
	];
	return lines.join("\n");
}

async function main(): Promise<number> {
	const options = soakOptionsFromEnv();
	const summary = await runSoak(options);
	console.log(`\n${formatSoak(summary)}`);
	if (process.env.SOAK_JSON) await writeFile(process.env.SOAK_JSON, JSON.stringify(summary, null, 2));
	return summary.failures.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	main().then(
		(code) => process.exit(code),
		(e: unknown) => {
			console.error(e);
			process.exit(1);
		},
	);
}
