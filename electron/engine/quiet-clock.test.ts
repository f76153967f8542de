import { describe, expect, it } from "vitest";
import { ChangeSignal } from "./change-signal";
import { QUIET_STEP_MAX_MS, QuietClock } from "./quiet-clock";

/** Keeps the thread busy for `ms`: to the clock, time in which it could not sample. */
function block(ms: number): void {
	const until = performance.now() + ms;
	while (performance.now() < until);
}

describe("QuietClock", () => {
	it("counts a stretch the event loop did not run as one step at most", () => {
		const quiet = new QuietClock(() => 0);
		block(1500);
		expect(quiet.read()).toBeLessThanOrEqual(QUIET_STEP_MAX_MS);
	});

	it("adds up quiet across samples and restarts at 0 on progress", async () => {
		let progress = 0;
		const quiet = new QuietClock(() => progress);
		const change = new ChangeSignal();
		let last = 0;
		for (let i = 0; i < 5; i++) {
			await quiet.wait(change, 1000);
			const ms = quiet.read();
			expect(ms).toBeGreaterThan(last);
			last = ms;
		}
		progress++;
		expect(quiet.read()).toBe(0);
	});

	it("starts from what the caller vouches for", () => {
		expect(new QuietClock(() => 0, 900).read()).toBeGreaterThanOrEqual(900);
	});
});
