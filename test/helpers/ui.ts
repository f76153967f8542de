/**
 * Helpers for the renderer's UI tests (test/ui): a page on the web host that records console
 * errors, and small waits that poll the page rather than sleeping.
 */
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContextOptions, Locator, Page } from "playwright-core";

/** A studio page and the console errors and uncaught exceptions it produced. */
export interface StudioPage {
	page: Page;
	errors: string[];
}

/** Opens `url` (the web host's address with its token) in a fresh page. */
export async function openStudio(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<StudioPage> {
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...options });
	const errors: string[] = [];
	page.on("console", (m) => {
		if (m.type() === "error") errors.push(m.text());
	});
	page.on("pageerror", (e) => errors.push(e.message));
	await page.goto(url);
	await page.getByRole("navigation", { name: "Main" }).waitFor();
	await page.getByText(/Engine v\d+/).waitFor();
	return { page, errors };
}

/** The card of the session whose URL contains `url` (e.g. `127.0.0.1:4443`). */
export function sessionCard(page: Page, url: string): Locator {
	return page.getByRole("listitem", { name: new RegExp(`^Session to ${escapeRegExp(url)}`) });
}

/** Escapes `s` for use inside a RegExp. */
export function escapeRegExp(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Polls `read` until `ok` accepts its value, or throws with the last value after `ms`. */
export async function eventually<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 15_000, what = "a condition"): Promise<T> {
	const deadline = Date.now() + ms;
	let last: T | undefined;
	for (;;) {
		last = await read();
		if (ok(last)) return last;
		if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

/**
 * Bundles `source` (TypeScript/TSX, imports resolved from the repository root, e.g.
 * `./renderer/src/lib/hooks`) into one classic script for a test page, with React in its
 * production build as the studio ships it. Lets a UI test render one component in real
 * Chromium without the whole app.
 */
export async function bundleForPage(source: string): Promise<string> {
	const { build } = await import("esbuild");
	const result = await build({
		stdin: { contents: source, loader: "tsx", resolveDir: fileURLToPath(new URL("../..", import.meta.url)), sourcefile: "harness.tsx" },
		bundle: true,
		write: false,
		format: "iife",
		platform: "browser",
		target: "es2022",
		jsx: "automatic",
		define: { "process.env.NODE_ENV": '"production"' },
		logLevel: "silent",
	});
	return result.outputFiles[0]!.text;
}

/**
 * A blank page running `script` (from {@link bundleForPage}) after a `<div id="root">`, and the
 * console errors and uncaught exceptions it produced.
 */
export async function openHarness(browser: Browser, script: string): Promise<StudioPage> {
	const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
	const errors: string[] = [];
	page.on("console", (m) => {
		if (m.type() === "error") errors.push(m.text());
	});
	page.on("pageerror", (e) => errors.push(e.message));
	await page.setContent('<!doctype html><html><body><div id="root"></div></body></html>');
	await page.addScriptTag({ content: script });
	return { page, errors };
}

/** Sets a number field the way a person types it, and waits for it to hold `expected`. */
export async function setNumber(page: Page, label: string, value: number, expected = value): Promise<void> {
	const input = page.getByLabel(label, { exact: true });
	await input.fill(String(value));
	await eventually(() => input.inputValue(), (v) => Number(v) === expected, 5_000, `${label} = ${expected}`);
}
