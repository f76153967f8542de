/**
 * Refreshes docs/screenshot.png (the Sessions view, dark) from the real studio in Debian's
 * Chromium, with a lived-in scene: the embedded relay, a second relay, a relay that is down,
 * origins and broadcasts. `SHOTS=dir` also writes every view in dark and light into `dir`.
 * Run: `npx vitest run -c scripts/vitest.scripts.config.ts screenshot` (not part of the test command).
 */
import * as Moq from "@moq/net";
import { it } from "vitest";
import { LocalBroadcast } from "../electron/engine/origins/broadcast";
import { closeQuietly, connect, publish, quietLibraryLogs } from "../test/relay/clients";
import { launchChromium } from "../test/helpers/browser";
import { startTestRelay } from "../test/helpers/relay";
import { startTestStudio } from "../test/helpers/studio";
import { sessionCard } from "../test/helpers/ui";
import { localBroadcast } from "../test/sessions/harness";

quietLibraryLogs();

it("writes docs/screenshot.png", { timeout: 120_000 }, async () => {
	const t = await startTestStudio({ embeddedRelay: true });
	const relay = await startTestRelay();
	const browser = await launchChromium();
	const stops: (() => void)[] = [];
	let raw: Moq.Connection.Established | undefined;
	try {
		const show = t.studio.origins.create("show");
		const monitor = t.studio.origins.create("monitor");
		t.studio.origins.create("backup");
		const studioOrigin = t.studio.origins.list().find((o) => o.name === "studio")!;
		t.studio.sessions.connect({ url: relay.url, publishOrigin: show.id, consumeOrigin: monitor.id });
		t.studio.sessions.connect({ url: "https://relay.example.invalid/", publishOrigin: show.id, backoff: { initial: 4000, max: 30_000 } });
		for (const path of ["live/main-stage.hang", "live/backstage.hang"]) {
			const b = localBroadcast(path);
			stops.push(b.stop);
			t.studio.origins.addBroadcast(show.id, b.broadcast);
		}
		const rehearsal = new Moq.Broadcast.Producer();
		t.studio.origins.addBroadcast(studioOrigin.id, new LocalBroadcast("rehearsal/camera-1.hang", rehearsal));
		raw = await connect(relay.url);
		for (const path of ["guests/alice.hang", "guests/bob.hang", "events/keynote.hang", "events/keynote-captions.hang"]) publish(raw, path);
		publish(raw, "events/panel.hang");
		// Watch one published broadcast through the relay so the session carries traffic.
		const sub = raw.consume(Moq.Path.from("live/main-stage.hang")).subscribe("video");
		void (async () => {
			while (await sub.readFrame().catch(() => undefined));
		})();

		for (const colorScheme of ["dark", "light"] as const) {
			const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, colorScheme });
			page.on("pageerror", (e) => console.error(`page error (${colorScheme}): ${e.stack ?? e.message}`));
			page.on("console", (m) => m.type() === "error" && console.error(`console error (${colorScheme}): ${m.text()}`));
			await page.goto(t.web.url);
			await sessionCard(page, "127.0.0.1").first().waitFor();
			await page.getByText(/Reconnecting in/).waitFor();
			await page.getByText(/[1-9][\d.]* [kM]b\/s/).first().waitFor({ timeout: 15_000 }).catch(() => undefined);
			// One that has just ended, to show the greyed state.
			rehearsal.close();
			await page.mouse.move(0, 0);
			if (colorScheme === "dark") await page.screenshot({ path: process.env.SHOT ?? "docs/screenshot.png" });
			const dir = process.env.SHOTS;
			if (dir) {
				await page.screenshot({ path: `${dir}/sessions-${colorScheme}.png` });
				for (const view of ["Origins", "Broadcasts"]) {
					await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: view }).click();
					await page.waitForTimeout(600);
					await page.screenshot({ path: `${dir}/${view.toLowerCase()}-${colorScheme}.png` });
				}
				await page.getByRole("button", { name: "Log", exact: true }).click();
				await page.waitForTimeout(400);
				await page.screenshot({ path: `${dir}/broadcasts-log-${colorScheme}.png` });
				await page.getByRole("button", { name: "Log", exact: true }).click();
				await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: "Sessions" }).click();
				await page.getByRole("button", { name: "Add relay" }).click();
				await page.waitForTimeout(300);
				await page.screenshot({ path: `${dir}/add-relay-${colorScheme}.png` });
				await page.keyboard.press("Escape");
				await page.getByRole("button", { name: "Settings" }).click();
				await page.waitForTimeout(300);
				await page.screenshot({ path: `${dir}/settings-${colorScheme}.png` });
				await page.keyboard.press("Escape");
			}
			await page.close();
		}
	} finally {
		for (const s of stops) s();
		closeQuietly(raw);
		await browser.close();
		await relay.close();
		await t.close();
	}
});
