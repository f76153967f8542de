/**
 * Announce-flood benchmark of the renderer: 10,000 announced broadcasts, then 100 announcements
 * and 100 unannouncements a second for 10 s, with the Broadcasts view open in Debian's Chromium
 * (through the web host, as `npm run web` serves it).
 *
 * Measures in the page: long tasks (PerformanceObserver 'longtask', > 50 ms) and frame times
 * (requestAnimationFrame deltas, p50/p95/max), while the list is scrolled every 250 ms like a
 * user browsing it. Reports them against a floor measured in the same run: the same page, same
 * scrolling, idle with no announcements — so a noisy 2-core machine affects both alike.
 *
 * Run: npm run build && npx vitest run -c bench/vitest.bench.config.ts
 * Env: FLOOD_COUNT (default 10000), CHURN_PER_SECOND (default 100), CHURN_SECONDS (default 10).
 * Writes the figures to out/bench/ui-announce-flood.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as Moq from "@moq/net";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { LocalBroadcast } from "../electron/engine/origins/broadcast";
import { launchChromium } from "../test/helpers/browser";
import { startTestStudio } from "../test/helpers/studio";
import { eventually } from "../test/helpers/ui";

const COUNT = Number(process.env.FLOOD_COUNT ?? 10_000);
const CHURN_PER_SECOND = Number(process.env.CHURN_PER_SECOND ?? 100);
const CHURN_SECONDS = Number(process.env.CHURN_SECONDS ?? 10);
const FLOOR_SECONDS = 5;

/** What the page measured over one phase. */
interface PhaseFigures {
	seconds: number;
	frames: number;
	p50FrameMs: number;
	p95FrameMs: number;
	maxFrameMs: number;
	longTasks: number;
	longTaskMs: number;
	longestTaskMs: number;
}

/** Installs the probes once: a rAF loop recording frame deltas, a long-task observer, a scroller. */
async function installProbes(page: Page): Promise<void> {
	await page.evaluate(() => {
		const w = window as unknown as { __bench: { frames: number[]; tasks: number[]; last: number; scrolling: boolean } };
		w.__bench = { frames: [], tasks: [], last: performance.now(), scrolling: false };
		const loop = (t: number) => {
			w.__bench.frames.push(t - w.__bench.last);
			w.__bench.last = t;
			requestAnimationFrame(loop);
		};
		requestAnimationFrame(loop);
		new PerformanceObserver((list) => {
			for (const e of list.getEntries()) w.__bench.tasks.push(e.duration);
		}).observe({ entryTypes: ["longtask"] });
		// A user browsing the list: jump a screen every 250 ms, wrapping at the end.
		setInterval(() => {
			const el = document.querySelector(".table-scroll");
			if (!el || !w.__bench.scrolling) return;
			el.scrollTop = el.scrollTop + el.clientHeight >= el.scrollHeight - 1 ? 0 : el.scrollTop + el.clientHeight;
		}, 250);
	});
}

/** Resets the probes, runs `during` for at least `seconds`, and returns what the page saw. */
async function measure(page: Page, seconds: number, during: () => Promise<void> = async () => {}): Promise<PhaseFigures> {
	await page.evaluate(() => {
		const w = window as unknown as { __bench: { frames: number[]; tasks: number[]; last: number; scrolling: boolean } };
		w.__bench.frames = [];
		w.__bench.tasks = [];
		w.__bench.last = performance.now();
		w.__bench.scrolling = true;
	});
	const started = Date.now();
	await Promise.all([during(), new Promise((r) => setTimeout(r, seconds * 1000))]);
	const elapsed = (Date.now() - started) / 1000;
	const { frames, tasks } = await page.evaluate(() => {
		const w = window as unknown as { __bench: { frames: number[]; tasks: number[]; scrolling: boolean } };
		w.__bench.scrolling = false;
		return { frames: w.__bench.frames.slice(1), tasks: w.__bench.tasks.slice() };
	});
	const sorted = [...frames].sort((a, b) => a - b);
	const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
	return {
		seconds: round(elapsed),
		frames: frames.length,
		p50FrameMs: round(pct(0.5)),
		p95FrameMs: round(pct(0.95)),
		maxFrameMs: round(sorted.at(-1) ?? 0),
		longTasks: tasks.length,
		longTaskMs: round(tasks.reduce((a, b) => a + b, 0)),
		longestTaskMs: round(Math.max(0, ...tasks)),
	};
}

const round = (n: number) => Math.round(n * 10) / 10;
const liveCount = async (page: Page) => Number(await page.getByTestId("broadcast-count").textContent());

it(`renderer stays smooth with ${COUNT} broadcasts and ${CHURN_PER_SECOND}/s announce churn`, async () => {
	const t = await startTestStudio();
	const browser = await launchChromium();
	const producers: Moq.Broadcast.Producer[] = [];
	try {
		const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
		await page.goto(`${t.web.url}#/broadcasts`);
		await page.getByRole("heading", { name: "No announced broadcasts" }).waitFor();
		await installProbes(page);
		const origin = t.studio.origins.create("flood");
		const add = (i: number) => {
			const producer = new Moq.Broadcast.Producer();
			producers.push(producer);
			t.studio.origins.addBroadcast(origin.id, new LocalBroadcast(`flood/room-${i % 100}/broadcast-${i}.hang`, producer));
		};

		const floor = await measure(page, FLOOR_SECONDS);

		// Phase 1: 10,000 announcements at once; measured until the view shows them all.
		const floodStart = Date.now();
		let shownMs = 0;
		const flood = await measure(page, 3, async () => {
			for (let i = 0; i < COUNT; i++) add(i);
			await eventually(() => liveCount(page), (n) => n === COUNT, 60_000, `${COUNT} live broadcasts`);
			shownMs = Date.now() - floodStart;
		});

		// Phase 2: churn — every 100 ms, end the oldest tenth-second's worth and announce as many new ones.
		let next = COUNT;
		let changes = 0;
		const churn = await measure(page, CHURN_SECONDS, async () => {
			const perTick = Math.max(1, Math.round(CHURN_PER_SECOND / 10));
			const until = Date.now() + CHURN_SECONDS * 1000;
			while (Date.now() < until) {
				for (let k = 0; k < perTick; k++) {
					producers.shift()?.close();
					add(next++);
					changes += 2;
				}
				await new Promise((r) => setTimeout(r, 100));
			}
		});
		const live = await liveCount(page);

		const ratio = (a: number, b: number) => round(a / Math.max(b, 0.1));
		const report = {
			count: COUNT,
			churnPerSecond: CHURN_PER_SECOND,
			churnChanges: changes,
			floodShownMs: shownMs,
			liveAtEnd: live,
			floor,
			flood,
			churn,
			p95RatioFlood: ratio(flood.p95FrameMs, floor.p95FrameMs),
			p95RatioChurn: ratio(churn.p95FrameMs, floor.p95FrameMs),
		};
		mkdirSync("out/bench", { recursive: true });
		writeFileSync("out/bench/ui-announce-flood.json", `${JSON.stringify(report, null, 2)}\n`);
		console.log(
			[
				`ui-announce-flood: ${COUNT} broadcasts shown in ${shownMs} ms; churn ${changes} changes in ${churn.seconds} s`,
				`phase    frames  p50 ms  p95 ms  max ms  long tasks (total ms, longest)`,
				...(["floor", "flood", "churn"] as const).map((k) => {
					const f = report[k];
					return `${k.padEnd(8)} ${String(f.frames).padStart(6)} ${String(f.p50FrameMs).padStart(7)} ${String(f.p95FrameMs).padStart(7)} ${String(f.maxFrameMs).padStart(7)}  ${f.longTasks} (${f.longTaskMs}, ${f.longestTaskMs})`;
				}),
				`p95 frame time vs floor: flood x${report.p95RatioFlood}, churn x${report.p95RatioChurn}`,
			].join("\n"),
		);
		expect(live).toBeGreaterThan(COUNT * 0.9);
	} finally {
		for (const p of producers) p.close();
		await browser.close();
		await t.close();
	}
});
