/**
 * The renderer's hooks in real Chromium, one component at a time (bundled from the source by
 * esbuild, React's production build): `useNow` must not re-render in a loop when its component
 * is the clock's only listener and renders are slow (React error #185, "Maximum update depth
 * exceeded", which turned main red on slow machines), and it must still tick.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { bundleForPage, eventually, openHarness } from "../helpers/ui";

/**
 * One `<Clock>` that is the only listener of its `useNow(period)` clock, with a render that
 * busy-waits 3 ms so that `Date.now()` always moves between two renders (the slow machine).
 * The page counts renders and the errors React reports through the root's handlers.
 */
const HARNESS = `
import { createRoot } from "react-dom/client";
import { useNow } from "./renderer/src/lib/hooks";

interface Probe { renders: number; errors: string[]; mount(period: number): void }
const probe: Probe = { renders: 0, errors: [], mount: () => {} };
(window as unknown as { probe: Probe }).probe = probe;

function Clock({ period }: { period: number }) {
	const now = useNow(period);
	probe.renders++;
	const until = performance.now() + 3;
	while (performance.now() < until) { /* a slow render */ }
	return <output data-now={now}>{now}</output>;
}

probe.mount = (period) => {
	const report = (e: unknown) => probe.errors.push(String(e instanceof Error ? e.message : e));
	const root = createRoot(document.getElementById("root")!, { onUncaughtError: report, onCaughtError: report, onRecoverableError: report });
	root.render(<Clock period={period} />);
};
`;

let browser: Browser;
let script: string;
let page: Page;
let errors: string[];

beforeAll(async () => {
	[browser, script] = await Promise.all([launchChromium(), bundleForPage(HARNESS)]);
});
afterAll(async () => {
	await browser?.close();
});
beforeEach(async () => {
	({ page, errors } = await openHarness(browser, script));
	return () => page.close();
});

/**
 * `work`, or an error saying the page stopped answering: a render loop that never yields holds
 * the page's main thread, and the test should say so rather than run into its own timeout.
 */
async function answered<T>(work: Promise<T>, what: string): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const hung = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`the page did not answer ${what} within 10 s: its main thread is stuck (a render loop?)`)), 10_000);
	});
	try {
		return await Promise.race([work, hung]);
	} finally {
		clearTimeout(timer);
	}
}

/** What the page's probe saw. */
const probe = () =>
	answered(
		page.evaluate(() => {
			const p = (window as unknown as { probe: { renders: number; errors: string[] } }).probe;
			return { renders: p.renders, errors: [...p.errors] };
		}),
		"the render count",
	);

/** Lets the page run `rounds` macrotasks and two animation frames: time for any effect-driven re-render. */
const settle = (rounds: number) =>
	answered(
		page.evaluate(async (n) => {
			for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
			for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(() => r(null)));
		}, rounds),
		"after mounting",
	);

describe("useNow in Chromium", () => {
	it("renders a slow component that is its clock's only listener a bounded number of times", async () => {
		// A period far longer than the test: every render after mount would come from the hook itself.
		await page.evaluate(() => (window as unknown as { probe: { mount(p: number): void } }).probe.mount(3_600_000));
		await settle(50);
		const seen = await probe();
		// Mount, plus at most one render if the clock moved `now` when it was subscribed.
		expect(seen.errors).toEqual([]);
		expect(errors).toEqual([]);
		expect(seen.renders).toBeGreaterThanOrEqual(1);
		expect(seen.renders).toBeLessThanOrEqual(2);
		// Still mounted (an uncaught #185 unmounts the root).
		await expect(answered(page.locator("output[data-now]").count(), "the component count")).resolves.toBe(1);
	});

	it("still ticks: the shown time moves forward with its clock", { timeout: 30_000 }, async () => {
		await page.evaluate(() => (window as unknown as { probe: { mount(p: number): void } }).probe.mount(100));
		const values: number[] = [];
		await eventually(
			async () => {
				const v = Number(await answered(page.locator("output[data-now]").getAttribute("data-now"), "the time shown"));
				if (values.at(-1) !== v) values.push(v);
				return values.length;
			},
			(n) => n >= 4,
			15_000,
			"four distinct times shown",
		);
		expect(values).toEqual([...values].sort((a, b) => a - b));
		const seen = await probe();
		expect(seen.errors).toEqual([]);
		expect(errors).toEqual([]);
		// Every time shown came from a render.
		expect(seen.renders).toBeGreaterThanOrEqual(values.length);
	});
});
