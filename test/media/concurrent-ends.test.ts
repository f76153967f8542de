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

/** Keeps this thread busy for `ms`: the relay and the recorder in it cannot run meanwhile. */
function block(ms: number): void {
	const until = performance.now() + ms;
	while (performance.now() < until);
}

describe("publishers that end together", () => {
	// Starved: the relay's and recorder's process runs 60 ms in every 300 ms while the publishers
	// (other processes) run freely, as on a loaded machine. Publishers that closed their
	// connections once their ends were sent lost their tails in the relay's unread buffers, and
	// wall-clock "nothing arrived for 1 s" bounds gave up on groups that sat unread in them.
	it.each([
		["", false],
		[" while the relay's process is starved", true],
	])("four CLI publishers ending at once%s: four complete recordings", { timeout: 120_000 }, async (_name, starved) => {
		// Paths and files of their own: the relay is shared, and it keeps an ended broadcast's route
		// for a takeover grace, so the same path would be announced to the next case as running.
		const show = (i: number) => `shows/${starved ? "starved-" : ""}${i}.hang`;
		const sources = await Promise.all([0, 1, 2, 3].map((i) => makeH264Mp4(`${dir}/src-${i}.mp4`, 3, "testsrc", 300 + 100 * i)));
		const studio = new Studio({ host: "web", recordingsDir: `${dir}/recordings${starved ? "-starved" : ""}` });
		try {
			const back = studio.origins.create("back");
			const consumer = studio.sessions.connect({ url: relay.url, consumeOrigin: back.id });
			await until(() => studio.sessions.get(consumer).phase === "connected", 10_000, "session up");
			for (let i = 0; i < 4; i++) await studio.handlers["recordings.start"]({ originId: back.id, path: show(i), fileName: `rec-${i}.mp4` });
			const publishers = sources.map((file, i) => spawnStudioCli(["publish", "--url", relay.url, "--broadcast", show(i), "--file", file]));
			// Starved once every track is being recorded: a subscription that arrives only after its
			// publisher ended gets nothing, whatever the ends below do.
			if (starved) await until(() => studio.recordings.list().every((r) => r.tracks.length === 2 && r.tracks.every((t) => t.frames > 0)), 20_000, "every track recording");
			const hog = starved ? setInterval(() => block(240), 300) : undefined;
			const stderrs: string[] = [];
			try {
				for (const p of publishers) {
					const r = await waitForExit(p, 60_000);
					expect(r.code, r.stderr).toBe(0);
					stderrs.push(r.stderr);
				}
			} finally {
				clearInterval(hog);
			}
			await until(() => studio.recordings.list().every((r) => ["finished", "failed"].includes(r.state)), 30_000, "every recording to finish").catch((err: Error) => {
				const states = studio.recordings.list().map((r) => `${r.path} ${r.state}: ${r.tracks.map((t) => `${t.name} ${t.state} (${t.reason}) ${t.frames} frames`).join(", ")}`);
				throw new Error([err.message, ...states, ...studio.logger.recent("info", 200).map((e) => `${e.scope}: ${e.message}`)].join("\n"));
			});
			// Every packet of every source, in order; a difference says where the file starts and stops.
			const problems: string[] = [];
			for (let i = 0; i < 4; i++) {
				const rec = studio.recordings.list().find((r) => r.path === show(i))!;
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
			// The recorder's debug lines too: which groups it gave up, and where the gaps are.
			const warnings = studio.logger
				.recent("debug", 2000)
				.filter((e) => e.level !== "debug" || e.scope.startsWith("record"))
				.map((e) => `${e.scope}: ${e.message}`);
			expect(problems, [...warnings, ...stderrs].join("\n---\n")).toEqual([]);
		} finally {
			await studio.close();
		}
	});
});
