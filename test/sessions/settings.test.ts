import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Studio } from "../../electron/engine/studio";
import { startTestRelay } from "../helpers/relay";
import { quietLibraryLogs, until } from "../relay/clients";

quietLibraryLogs();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

describe("settings persistence", () => {
	it("restores origins and sessions (with their sealed token) after a restart, in a 0600 file", async () => {
		const relay = await startTestRelay();
		cleanups.push(() => relay.close());
		const dataDir = mkdtempSync(join(tmpdir(), "moq-settings-"));
		const first = new Studio({ host: "web", dataDir });
		await first.start();
		const origin = first.origins.create("show");
		const id = first.sessions.connect({ url: relay.url, publishOrigin: origin.id, token: "secret-token-value" });
		await first.handlers["preferences.set"]({ preferences: { theme: "dark" } });
		await first.close();

		const file = join(dataDir, "settings.json");
		expect(statSync(file).mode & 0o777).toBe(0o600);
		const text = readFileSync(file, "utf8");
		expect(text).not.toContain("secret-token-value");
		expect(JSON.parse(text)).toMatchObject({ version: 1, origins: [{ id: origin.id, name: "show" }], preferences: { theme: "dark" } });

		const second = new Studio({ host: "web", dataDir });
		cleanups.push(() => second.close());
		await second.start();
		expect(second.origins.list().map((o) => o.name)).toEqual(["show"]);
		// The user closed nothing: the session comes back under its id and connects again.
		expect(second.sessions.config(id)).toMatchObject({ url: relay.url, publishOrigin: origin.id, token: "secret-token-value" });
		await until(() => second.sessions.get(id).phase === "connected", 10_000, "restored session connects");
		expect(await second.handlers["preferences.get"]({})).toEqual({ theme: "dark" });
	});

	it("keeps a corrupt settings file aside and starts clean", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "moq-settings-"));
		writeFileSync(join(dataDir, "settings.json"), "{ not json");
		const studio = new Studio({ host: "web", dataDir });
		cleanups.push(() => studio.close());
		await studio.start();
		expect(studio.origins.list()).toEqual([]);
	});
});
