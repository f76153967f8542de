/**
 * Recording benchmark: CPU and write throughput of the recorder for BENCH_BROADCASTS broadcasts
 * (default 8) of BENCH_MBPS (default 6) Mb/s 1080p H.264 recorded at once, each to its own file,
 * against a floor measured in the same run (plainly copying the same bytes to as many files, one
 * write per GOP, which is about what the recorder's fragments amount to), so noisy neighbours on
 * a 2-core machine affect both sides alike. The goal (issue 11) is recorder CPU at most 1.5× the floor's.
 *
 * Real 1080p packets come from an ffmpeg-generated file (noise keeps x264 at the target rate);
 * they are replayed into a local hang broadcast as fast as the recorder takes them, looping with
 * increasing timestamps until BENCH_SECONDS of media.
 *
 * Exits 1 (after printing every figure) when the file holds fewer packets than were published.
 *
 * Run: npx esbuild bench/record-throughput.ts --bundle --platform=node --format=esm \
 *        --packages=external --outfile=out/bench/record-throughput.mjs && node out/bench/record-throughput.mjs
 * Env: BENCH_SECONDS (media seconds per broadcast, default 60), BENCH_MBPS (default 6),
 * BENCH_BROADCASTS (default 8).
 */
import "../electron/engine/polyfill";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import * as Moq from "@moq/net";
import { type SourcePacket, HangBroadcastPublisher, openMediaFile } from "../electron/engine/publish";
import { Recorder } from "../electron/engine/record";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const MBPS = Number(process.env.BENCH_MBPS ?? 6);
const BROADCASTS = Math.max(1, Math.floor(Number(process.env.BENCH_BROADCASTS ?? 8)));
const CLIP_SECONDS = 4;

function cpuMs(start: NodeJS.CpuUsage): number {
	const d = process.cpuUsage(start);
	return (d.user + d.system) / 1000;
}

async function main(): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), "moq-record-bench-"));
	try {
		const clip = join(dir, "clip.mp4");
		console.log(`generating ${CLIP_SECONDS} s of 1080p30 H.264 at ${MBPS} Mb/s ...`);
		execFileSync("ffmpeg", [
			"-hide_banner", "-v", "error", "-y",
			"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30,noise=alls=12:allf=t",
			"-t", String(CLIP_SECONDS),
			"-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
			"-b:v", `${MBPS}M`, "-minrate", `${MBPS}M`, "-maxrate", `${MBPS}M`, "-bufsize", `${MBPS}M`,
			clip,
		]);

		const media = await openMediaFile(clip);
		const track = media.tracks[0];
		if (!track || track.kind !== "video") throw new Error("no video track in the clip");
		const packets: SourcePacket[] = [];
		for await (const p of track.packets()) packets.push({ ...p, data: p.data.slice() });
		media.close();
		const clipUs = media.endUs - media.startUs;
		const loops = Math.max(1, Math.round(SECONDS / (clipUs / 1e6)));
		const clipBytes = packets.reduce((n, p) => n + p.data.byteLength, 0);
		const totalBytes = clipBytes * loops * BROADCASTS;
		const mediaSeconds = (clipUs * loops) / 1e6;
		console.log(`${packets.length} packets, ${(clipBytes / 1e6).toFixed(2)} MB per ${(clipUs / 1e6).toFixed(2)} s clip (${((clipBytes * 8) / (clipUs / 1e6) / 1e6).toFixed(1)} Mb/s); ${loops} loops = ${mediaSeconds.toFixed(0)} s per broadcast; ${BROADCASTS} broadcasts, ${(totalBytes / 1e6).toFixed(1)} MB in all`);

		// Floor: the same payload bytes, copied to one file per broadcast, one GOP per write,
		// interleaved across the files as the broadcasts arrive.
		const floorFiles = await Promise.all(Array.from({ length: BROADCASTS }, (_, i) => open(join(dir, `floor-${i}.bin`), "w")));
		let cpu = process.cpuUsage();
		let t0 = performance.now();
		const pos = floorFiles.map(() => 0);
		for (let loop = 0; loop < loops; loop++) {
			let gop: Uint8Array[] = [];
			const flush = async () => {
				const buf = Buffer.concat(gop);
				await Promise.all(
					floorFiles.map(async (f, i) => {
						await f.write(buf, 0, buf.byteLength, pos[i]);
						pos[i]! += buf.byteLength;
					}),
				);
				gop = [];
			};
			for (const p of packets) {
				if (p.keyframe && gop.length > 0) await flush();
				gop.push(p.data);
			}
			await flush();
		}
		for (const f of floorFiles) {
			await f.datasync();
			await f.close();
		}
		const floor = { wallMs: performance.now() - t0, cpuMs: cpuMs(cpu) };

		// Recorder: publish into local hang broadcasts, record each from its consumer, all at once.
		const runs = await Promise.all(
			Array.from({ length: BROADCASTS }, async (_, i) => {
				const producer = new Moq.Broadcast.Producer();
				const publisher = new HangBroadcastPublisher(producer);
				const writer = publisher.addVideo("video0", track.config);
				publisher.publishCatalog();
				const recorder = await Recorder.open({ folder: join(dir, "rec"), broadcast: `bench/1080p-${i}` });
				const recording = recorder.record(producer.consume());
				return { producer, publisher, writer, recorder, recording };
			}),
		);
		while (runs.some((r) => r.recorder.path === undefined)) await tick(); // subscribed once the files exist
		await tick();

		cpu = process.cpuUsage();
		t0 = performance.now();
		for (let loop = 0; loop < loops; loop++) {
			const offset = loop * clipUs - media.startUs;
			for (const p of packets) {
				for (const r of runs) r.writer.write({ data: p.data, timestampUs: p.timestampUs + offset, keyframe: p.keyframe });
				if (p.keyframe) await tick(); // let the recorders drain one GOP at a time
			}
		}
		for (const r of runs) r.publisher.close();
		const summaries = await Promise.all(
			runs.map(async (r) => {
				await r.recording;
				return r.recorder.finish();
			}),
		);
		const rec = { wallMs: performance.now() - t0, cpuMs: cpuMs(cpu) };
		for (const r of runs) r.producer.close();

		const counts = summaries.map((s) => s.tracks.video0?.frames ?? 0);
		const frames = counts.reduce((a, b) => a + b, 0);
		const expected = packets.length * loops * BROADCASTS;
		const fileBytes = summaries.reduce((n, s) => n + s.bytes, 0);
		const perBroadcast = counts.some((c) => c !== packets.length * loops) ? ` (per broadcast: ${counts.join(", ")} of ${packets.length * loops})` : "";
		const mbps = (ms: number) => (totalBytes / 1e6 / (ms / 1000)).toFixed(1);
		console.log("");
		console.log(`                 wall ms   MB/s   CPU ms   CPU per media second`);
		console.log(`floor (copy)   ${floor.wallMs.toFixed(0).padStart(8)} ${mbps(floor.wallMs).padStart(6)} ${floor.cpuMs.toFixed(0).padStart(8)}   ${(floor.cpuMs / mediaSeconds).toFixed(2)} ms`);
		console.log(`recorder       ${rec.wallMs.toFixed(0).padStart(8)} ${mbps(rec.wallMs).padStart(6)} ${rec.cpuMs.toFixed(0).padStart(8)}   ${(rec.cpuMs / mediaSeconds).toFixed(2)} ms`);
		console.log("");
		console.log(`recorder / floor: wall x${(rec.wallMs / floor.wallMs).toFixed(2)}, CPU x${(rec.cpuMs / floor.cpuMs).toFixed(2)}`);
		console.log(`recorder speed: x${((mediaSeconds * 1000) / rec.wallMs).toFixed(1)} real time for ${BROADCASTS} broadcasts; CPU at real time: ${((rec.cpuMs / (mediaSeconds * 1000)) * 100).toFixed(2)}% of one core`);
		console.log(`files: ${BROADCASTS}, ${fileBytes} bytes (${((fileBytes / totalBytes - 1) * 100).toFixed(2)}% container overhead), ${frames} of ${expected} packets, ${(summaries[0]?.durationS ?? 0).toFixed(1)} s each`);
		// Figures are printed either way; a recording that lost packets is a failure, not a measurement.
		if (frames !== expected) {
			console.log(`FAILED: recorded ${frames} of ${expected} packets${perBroadcast}`);
			process.exitCode = 1;
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

await main();
