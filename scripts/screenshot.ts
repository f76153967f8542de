/**
 * Refreshes docs/screenshot.png from the real studio in Debian's Chromium.
 * Run: `npx vitest run -c scripts/vitest.scripts.config.ts screenshot` (not part of the test command).
 */
import { it } from "vitest";
import { launchChromium } from "../test/helpers/browser";
import { startTestStudio } from "../test/helpers/studio";

it("writes docs/screenshot.png", async () => {
	const t = await startTestStudio();
	const browser = await launchChromium();
	try {
		t.studio.origins.create("show");
		t.studio.origins.create("backup-relay");
		const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, colorScheme: "dark" });
		await page.goto(t.web.url);
		await page.getByRole("button", { name: "Origins" }).click();
		await page.getByText("backup-relay").waitFor();
		await page.screenshot({ path: process.env.SHOT ?? "docs/screenshot.png" });
	} finally {
		await browser.close();
		await t.close();
	}
});
