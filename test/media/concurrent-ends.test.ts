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
			const endedAt = Date.now();
			await until(() => studio.recordings.list().every((r) => ["finished", "failed"].includes(r.state)), 30_000, "every recording to finish");
			const lag = Date.now() - endedAt;
			const results: string[] = [];
			for (let i = 0; i < 4; i++) {
				const rec = studio.recordings.list().find((r) => r.path === `shows/${i}.hang`)!;
				for (const kind of ["v", "a"] as const) {
					const [src, got] = await Promise.all([packetHashes(sources[i]!, kind), packetHashes(rec.file!, kind)]);
					const same = got.length === src.length && got.every((h, j) => h === src[j]);
					const from = src.indexOf(got[0] ?? "");
					const contiguous = got.every((h, j) => h === src[from + j]);
					if (!same) results.push(`${i}${kind} starts at source packet ${from}, ${contiguous ? "contiguous" : "with holes"}, ends at ${from + got.length - 1} of ${src.length - 1}`);
					results.push(`${i}${kind}: ${got.length}/${src.length}${same ? "" : " DIFFERENT"} (${rec.state}, ${rec.end}) ${same ? "" : JSON.stringify(rec.tracks.map((t) => [t.name, t.frames, t.reason, t.group, t.skippedGroups, t.resubscribes, t.gaps]))}`);
				}
				expect(await decodeErrors(rec.file!)).toBe("");
			}
			console.log(`finished ${lag} ms after the publishers exited; ${results.join("; ")}`);
			expect(results.filter((r) => /DIFFERENT|failed|starts at/.test(r)), stderrs.join("\n---\n")).toEqual([]);
		} finally {
			await studio.close();
		}
	});
});
