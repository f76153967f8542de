/**
 * Issue 14: "A token written inside a session URL (`?jwt=…`) is stored verbatim in
 * settings.json". A token in the URL is a token: it goes where `--token` goes (sealed at rest,
 * applied when dialling) and leaves the URL everywhere the URL is kept or shown: settings.json,
 * sessions.list, sessions.config, state events, the log, the CLI's output. When a URL token and
 * an explicit token are both given, the explicit one wins and the log says so.
 *
 * Real relays on loopback that require a signed token (so a session that connects proves the
 * token was applied), the real engine behind its web host, driven over the bridge as the UI is,
 * and the built CLI (`npm run build` first).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { LogEntry } from "../../shared/models";
import type { SessionConfigView, SessionState } from "../../shared/sessions";
import { signToken } from "../../electron/engine/relay";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { quietLibraryLogs, until } from "../relay/clients";

quietLibraryLogs();
const KEY = new TextEncoder().encode("url-token-test-key-32-bytes-long!!");
const TOKEN = signToken({ root: "", get: [""], put: [""], exp: Math.floor(Date.now() / 1000) + 3600 }, KEY);
const WRONG = signToken({ root: "", get: [""], put: [""], exp: Math.floor(Date.now() / 1000) + 3600 }, new TextEncoder().encode("another-key-another-key-another!!"));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function dataDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), "moq-url-token-"));
	cleanups.push(() => rm(dir, { recursive: true, force: true }));
	return dir;
}

/** The studio with every log entry and every bridge message a UI would receive recorded. */
async function studioWithBridge(dir: string) {
	const t: TestStudio = await startTestStudio({ dataDir: dir });
	cleanups.push(() => t.close());
	const entries: LogEntry[] = [];
	t.studio.logger.addSink((e) => entries.push(e));
	const ws = new WebSocket(`ws://127.0.0.1:${t.web.port}/bridge?token=${t.web.token}`, { origin: t.web.origin });
	cleanups.push(() => ws.terminate());
	await new Promise((resolve, reject) => {
		ws.once("open", resolve);
		ws.once("error", reject);
	});
	const received: string[] = [];
	ws.on("message", (d: Buffer) => received.push(d.toString()));
	ws.send(JSON.stringify({ type: "subscribe", events: ["sessions.state", "sessions.status", "sessions.removed", "log.entries"] }));
	let nextId = 1;
	const call = <T>(method: string, args: unknown): Promise<T> =>
		new Promise((resolve, reject) => {
			const id = nextId++;
			const onMessage = (d: Buffer) => {
				const msg = JSON.parse(d.toString()) as { type: string; id?: number; ok?: boolean; result?: T; error?: unknown };
				if (msg.type !== "response" || msg.id !== id) return;
				ws.off("message", onMessage);
				if (msg.ok) resolve(msg.result as T);
				else reject(new Error(JSON.stringify(msg.error)));
			};
			ws.on("message", onMessage);
			ws.send(JSON.stringify({ type: "invoke", id, method, args }));
		});
	return { t, studio: t.studio, entries, received, call };
}

function settingsText(dir: string): string {
	return readFileSync(join(dir, "settings.json"), "utf8");
}

describe("a relay token written in a session URL", () => {
	it("is used to connect, sealed like --token, and never stored or shown in the URL", { timeout: 60_000 }, async () => {
		const relay = await startTestRelay({ jwtKey: KEY });
		cleanups.push(() => relay.close());
		const dir = await dataDir();
		const { t, studio, entries, received, call } = await studioWithBridge(dir);
		const origin = studio.origins.create("show");

		const { id } = await call<{ id: string }>("sessions.connect", { url: `${relay.url}?jwt=${TOKEN}`, publishOrigin: origin.id });
		// The relay refuses anyone without the token: connecting proves it was applied.
		await until(() => studio.sessions.get(id).phase === "connected", 15_000, `the session to connect (${JSON.stringify(studio.sessions.get(id).lastError)})`);
		const listed = await call<SessionState[]>("sessions.list", {});
		expect(listed.find((s) => s.id === id)?.url).toBe(relay.url);
		const config = await call<SessionConfigView>("sessions.config", { id });
		expect(config).toMatchObject({ url: relay.url, hasToken: true });
		expect(config).not.toHaveProperty("token");

		// An edit of the URL alone keeps the token (the UI never has it to send back).
		const { id: edited } = await call<{ id: string }>("sessions.update", { id, config: { url: relay.url, publishOrigin: origin.id } });
		await until(() => studio.sessions.get(edited).phase === "connected", 15_000, "the edited session to connect with the kept token");
		await t.close();

		const text = settingsText(dir);
		expect(text).not.toContain(TOKEN);
		expect(text).not.toContain("jwt");
		const saved = (JSON.parse(text) as { sessions: { id: string; url: string; sealedToken?: string }[] }).sessions;
		expect(saved).toEqual([expect.objectContaining({ id: edited, url: relay.url, sealedToken: expect.any(String) })]);

		// What the UI received (responses, state events, log entries) and the log itself.
		expect(received.length).toBeGreaterThan(0);
		for (const message of received) expect(message).not.toMatch(/jwt/i);
		for (const e of entries) expect(`${e.scope}: ${e.message}`).not.toContain(TOKEN);
		expect(entries.filter((e) => e.scope.startsWith("session/") && /jwt/i.test(e.message))).toEqual([]);

		// The sealed token brings the session back after a restart.
		const again = await startTestStudio({ dataDir: dir });
		cleanups.push(() => again.close());
		await until(() => again.studio.sessions.get(edited).phase === "connected", 15_000, "the restored session to connect");
		expect(again.studio.sessions.get(edited).url).toBe(relay.url);
	});

	it("loses to an explicit token, and the log says so", { timeout: 60_000 }, async () => {
		const relay = await startTestRelay({ jwtKey: KEY });
		cleanups.push(() => relay.close());
		const dir = await dataDir();
		const { studio, entries, received, call } = await studioWithBridge(dir);
		const origin = studio.origins.create("show");
		const { id } = await call<{ id: string }>("sessions.connect", { url: `${relay.url}?jwt=${WRONG}`, token: TOKEN, publishOrigin: origin.id });
		await until(() => studio.sessions.get(id).phase === "connected", 15_000, `the session to connect with the explicit token (${JSON.stringify(studio.sessions.get(id).lastError)})`);
		expect(studio.sessions.config(id)).toMatchObject({ url: relay.url, token: TOKEN });
		await until(() => entries.some((e) => e.level === "warn" && /using the given token, ignoring the URL's/.test(e.message)), 5_000, "the warning");
		// Same rule for an edit: the token field wins over a token pasted in the URL.
		const { id: edited } = await call<{ id: string }>("sessions.update", { id, config: { url: `${relay.url}?jwt=${WRONG}`, token: TOKEN, publishOrigin: origin.id } });
		await until(() => studio.sessions.get(edited).phase === "connected", 15_000, "the edited session to connect with the explicit token");
		for (const message of received) expect(message).not.toMatch(/jwt|eyJ/);
	});

	it("written by an older version into settings.json is sealed at the next start", { timeout: 60_000 }, async () => {
		const relay = await startTestRelay({ jwtKey: KEY });
		cleanups.push(() => relay.close());
		const dir = await dataDir();
		const id = "0b7e4c1e-5f4d-4a8e-9a57-6f3c2d1e0a11";
		writeFileSync(
			join(dir, "settings.json"),
			JSON.stringify({ version: 1, origins: [], sessions: [{ id, url: `${relay.url}?jwt=${TOKEN}`, enabled: true }], preferences: {} }),
			{ mode: 0o600 },
		);
		const t = await startTestStudio({ dataDir: dir });
		cleanups.push(() => t.close());
		await until(() => t.studio.sessions.get(id).phase === "connected", 15_000, "the saved session to connect");
		expect(t.studio.sessions.get(id).url).toBe(relay.url);
		expect(settingsText(dir)).not.toContain(TOKEN);
	});

	it("given to the CLI's --url connects and is never printed", { timeout: 60_000 }, async () => {
		const relay = await startTestRelay({ jwtKey: KEY });
		cleanups.push(() => relay.close());
		const cli = spawnStudioCli(["announced", "--url", `${relay.url}?jwt=${TOKEN}`, "--json"]);
		cleanups.push(() => void cli.kill("SIGKILL"));
		const status = await waitForLine(cli, /"event":"status"/);
		expect(JSON.parse(status)).toMatchObject({ event: "status", code: 1, url: relay.url });
		cli.kill("SIGINT");
		const result = await waitForExit(cli);
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout + result.stderr).not.toMatch(/jwt|eyJ/);
	});
});
