/**
 * Several publishers ending at the same moment: every recording still gets every packet, its
 * tail included, and ends when its broadcast ends. Four `moq-studio publish` processes start
 * together into one relay; the studio records each through one consuming session.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { Studio } from "../../electron/engine/studio";
import { spawnStudioCli, waitForExit } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { quietLibraryLogs, until } from "../relay/clients";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "./media-helpers";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-concurrent-ends-"));
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

describe("publishers that end together", () => {
	it("four CLI publishers ending at once: four complete recordings", { timeout: 120_000 }, async () => {
		const sources = await Promise.all([0, 1, 2, 3].map((i) => makeH264Mp4(`${dir}/src-${i}.mp4`, 3, "testsrc", 300 + 100 * i)));
		const studio = new Studio({ host: "web", recordingsDir: `${dir}/recordings` });
		try {
			const back = studio.origins.create("back");
			const consumer = studio.sessions.connect({ url: relay.url, consumeOrigin: back.id });
			await until(() => studio.sessions.get(consumer).phase === "connected", 10_000, "session up");
			for (let i = 0; i < 4; i++) await studio.handlers["recordings.start"]({ originId: back.id, path: `shows/${i}.hang`, fileName: `rec-${i}.mp4` });
			const publishers = sources.map((file, i) => spawnStudioCli(["publish", "--url", relay.url, "--broadcast", `shows/${i}.hang`, "--file", file]));
			const stderrs: string[] = [];
			for (const p of publishers) {
				const r = await waitForExit(p, 60_000);
				expect(r.code, r.stderr).toBe(0);
				stderrs.push(r.stderr);
			}
			await until(() => studio.recordings.list().every((r) => ["finished", "failed"].includes(r.state)), 30_000, "every recording to finish").catch((err: Error) => {
				const states = studio.recordings.list().map((r) => `${r.path} ${r.state}: ${r.tracks.map((t) => `${t.name} ${t.state} (${t.reason}) ${t.frames} frames`).join(", ")}`);
				throw new Error([err.message, ...states, ...studio.logger.recent("info", 200).map((e) => `${e.scope}: ${e.message}`)].join("\n"));
			});
			// Every packet of every source, in order; a difference says where the file starts and stops.
			const problems: string[] = [];
			for (let i = 0; i < 4; i++) {
				const rec = studio.recordings.list().find((r) => r.path === `shows/${i}.hang`)!;
				if (rec.state !== "finished" || rec.end !== "ended") problems.push(`${i}: ${rec.state}, ${rec.end}`);
				if (!rec.file) {
					problems.push(`${i}: no file`);
					continue;
				}
				for (const kind of ["v", "a"] as const) {
					// A file without the track reads as no packets, so the report still covers every track.
					const [src, got] = await Promise.all([packetHashes(sources[i]!, kind), packetHashes(rec.file, kind).catch(() => [])]);
					if (got.length === src.length && got.every((h, j) => h === src[j])) continue;
					const from = src.indexOf(got[0] ?? "");
					const holes = got.some((h, j) => h !== src[from + j]);
					problems.push(`${i}${kind}: ${got.length}/${src.length} packets, source ${from} to ${from + got.length - 1}${holes ? " with holes" : ""}; ${rec.tracks.map((t) => `${t.name} ${t.state} (${t.reason}), ${t.gaps} gaps, ${t.resubscribes} resubscribes`).join("; ")}`);
				}
				const errors = await decodeErrors(rec.file);
				if (errors) problems.push(`${i}: decode errors ${errors}`);
			}
			const warnings = studio.logger.recent("info", 500).map((e) => `${e.scope}: ${e.message}`);
			expect(problems, [...warnings, ...stderrs].join("\n---\n")).toEqual([]);
		} finally {
			await studio.close();
		}
	});
});
