/**
 * A long show (issue 18), the quick variant of bench/soak.ts that `npm test` runs: a relay, a
 * looping audio+video file publisher and a recorder, each the built CLI in its own process with
 * a 64 MB old space, for MOQ_STUDIO_SOAK_S seconds (default 180). Nothing may crash, the heap
 * after a full GC must stay flat once the 30 s group caches are full, and the recording must have
 * both tracks with no gap.
 *
 * Before the leak workaround (electron/engine/transport/moq-net-leaks.ts) the relay grew ~25 MB a
 * minute per subscribed Opus track and died of "JavaScript heap out of memory" within two
 * minutes under this cap.
 */
import { expect, it } from "vitest";
import { formatSoak, runSoak } from "../../bench/soak";
import { CLI_PATH } from "../helpers/cli";

/** Whole show, in seconds (env MOQ_STUDIO_SOAK_S). */
const SOAK_S = Number(process.env.MOQ_STUDIO_SOAK_S ?? 180);

it(
	`a ${SOAK_S} s audio+video show at 64 MB: no crash, flat heap after GC, no gap in the recording`,
	async () => {
		const summary = await runSoak({
			minutes: SOAK_S / 60,
			shape: "small",
			sampleS: 5,
			// The caches hold 30 s of groups (MEDIA_LATENCY_MAX_MS); give them that plus slack to fill.
			warmupS: Math.min(60, Math.max(40, SOAK_S / 3)),
			maxOldSpaceMb: 64,
			heapGrowthMb: Number(process.env.MOQ_STUDIO_SOAK_MAX_GROWTH_MB ?? 4),
			rssSlopeMb: 5,
			heapSlopeMb: 5,
			cli: process.env.MOQ_STUDIO_SOAK_CLI ?? CLI_PATH,
			keep: false,
			log: (line) => console.info(line),
		});
		console.info(formatSoak(summary));
		expect(summary.failures).toEqual([]);
		// Guard the guard: every process was measured, and the recording has both tracks.
		expect(summary.processes.map((p) => p.role).sort()).toEqual(["floor (idle relay)", "publisher", "recorder", "relay"]);
		expect(summary.recordings).toHaveLength(1);
		expect(summary.recordings[0]?.tracks.map((t) => t.kind).sort()).toEqual(["audio", "video"]);
	},
	(SOAK_S + 180) * 1000,
);
