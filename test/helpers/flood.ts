/**
 * The renderer's announce-flood run, shared by the benchmark (bench/ui-announce-flood.ts, full
 * size) and its quick variant in `npm test` (test/ui/broadcasts-flood.test.ts): n announced
 * broadcasts at once, then announce/unannounce churn, with the Broadcasts view open in Debian's
 * Chromium through the web host, as `npm run web` serves it.
 *
 * Measures in the page: long tasks (PerformanceObserver 'longtask', > 50 ms) and frame times
 * (requestAnimationFrame deltas, p50/p95/max), while the list is scrolled every 250 ms like a
 * user browsing it, against a floor measured in the same run (the same page and scrolling, idle),
 * so a noisy 2-core machine affects both alike. And checks delivery: after the churn the view
 * must show every live broadcast the engine has, and the newest of them.
 */
import * as Moq from "@moq/net";
import type { Page } from "playwright-core";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { launchChromium } from "./browser";
import { startTestStudio } from "./studio";
import { eventually } from "./ui";

/** The size of a run. */
export interface FloodOptions {
	/** Broadcasts announced at once. */
	count: number;
	/** Announcements and as many unannouncements per second during the churn. */
	churnPerSecond: number;
	churnSeconds: number;
	/** Seconds of the idle floor measurement. */
	floorSeconds: number;
	/** Seconds the flood phase is measured for at least (longer if the view takes longer). */
	floodSeconds: number;
	/** How long the view may take to show every broadcast, after the flood and after the churn. */
	deliveryTimeoutMs: number;
}

/** What the page measured over one phase. */
export interface PhaseFigures {
	seconds: number;
	frames: number;
	p50FrameMs: number;
	p95FrameMs: number;
	maxFrameMs: number;
	longTasks: number;
	longTaskMs: number;
	longestTaskMs: number;
}

/** Whether every broadcast reached the view: delivery is complete when all three agree. */
export interface FloodDelivery {
	/** Live broadcasts there must be: `count` (each churn step ends one and announces one). */
	expected: number;
	/** Live broadcasts the engine lists. */
	engine: number;
	/** Live broadcasts the view counts once it settled (or when it gave up waiting). */
	shown: number;
	/** The last broadcast announced is a row of the view (found with its search box). */
	newestShown: boolean;
	/** The view showed all `count` broadcasts after the flood phase. */
	floodComplete: boolean;
}

/** The figures of one run, as the benchmark writes them. */
export interface FloodReport {
	count: number;
	churnPerSecond: number;
	churnChanges: number;
	floodShownMs: number;
	delivery: FloodDelivery;
	floor: PhaseFigures;
	flood: PhaseFigures;
	churn: PhaseFigures;
	p95RatioFlood: number;
	p95RatioChurn: number;
}

interface BenchProbe {
	frames: number[];
	tasks: number[];
	last: number;
	scrolling: boolean;
}

/** Installs the probes once: a rAF loop recording frame deltas, a long-task observer, a scroller. */
async function installProbes(page: Page): Promise<void> {
	await page.evaluate(() => {
		const w = window as unknown as { __bench: BenchProbe };
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
		const w = window as unknown as { __bench: BenchProbe };
		w.__bench.frames = [];
		w.__bench.tasks = [];
		w.__bench.last = performance.now();
		w.__bench.scrolling = true;
	});
	const started = Date.now();
	await Promise.all([during(), new Promise((r) => setTimeout(r, seconds * 1000))]);
	const elapsed = (Date.now() - started) / 1000;
	const { frames, tasks } = await page.evaluate(() => {
		const w = window as unknown as { __bench: BenchProbe };
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

/**
 * Runs the flood and churn and returns the figures with the delivery check. Never throws for
 * incomplete delivery (the caller prints the figures, then fails on `delivery`); throws for a
 * setup failure.
 */
export async function runAnnounceFlood(options: FloodOptions): Promise<FloodReport> {
	const { count, churnPerSecond, churnSeconds, floorSeconds, floodSeconds, deliveryTimeoutMs } = options;
	const t = await startTestStudio();
	const browser = await launchChromium();
	const producers: Moq.Broadcast.Producer[] = [];
	try {
		const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
		await page.goto(`${t.web.url}#/broadcasts`);
		await page.getByRole("heading", { name: "No announced broadcasts" }).waitFor();
		await installProbes(page);
		const origin = t.studio.origins.create("flood");
		const name = (i: number) => `flood/room-${i % 100}/broadcast-${i}.hang`;
		const add = (i: number) => {
			const producer = new Moq.Broadcast.Producer();
			producers.push(producer);
			t.studio.origins.addBroadcast(origin.id, new LocalBroadcast(name(i), producer));
		};
		/** Waits until the view shows `n` live broadcasts; false (not a throw) if it never does. */
		const shows = (n: number) =>
			eventually(() => liveCount(page), (c) => c === n, deliveryTimeoutMs, `${n} live broadcasts`).then(
				() => true,
				() => false,
			);

		const floor = await measure(page, floorSeconds);

		// Phase 1: `count` announcements at once; measured until the view shows them all.
		const floodStart = Date.now();
		let shownMs = 0;
		let floodComplete = false;
		const flood = await measure(page, floodSeconds, async () => {
			for (let i = 0; i < count; i++) add(i);
			floodComplete = await shows(count);
			shownMs = Date.now() - floodStart;
		});

		// Phase 2: churn — every 100 ms, end the oldest tenth-second's worth and announce as many new ones.
		let next = count;
		let changes = 0;
		const churn = await measure(page, churnSeconds, async () => {
			const perTick = Math.max(1, Math.round(churnPerSecond / 10));
			const until = Date.now() + churnSeconds * 1000;
			while (Date.now() < until) {
				for (let k = 0; k < perTick; k++) {
					producers.shift()?.close();
					add(next++);
					changes += 2;
				}
				await new Promise((r) => setTimeout(r, 100));
			}
		});

		// Delivery: the view settles on exactly the engine's live broadcasts, the newest among them.
		await shows(count);
		const listed = await t.studio.handlers["broadcasts.list"]({});
		const shown = await liveCount(page);
		await page.getByLabel("Search").fill(`broadcast-${next - 1}.hang`);
		const newestShown = await page
			.locator(`li[data-path="${name(next - 1)}"][data-state="live"]`)
			.waitFor({ timeout: deliveryTimeoutMs })
			.then(
				() => true,
				() => false,
			);

		const ratio = (a: number, b: number) => round(a / Math.max(b, 0.1));
		return {
			count,
			churnPerSecond,
			churnChanges: changes,
			floodShownMs: shownMs,
			delivery: { expected: count, engine: listed.length, shown, newestShown, floodComplete },
			floor,
			flood,
			churn,
			p95RatioFlood: ratio(flood.p95FrameMs, floor.p95FrameMs),
			p95RatioChurn: ratio(churn.p95FrameMs, floor.p95FrameMs),
		};
	} finally {
		for (const p of producers) p.close();
		await browser.close();
		await t.close();
	}
}

/** The report as the benchmark prints it: a table of the phases and the ratios to the floor. */
export function formatFloodReport(report: FloodReport): string {
	const d = report.delivery;
	return [
		`ui-announce-flood: ${report.count} broadcasts shown in ${report.floodShownMs} ms; churn ${report.churnChanges} changes in ${report.churn.seconds} s`,
		`delivery: ${d.shown} of ${d.expected} live shown (engine lists ${d.engine}); newest ${d.newestShown ? "shown" : "MISSING"}; flood ${d.floodComplete ? "complete" : "INCOMPLETE"}`,
		`phase    frames  p50 ms  p95 ms  max ms  long tasks (total ms, longest)`,
		...(["floor", "flood", "churn"] as const).map((k) => {
			const f = report[k];
			return `${k.padEnd(8)} ${String(f.frames).padStart(6)} ${String(f.p50FrameMs).padStart(7)} ${String(f.p95FrameMs).padStart(7)} ${String(f.maxFrameMs).padStart(7)}  ${f.longTasks} (${f.longTaskMs}, ${f.longestTaskMs})`;
		}),
		`p95 frame time vs floor: flood x${report.p95RatioFlood}, churn x${report.p95RatioChurn}`,
	].join("\n");
}
