/**
 * The Broadcasts view under a flood: thousands of announcements at once must render (not crash
 * the view) and the count must match the engine's. The smoothness figures are in bench/ui-*;
 * the last test is that benchmark's quick variant (same run, smaller), so the benchmark's code
 * and its delivery check stay working in `npm test`.
 */
import * as Moq from "@moq/net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { formatFloodReport, runAnnounceFlood } from "../helpers/flood";
import { eventually, openStudio } from "../helpers/ui";

let t: TestStudio;
let browser: Browser;
beforeAll(async () => {
	[t, browser] = await Promise.all([startTestStudio(), launchChromium()]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});

describe("Broadcasts view under a flood", () => {
	it("shows 3,000 announcements made at once, then their end, without a page error", { timeout: 60_000 }, async () => {
		const { page, errors } = await openStudio(browser, `${t.web.url}#/broadcasts`);
		const origin = t.studio.origins.create("flood");
		const producers = Array.from({ length: 3000 }, (_, i) => {
			const producer = new Moq.Broadcast.Producer();
			t.studio.origins.addBroadcast(origin.id, new LocalBroadcast(`flood/b-${i}.hang`, producer));
			return producer;
		});
		const count = () => page.getByTestId("broadcast-count").textContent();
		await eventually(count, (c) => c === "3000", 20_000, "3000 live broadcasts");
		await page.getByText("flood/b-0.hang").first().waitFor();
		for (const p of producers.slice(0, 1000)) p.close();
		await eventually(count, (c) => c === "2000", 20_000, "2000 live after 1000 ended");
		expect(errors).toEqual([]);
		await page.close();
	});

	it("quick variant of bench/ui-announce-flood: 1,000 at once, then churn, and every live broadcast shown", { timeout: 120_000 }, async () => {
		// Frame times are the benchmark's business; here delivery is asserted (the figures show on failure).
		const report = await runAnnounceFlood({ count: 1000, churnPerSecond: 100, churnSeconds: 2, floorSeconds: 1, floodSeconds: 1, deliveryTimeoutMs: 20_000 });
		expect(report.delivery, formatFloodReport(report)).toEqual({ expected: 1000, engine: 1000, shown: 1000, newestShown: true, floodComplete: true });
		expect(report.churnChanges).toBeGreaterThan(0);
	});
});
