/**
 * Issue 14: a file publication that fails to start must leave nothing behind. Go Live from a
 * missing file used to put the broadcast into the origin before opening the file, so it stayed
 * announced on the relay (empty) and every retry at the same path failed with ALREADY_EXISTS.
 *
 * Driven through the contract (`publishing.start`) as the Go Live form does, with an
 * independent @moq/net client watching the relay's announcements.
 */
import { writeFile } from "node:fs/promises";
import * as Moq from "@moq/net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../shared/errors";
import type { FilePublishInfo } from "../../shared/recordings";
import { dispatch } from "../../electron/engine/dispatch";
import { Studio } from "../../electron/engine/studio";
import type { RelayHandle } from "../../electron/engine/relay";
import { startTestRelay } from "../helpers/relay";
import { connect, quietLibraryLogs, until, watchAnnounced, within } from "../relay/clients";
import { makeH264Mp4, tempDir } from "../media/media-helpers";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;
let studio: Studio;
let watcherConn: Moq.Connection.Established;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-failed-start-"));
	relay = await startTestRelay();
	studio = new Studio({ host: "web", recordingsDir: `${dir}/recordings` });
	watcherConn = await connect(relay.url);
});
afterAll(async () => {
	watcherConn?.close();
	await studio?.close();
	await relay?.close();
	await remove?.();
});

/** The error of a start that failed, whether the call rejected or the publication reached "failed". */
async function failedStart(args: { originId: string; path: string; file: string }): Promise<{ code: number; name: string }> {
	const res = await dispatch(studio.handlers, "publishing.start", args);
	if (!res.ok) return { code: res.error.code, name: res.error.name };
	const id = (res.result as FilePublishInfo).id;
	await until(() => studio.publishing.list().find((p) => p.id === id)?.state !== "publishing", 10_000, "the publication to leave 'publishing'");
	const info = studio.publishing.list().find((p) => p.id === id);
	expect(info?.state).toBe("failed");
	return { code: info?.error?.code ?? 0, name: info?.error?.name ?? "" };
}

describe("a file publication that fails to start", () => {
	it.each([
		["a missing file", "missing", "IO"],
		["a file that is not media", "garbage", "MEDIA"],
	] as const)("leaves no broadcast for %s, and a retry at the same path works", { timeout: 60_000 }, async (_what, name, code) => {
		const path = `live/${name}.hang`;
		const origin = studio.origins.create(`studio-${name}`);
		const session = studio.sessions.connect({ url: relay.url, publishOrigin: origin.id });
		await until(() => studio.sessions.get(session).phase === "connected", 10_000, "the publishing session");
		const watcher = watchAnnounced(watcherConn, "");

		const bad = `${dir}/${name}.mp4`;
		if (name === "garbage") await writeFile(bad, Buffer.alloc(4096, 0x5a));
		const error = await failedStart({ originId: origin.id, path, file: bad });
		expect(error).toEqual({ code: ErrorCode[code], name: code });
		// Nothing left in the origin: not even an ended broadcast waiting for a drain.
		expect(studio.origins.broadcast(origin.id, path)).toBeUndefined();

		// The retry at the same path, with a real file, goes out to the relay.
		const source = await makeH264Mp4(`${dir}/${name}-real.mp4`, 1);
		const res = await dispatch(studio.handlers, "publishing.start", { originId: origin.id, path, file: source });
		expect(res.ok, JSON.stringify(res)).toBe(true);
		const retry = (res as { result: FilePublishInfo }).result;
		expect(retry.state).toBe("publishing");
		await until(() => watcher.active.has(path), 10_000, "the retry's announcement on the relay (positive control)");
		// Announcements arrive in order on one connection: had the failed start been announced, its
		// announce (and unannounce) would have come before the retry's. The watcher saw the retry only.
		expect(watcher.events.filter((e) => e.path === path).map((e) => e.active)).toEqual([true]);
		// Its catalog is served through the relay: the broadcast is the real one, not an empty ghost.
		const catalog = watcherConn.consume(Moq.Path.from(path)).subscribe("catalog.json");
		const frame = await within(catalog.readFrame(), 10_000, "the retry's catalog");
		expect(frame?.payload.byteLength ?? 0).toBeGreaterThan(0);
		catalog.close();
		await until(() => studio.publishing.list().find((p) => p.id === retry.id)?.state === "finished", 20_000, "the retry to finish");
		expect(studio.publishing.list().find((p) => p.id === retry.id)?.frames ?? 0).toBeGreaterThan(0);

		watcher.close();
	});
});
