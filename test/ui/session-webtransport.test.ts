/**
 * A user connects a session over WebTransport from the session dialog: the relay runs a
 * WebTransport HTTP/2 listener with a self-signed certificate (the HTTP/3 addon cannot be
 * installed here), the user picks WebTransport, gives its address and the certificate pin, and
 * the session card says which transport carries it. A malformed address is refused in the form.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { launchChromium } from "../helpers/browser";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { openStudio, sessionCard } from "../helpers/ui";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let t: TestStudio;
let browser: Browser;
let relay: RelayHandle;

beforeAll(async () => {
	[t, browser, relay] = await Promise.all([startTestStudio(), launchChromium(), startTestRelay({ webTransport: { http2: true } })]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await relay?.close();
});

describe("a session over WebTransport, from the dialog", () => {
	it("connects with the address and pin the user gives, and the card names the transport", { timeout: 60_000 }, async () => {
		const { page, errors } = await openStudio(browser, t.web.url);
		await page.getByRole("button", { name: "Add relay" }).click();
		const dialog = page.getByRole("dialog", { name: "Add a relay" });
		await dialog.waitFor();
		await dialog.getByLabel("Relay URL").fill(relay.url);
		await dialog.getByText("WebTransport", { exact: true }).click();
		await dialog.getByLabel("WebTransport address").fill("relay.example:4443");
		await dialog.getByRole("button", { name: "Connect" }).click();
		await dialog.getByText(/starts with https:\/\//).waitFor();

		await dialog.getByLabel("WebTransport address").fill(relay.webTransport.http2Url!);
		await dialog.getByLabel("Certificate pin (sha-256)").fill(relay.webTransport.certificateSha256!);
		await dialog.getByRole("button", { name: "Connect" }).click();
		await dialog.waitFor({ state: "hidden" });

		const card = sessionCard(page, `127.0.0.1:${relay.port}`);
		await card.getByText("Connected").waitFor({ timeout: 20_000 });
		await card.getByText("WebTransport (HTTP/2)").waitFor();
		expect(t.studio.sessions.list().map((s) => s.transportKind)).toEqual(["webtransport-h2"]);
		expect(errors).toEqual([]);
		await page.close();
	});
});
