/**
 * Recording and file publishing through the contract, as the UI drives them: publish a file into
 * an origin that goes out to a relay, record it back from another origin fed by the relay.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../shared/errors";
import type { FilePublishInfo, RecordingInfo } from "../../shared/recordings";
import { dispatch } from "../../electron/engine/dispatch";
import { Studio } from "../../electron/engine/studio";
import type { RelayHandle } from "../../electron/engine/relay";
import { startTestRelay } from "../helpers/relay";
import { quietLibraryLogs, until } from "../relay/clients";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "../media/media-helpers";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;
let studio: Studio;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-contract-rec-"));
	relay = await startTestRelay();
	studio = new Studio({ host: "web", recordingsDir: `${dir}/recordings` });
});
afterAll(async () => {
	await studio?.close();
	await relay?.close();
	await remove?.();
});

async function call<T>(method: Parameters<typeof dispatch>[1], args: unknown): Promise<T> {
	const res = await dispatch(studio.handlers, method, args);
	if (!res.ok) throw new Error(`${String(method)}: ${res.error.name}: ${res.error.message}`);
	return res.result as T;
}

describe("recordings and file publishing over the contract", () => {
	it("records what a file publication sends through the relay, with progress events", { timeout: 60_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/show.mp4`, 3);
		const out = studio.origins.create("out");
		const back = studio.origins.create("back");
		studio.sessions.connect({ url: relay.url, publishOrigin: out.id });
		const consumer = studio.sessions.connect({ url: relay.url, consumeOrigin: back.id });
		await until(() => studio.sessions.get(consumer).phase === "connected", 10_000, "sessions up");

		const progress: RecordingInfo[] = [];
		studio.events.listen((event, payload) => {
			if (event === "recordings.progress") progress.push(payload as RecordingInfo);
		});
		const rec = await call<RecordingInfo>("recordings.start", { originId: back.id, path: "shows/one.hang", fileName: "one.mp4" });
		expect(rec.state).toBe("waiting");
		const pub = await call<FilePublishInfo>("publishing.start", { originId: out.id, path: "shows/one.hang", file: source });
		expect(pub.state).toBe("publishing");

		await until(() => (studio.publishing.list()[0]?.state ?? "") === "finished", 20_000, "file sent");
		await until(() => progress.some((p) => p.state === "recording"), 10_000, "recording progress");
		await until(() => studio.recordings.list()[0]?.state === "finished", 20_000, "recording complete");
		const done = studio.recordings.list()[0]!;
		expect(done).toMatchObject({ end: "ended", file: `${dir}/recordings/one.mp4` });
		expect(done.tracks.map((t) => t.kind).sort()).toEqual(["audio", "video"]);
		expect(await decodeErrors(done.file!)).toBe("");
		// The relay starts a late subscriber at the newest group: the recording is a tail of the source, packet for packet.
		const [src, rec2] = await Promise.all([packetHashes(source, "v"), packetHashes(done.file!, "v")]);
		expect(rec2.length).toBeGreaterThan(0);
		expect(src.slice(src.length - rec2.length)).toEqual(rec2);
	});

	it("refuses names that escape the folder and unknown origins; a missing file fails with IO", async () => {
		const origin = studio.origins.create("misc");
		const escape = await dispatch(studio.handlers, "recordings.start", { originId: origin.id, path: "a", fileName: "../evil.mp4" });
		expect(escape).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
		const unknown = await dispatch(studio.handlers, "recordings.start", { originId: "nope", path: "a" });
		expect(unknown).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND } });
		// The file is opened before the broadcast is announced, so the start itself fails (failed-start.test.ts).
		const missing = await dispatch(studio.handlers, "publishing.start", { originId: origin.id, path: "gone", file: `${dir}/missing.mp4` });
		expect(missing).toMatchObject({ ok: false, error: { code: ErrorCode.IO, name: "IO" } });
		const stopped = await call<RecordingInfo>("recordings.start", { originId: origin.id, path: "never" });
		expect(await call<RecordingInfo>("recordings.stop", { id: stopped.id })).toMatchObject({ state: "finished", end: "stopped", file: null });
	});
});
