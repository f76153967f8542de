/**
 * Issue 14: "A 'Failed' session is not restored after the host restarts (it is missing from
 * settings.json)". A session the user added stays until the user removes it: saved when added,
 * kept through failure and through a user's disconnect, and restored at the next start: one that
 * had given up tries again, one the user closed comes back closed and can be restarted.
 *
 * The real engine with its web host and a data folder, restarted on the same folder; real
 * relays on loopback (one stopped to make a session give up, then started again on its port).
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startRelay, type RelayHandle } from "../../electron/engine/relay";
import type { SavedSession } from "../../electron/engine/settings/store";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { quietLibraryLogs, until } from "../relay/clients";

quietLibraryLogs();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function dataDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), "moq-restore-"));
	cleanups.push(() => rm(dir, { recursive: true, force: true }));
	return dir;
}

async function studioOn(dir: string): Promise<TestStudio> {
	const t = await startTestStudio({ dataDir: dir });
	cleanups.push(() => t.close());
	return t;
}

function savedSessions(dir: string): SavedSession[] {
	return (JSON.parse(readFileSync(join(dir, "settings.json"), "utf8")) as { sessions: SavedSession[] }).sessions;
}

describe("sessions survive a restart whatever state they ended in", () => {
	it("restores a session that gave up (trying again) and one the user closed (closed, restartable)", { timeout: 60_000 }, async () => {
		const dir = await dataDir();
		// A relay that goes away: its port is where the failed session points.
		let flaky: RelayHandle = await startTestRelay();
		const flakyUrl = flaky.url;
		const flakyPort = Number(new URL(flakyUrl).port);
		await flaky.close();
		const steady = await startTestRelay();
		cleanups.push(() => steady.close());

		const first = await studioOn(dir);
		const h = first.studio.handlers;
		const origin = await h["origins.create"]({ name: "show" });
		// Gives up quickly: nothing listens at that port.
		const { id: failedId } = await h["sessions.connect"]({ url: flakyUrl, publishOrigin: origin.id, backoff: { initial: 20, max: 50, timeout: 200 } });
		const { id: closedId } = await h["sessions.connect"]({ url: steady.url, consumeOrigin: origin.id });
		await until(() => first.studio.sessions.get(failedId).phase === "failed", 15_000, "the session to give up");
		await until(() => first.studio.sessions.get(closedId).phase === "connected", 15_000, "the second session to connect");
		await h["sessions.close"]({ id: closedId });
		await first.close();

		// Both are in the file: the failed one still enabled (it was not the user who stopped it).
		const saved = savedSessions(dir);
		expect(saved.find((s) => s.id === failedId), JSON.stringify(saved)).toMatchObject({ url: flakyUrl, enabled: true });
		expect(saved.find((s) => s.id === closedId), JSON.stringify(saved)).toMatchObject({ url: steady.url, enabled: false });

		// The relay is back on its port: the restored session connects by itself.
		flaky = await startRelay({ host: "127.0.0.1", port: flakyPort });
		cleanups.push(() => flaky.close());
		const second = await studioOn(dir);
		const listed = await second.studio.handlers["sessions.list"]({});
		expect(listed.map((s) => s.id).sort()).toEqual([failedId, closedId].sort());
		await until(() => second.studio.sessions.get(failedId).phase === "connected", 15_000, "the restored session to connect again");
		// The one the user closed is listed closed, not connecting behind their back...
		const closed = second.studio.sessions.get(closedId);
		expect(closed).toMatchObject({ phase: "closed", url: steady.url });
		expect(second.studio.sessions.config(closedId)).toMatchObject({ url: steady.url, consumeOrigin: origin.id });
		// ...and restarts on request.
		const { id: restartedId } = await second.studio.handlers["sessions.restart"]({ id: closedId });
		await until(() => second.studio.sessions.get(restartedId).phase === "connected", 15_000, "the restarted session to connect");
		await second.close();

		// Nothing was lost on the way: the restarted session replaced the closed one, enabled.
		const after = savedSessions(dir);
		expect(after.map((s) => s.id).sort()).toEqual([failedId, restartedId].sort());
		expect(after.every((s) => s.enabled)).toBe(true);
	});

	it("keeps a session that fails before its first save", { timeout: 60_000 }, async () => {
		const dir = await dataDir();
		const gone = await startTestRelay();
		const url = gone.url;
		await gone.close();
		const first = await studioOn(dir);
		const origin = first.studio.origins.create("show");
		// Refused at once and never retried: failed before the settings batch is written.
		const { id } = await first.studio.handlers["sessions.connect"]({ url, publishOrigin: origin.id, backoff: { timeout: 1 } });
		await until(() => first.studio.sessions.get(id).phase === "failed", 15_000, "the session to fail");
		await first.close();

		const second = await studioOn(dir);
		expect(second.studio.sessions.list().map((s) => s.id)).toEqual([id]);
		expect(second.studio.sessions.get(id).phase).not.toBe("closed");
		await second.close();
		expect(savedSessions(dir).map((s) => s.id)).toEqual([id]);
	});
});
