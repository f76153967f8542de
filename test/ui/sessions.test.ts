/**
 * The Sessions and Broadcasts views against real sockets: a session added through the form
 * connects to a relay, broadcasts a raw @moq/net client publishes appear and end under the right
 * prefix filter, and a relay restart shows backoff (countdown, last error) and then epoch 2.
 *
 * Every test has its own page, its own relay and its own session (found by the relay's port);
 * only the browser and the studio are shared, so one failure does not knock over the rest.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRelay, type RelayHandle } from "../../electron/engine/relay";
import { launchChromium } from "../helpers/browser";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio, sessionCard } from "../helpers/ui";
import { closeQuietly, connect, publish, quietLibraryLogs } from "../relay/clients";
import type { SessionConnectArgs } from "../../shared/sessions";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;
let monitor: string;
let page: Page;
let errors: string[];
/** Run after each test, last first: the test's relays and sessions. */
let cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
	[t, browser] = await Promise.all([startTestStudio({ embeddedRelay: true }), launchChromium()]);
	monitor = t.studio.origins.create("monitor").id;
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
});
beforeEach(async () => {
	({ page, errors } = await openStudio(browser, t.web.url));
});
afterEach(async () => {
	for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
	cleanups = [];
	await page?.close();
});

/** A relay for this test only, and the removal of every session that points at it. */
async function ownRelay(): Promise<{ relay: RelayHandle; port: number }> {
	const relay = await startTestRelay();
	// The test may replace `relay` (a restart on the same port): the cleanup closes the current one.
	const own = { relay, port: relay.port };
	cleanups.push(async () => {
		for (const s of sessionsTo(own.port)) await t.studio.sessions.remove(s.id).catch(() => {});
		await own.relay.close();
	});
	return own;
}

/** The engine's sessions to the relay on `port`. */
const sessionsTo = (port: number) => t.studio.sessions.list().filter((s) => s.url.includes(`:${port}`));

/** A relay of this test's own with a connected session to it, consuming into "monitor". */
async function connectedSession(options: Partial<SessionConnectArgs> = {}): Promise<{ relay: RelayHandle; port: number }> {
	const own = await ownRelay();
	t.studio.sessions.connect({ url: own.relay.url, consumeOrigin: monitor, ...options });
	await sessionCard(page, `127.0.0.1:${own.port}`).getByText("Connected").waitFor({ timeout: 15_000 });
	return own;
}

const nav = (name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("button", { name, exact: true }).click();
const row = (path: string) => page.locator(`li[data-path="${path}"]`);

describe("Sessions and Broadcasts in Chromium", () => {
	it("lists the embedded relay's session, marked as the local relay", async () => {
		const embedded = new URL(t.studio.embeddedRelay!.url).host;
		const card = sessionCard(page, embedded);
		await card.getByText("Local relay").waitFor();
		await card.getByText("Connected").waitFor();
		await card.getByText("epoch 1").waitFor();
		expect(errors).toEqual([]);
	});

	it("adds a session through the form and watches it connect", { timeout: 45_000 }, async () => {
		const { relay, port } = await ownRelay();
		await page.getByRole("button", { name: "Add relay" }).click();
		const dialog = page.getByRole("dialog", { name: "Add a relay" });
		await dialog.waitFor();
		await dialog.getByLabel("Relay URL").fill(relay.url);
		await dialog.getByLabel("Consume origin").selectOption({ label: "monitor" });
		await dialog.getByText("Reconnect backoff").click();
		await dialog.getByLabel("First retry (s)").fill("4");
		await dialog.getByRole("button", { name: "Connect" }).click();
		await dialog.waitFor({ state: "hidden" });

		const card = sessionCard(page, `127.0.0.1:${port}`);
		await card.getByText("Connected").waitFor({ timeout: 15_000 });
		await card.getByText("epoch 1").waitFor();
		await card.getByText("WebSocket").waitFor();
		await card.getByText(/moq-lite|moqt/).first().waitFor();
		await card.getByText("monitor").waitFor();

		const [engine] = sessionsTo(port);
		expect(engine).toMatchObject({ phase: "connected", epoch: 1, consumeOrigin: monitor });
		expect(t.studio.sessions.config(engine!.id).backoff).toMatchObject({ initial: 4000 });
		expect(errors).toEqual([]);
	});

	it("shows broadcasts a relay announces under the prefix filter, and their end", { timeout: 45_000 }, async () => {
		const { relay, port } = await connectedSession();
		const conn = await connect(relay.url);
		try {
			const a = publish(conn, "live/a.hang");
			publish(conn, "live/b.hang");
			publish(conn, "other/c.hang");
			await nav("Broadcasts");
			await page.getByLabel("Path prefix").fill("live");
			await row("live/a.hang").waitFor({ timeout: 15_000 });
			await row("live/b.hang").waitFor();
			await expect(row("live/a.hang").textContent()).resolves.toContain(`127.0.0.1:${port}`);
			await expect(row("live/a.hang").textContent()).resolves.toContain("monitor");
			expect(await row("other/c.hang").count()).toBe(0);

			await page.getByLabel("Path prefix").fill("other/");
			await row("other/c.hang").waitFor();
			expect(await row("live/a.hang").count()).toBe(0);

			await page.getByLabel("Path prefix").fill("live");
			await row("live/a.hang").waitFor();
			a.broadcast.close();
			await page.locator(`li[data-path="live/a.hang"][data-state="ended"]`).waitFor({ timeout: 10_000 });
			await row("live/a.hang").getByText(/ended/).waitFor();
			await expect(page.locator(`li[data-path="live/b.hang"]`).getAttribute("data-state")).resolves.toBe("live");

			// Search narrows within the prefix.
			await page.getByLabel("Search").fill("b.h");
			await eventually(() => row("live/a.hang").count(), (n) => n === 0, 5000, "live/a.hang filtered out");
			await row("live/b.hang").waitFor();
			await page.getByRole("button", { name: "Clear filter" }).click();
			await row("other/c.hang").waitFor();
			expect(errors).toEqual([]);
		} finally {
			closeQuietly(conn);
		}
	});

	it("shows backoff with a countdown and the last error when the relay restarts, then epoch 2", { timeout: 60_000 }, async () => {
		// A long first wait keeps the backoff countdown on screen for several seconds.
		const own = await connectedSession({ backoff: { initial: 4000 } });
		const { port } = own;
		const card = sessionCard(page, `127.0.0.1:${port}`);
		await card.getByText("epoch 1").waitFor();
		await own.relay.close();

		await card.getByText(/Reconnecting in \d+ s/).waitFor({ timeout: 15_000 });
		await card.getByText("Connection lost:").waitFor();
		const problem = await card.locator(".session-problem").textContent();
		expect(problem).toMatch(/Connection lost: \S+/);
		await page.getByRole("status").filter({ hasText: `Disconnected from 127.0.0.1:${port}` }).waitFor();

		// The countdown is on screen and counts down: two readings of the same countdown, the
		// second lower. A countdown that vanished (between retries) is no reading at all.
		const countdown = card.locator(".countdown");
		const reading = async (): Promise<number | null> => {
			if ((await countdown.count()) === 0) return null;
			const text = await countdown.textContent({ timeout: 500 }).catch(() => null);
			const match = text?.match(/^ in (\d+) s$/);
			return match ? Number(match[1]) : null;
		};
		const readings: (number | null)[] = [];
		await eventually(
			async () => {
				readings.push(await reading());
				return readings;
			},
			(r) => r.length >= 2 && r.at(-1) !== null && r.at(-2) !== null && r.at(-1)! < r.at(-2)!,
			10_000,
			"the countdown to tick down",
		);

		own.relay = await startRelay({ host: "127.0.0.1", port });
		await card.getByText("epoch 2").waitFor({ timeout: 30_000 });
		await card.getByText("Connected").waitFor();
		await card.getByText("1 reconnect").waitFor();
		expect(sessionsTo(port)[0]).toMatchObject({ phase: "connected", epoch: 2, reconnects: 1 });
		expect(errors).toEqual([]);
	});

	it("edits a session: the form is prefilled, the token stays with the engine, and it reconnects", { timeout: 45_000 }, async () => {
		const { relay, port } = await connectedSession();
		const card = sessionCard(page, `127.0.0.1:${port}`);
		const [before] = sessionsTo(port);
		await card.getByRole("button", { name: /^Edit session/ }).click();
		const dialog = page.getByRole("dialog", { name: "Edit relay session" });
		await expect(dialog.getByLabel("Relay URL").inputValue()).resolves.toBe(relay.url);
		await expect(dialog.getByLabel("Consume origin").inputValue()).resolves.toBe(before!.consumeOrigin);
		await dialog.getByLabel("Token", { exact: true }).fill("secret-token");
		await dialog.getByLabel("Prefix").fill("live");
		await dialog.getByRole("button", { name: "Save and reconnect" }).click();
		await dialog.waitFor({ state: "hidden" });
		await card.getByText("Connected").waitFor({ timeout: 15_000 });
		await card.locator("code").getByText("live").waitFor();
		const [after] = sessionsTo(port);
		expect(after!.id).not.toBe(before!.id);
		expect(t.studio.sessions.config(after!.id)).toMatchObject({ prefix: "live", token: "secret-token" });

		// Reopening shows that a token is set, never the token itself: not while the saved
		// config loads (the form must not keep what was typed last time), nor once it has.
		await card.getByRole("button", { name: /^Edit session/ }).click();
		await expect(dialog.getByLabel("Token", { exact: true }).inputValue()).resolves.toBe("");
		await dialog.getByText("A token is saved. Leave empty to keep it.").waitFor();
		await expect(dialog.getByLabel("Token", { exact: true }).inputValue()).resolves.toBe("");
		await expect(dialog.getByLabel("Prefix").inputValue()).resolves.toBe("live");
		expect(await page.content()).not.toContain("secret-token");
		await page.keyboard.press("Escape");
		await dialog.waitFor({ state: "hidden" });
		expect(errors).toEqual([]);
	});

	it("connects again, disconnects and removes a session from its card", { timeout: 45_000 }, async () => {
		const { port } = await connectedSession();
		const [before] = sessionsTo(port);
		const card = sessionCard(page, `127.0.0.1:${port}`);
		await card.getByRole("button", { name: /^Reconnect to/ }).click();
		await eventually(() => sessionsTo(port)[0]?.id, (id) => id !== undefined && id !== before!.id, 10_000, "a new session id");
		await card.getByText("Connected").waitFor({ timeout: 15_000 });

		await card.getByRole("button", { name: /^Disconnect from/ }).click();
		await card.getByText("Disconnected").waitFor();
		await card.getByRole("button", { name: /^Connect again to/ }).waitFor();

		await card.getByRole("button", { name: /^Remove session/ }).click();
		const confirm = page.getByRole("dialog", { name: "Remove this session?" });
		await confirm.getByRole("button", { name: "Remove" }).click();
		await card.waitFor({ state: "detached" });
		expect(sessionsTo(port)).toEqual([]);
		expect(errors).toEqual([]);
	});
});
