/**
 * Announce-flood benchmark of the renderer: 10,000 announced broadcasts, then 100 announcements
 * and 100 unannouncements a second for 10 s, with the Broadcasts view open in Debian's Chromium
 * (through the web host, as `npm run web` serves it). The run is test/helpers/flood.ts; its quick
 * variant runs in `npm test` (test/ui/broadcasts-flood.test.ts).
 *
 * Reports long tasks and frame times (p50/p95/max) against a floor measured in the same run (the
 * same page and scrolling, idle), so a noisy 2-core machine affects both alike. Fails (non-zero
 * exit) unless delivery is complete: every broadcast of the flood shown, and after the churn
 * exactly the engine's live broadcasts, the newest among them — a view that drops rows under
 * load is broken, however smooth.
 *
 * Run: npm run build && npx vitest run -c bench/vitest.bench.config.ts
 * Env: FLOOD_COUNT (default 10000), CHURN_PER_SECOND (default 100), CHURN_SECONDS (default 10).
 * Writes the figures to out/bench/ui-announce-flood.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { expect, it } from "vitest";
import { formatFloodReport, runAnnounceFlood } from "../test/helpers/flood";

const COUNT = Number(process.env.FLOOD_COUNT ?? 10_000);
const CHURN_PER_SECOND = Number(process.env.CHURN_PER_SECOND ?? 100);
const CHURN_SECONDS = Number(process.env.CHURN_SECONDS ?? 10);

it(`renderer stays smooth with ${COUNT} broadcasts and ${CHURN_PER_SECOND}/s announce churn, and shows every one`, async () => {
	const report = await runAnnounceFlood({
		count: COUNT,
		churnPerSecond: CHURN_PER_SECOND,
		churnSeconds: CHURN_SECONDS,
		floorSeconds: 5,
		floodSeconds: 3,
		deliveryTimeoutMs: 60_000,
	});
	mkdirSync("out/bench", { recursive: true });
	writeFileSync("out/bench/ui-announce-flood.json", `${JSON.stringify(report, null, 2)}\n`);
	console.log(formatFloodReport(report));
	// Complete delivery, nothing less: 100% of the rows.
	expect(report.delivery).toEqual({ expected: COUNT, engine: COUNT, shown: COUNT, newestShown: true, floodComplete: true });
});
