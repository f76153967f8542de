/**
 * Auto-record rules through the contract, as the UI drives them: an origin fed by a session to a
 * real relay, files published into another origin that goes out to the relay, and a rule
 * "record every broadcast under P" on the consuming origin. Every file is checked with ffmpeg:
 * it decodes with 0 errors and, for a broadcast announced after the rule, holds every packet of
 * the source bit for bit (recorded from the broadcast's first group).
 */
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pathMatchesPrefix, type AutoRecordRule } from "../../shared/auto-record";
import { ErrorCode } from "../../shared/errors";
import type { FilePublishInfo } from "../../shared/recordings";
import { dispatch } from "../../electron/engine/dispatch";
import { startRelay, type RelayHandle } from "../../electron/engine/relay";
import { INITIAL_ANNOUNCE_MS } from "../../electron/engine/recordings/follow";
import { Studio } from "../../electron/engine/studio";
import { startTestRelay } from "../helpers/relay";
import { quietLibraryLogs, until } from "../relay/clients";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "../media/media-helpers";

quietLibraryLogs();

const BACKOFF = { initial: 200, multiplier: 1.5, max: 1000 };

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;
let studio: Studio;
let out: string;
let back: string;
let consumer: string;
let source: string;

async function call<T>(method: Parameters<typeof dispatch>[1], args: unknown, on: Studio = studio): Promise<T> {
	const res = await dispatch(on.handlers, method, args);
	if (!res.ok) throw new Error(`${String(method)}: ${res.error.name}: ${res.error.message}`);
	return res.result as T;
}

async function errorCode(method: Parameters<typeof dispatch>[1], args: unknown): Promise<number | undefined> {
	const res = await dispatch(studio.handlers, method, args);
	return res.ok ? undefined : res.error.code;
}

async function rule(id: string, on: Studio = studio): Promise<AutoRecordRule | undefined> {
	return (await call<AutoRecordRule[]>("recordings.rules", {}, on)).find((r) => r.id === id);
}

/** Polls until `ok` holds for the rule, returning it. */
async function ruleUntil(id: string, ok: (r: AutoRecordRule) => boolean, what: string, ms = 40_000, on: Studio = studio): Promise<AutoRecordRule> {
	const deadline = Date.now() + ms;
	for (;;) {
		const r = await rule(id, on);
		if (r && ok(r)) return r;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; rule: ${JSON.stringify(r)}`);
		await new Promise((res) => setTimeout(res, 100));
	}
}

/** Every packet of the source, audio and video, bit for bit, and a clean decode. */
async function expectEveryPacket(file: string): Promise<void> {
	for (const kind of ["v", "a"] as const) {
		const [src, rec] = await Promise.all([packetHashes(source, kind), packetHashes(file, kind)]);
		expect(rec.length, `${file} ${kind} packets`).toBe(src.length);
		expect(rec).toEqual(src);
	}
	expect(await decodeErrors(file)).toBe("");
}

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-auto-record-"));
	[source, relay] = await Promise.all([makeH264Mp4(`${dir}/show.mp4`, 3), startTestRelay()]);
	studio = new Studio({ host: "web", recordingsDir: `${dir}/recordings` });
	out = studio.origins.create("out").id;
	back = studio.origins.create("back").id;
	studio.sessions.connect({ url: relay.url, publishOrigin: out, backoff: BACKOFF });
	consumer = studio.sessions.connect({ url: relay.url, consumeOrigin: back, backoff: BACKOFF });
	await until(() => studio.sessions.get(consumer).phase === "connected", 10_000, "sessions up");
	// Broadcasts announced within INITIAL_ANNOUNCE_MS of connecting count as already running.
	const connectedAt = studio.sessions.get(consumer).connectedAt ?? Date.now();
	await new Promise((r) => setTimeout(r, Math.max(0, connectedAt + INITIAL_ANNOUNCE_MS + 100 - Date.now())));
}, 60_000);
afterAll(async () => {
	await studio?.close();
	await relay?.close();
	await remove?.();
});

describe("auto-record rules", () => {
	it("match by whole path segments; the empty prefix matches everything", () => {
		expect(pathMatchesPrefix("shows/a.hang", "shows")).toBe(true);
		expect(pathMatchesPrefix("shows/deep/a.hang", "/shows/")).toBe(true);
		expect(pathMatchesPrefix("shows", "shows")).toBe(true);
		expect(pathMatchesPrefix("showsx/a.hang", "shows")).toBe(false);
		expect(pathMatchesPrefix("other/a.hang", "shows")).toBe(false);
		expect(pathMatchesPrefix("anything.hang", "")).toBe(true);
	});

	it("refuse bad input with typed errors and lose nothing", async () => {
		expect(await errorCode("recordings.rules.create", { originId: "nope", prefix: "shows" })).toBe(ErrorCode.NOT_FOUND);
		expect(await errorCode("recordings.rules.create", { originId: back, prefix: "a b" })).toBe(ErrorCode.INVALID_ARGUMENT);
		expect(await errorCode("recordings.rules.create", { originId: back, prefix: "x".repeat(600) })).toBe(ErrorCode.INVALID_ARGUMENT);
		expect(await errorCode("recordings.rules.create", { originId: back, prefix: "p", format: "webm" })).toBe(ErrorCode.INVALID_ARGUMENT);
		expect(await errorCode("recordings.rules.delete", { id: "nope" })).toBe(ErrorCode.NOT_FOUND);
		// The empty prefix is every broadcast of the origin; the same prefix twice is one rule.
		const all = await call<AutoRecordRule>("recordings.rules.create", { originId: back, prefix: "" });
		expect(all).toMatchObject({ prefix: "", format: "mp4", recorded: 0, recordings: [], originName: "back" });
		const tidy = await call<AutoRecordRule>("recordings.rules.create", { originId: back, prefix: "/tidy/" });
		expect(tidy.prefix).toBe("tidy");
		expect(await errorCode("recordings.rules.create", { originId: back, prefix: "tidy" })).toBe(ErrorCode.ALREADY_EXISTS);
		expect((await call<AutoRecordRule[]>("recordings.rules", {})).map((r) => r.prefix)).toEqual(["", "tidy"]);
		await call("recordings.rules.delete", { id: all.id });
		await call("recordings.rules.delete", { id: tidy.id });
		expect(await call<AutoRecordRule[]>("recordings.rules", {})).toEqual([]);
		// A rule lives in its origin: deleting the origin deletes the rule.
		const temp = await call<{ id: string }>("origins.create", { name: "temp" });
		await call<AutoRecordRule>("recordings.rules.create", { originId: temp.id, prefix: "x" });
		await call("origins.delete", { id: temp.id });
		expect(await call<AutoRecordRule[]>("recordings.rules", {})).toEqual([]);
	});

	it("records three matching broadcasts, each complete from its first packet, and not the fourth", { timeout: 120_000 }, async () => {
		const changes: AutoRecordRule[][] = [];
		const off = studio.events.listen((event, payload) => {
			if (event === "recordings.rules.changed") changes.push((payload as { rules: AutoRecordRule[] }).rules);
		});
		const r = await call<AutoRecordRule>("recordings.rules.create", { originId: back, prefix: "shows" });
		const paths = ["shows/a.hang", "shows/b.hang", "shows/deep/c.hang", "other/d.hang"];
		const pubs = await Promise.all(paths.map((path) => call<FilePublishInfo>("publishing.start", { originId: out, path, file: source })));
		await until(() => pubs.every((p) => studio.publishing.list().find((q) => q.id === p.id)?.state === "finished"), 40_000, "files sent");
		const done = await ruleUntil(r.id, (x) => x.recordings.length === 3 && x.recordings.every((e) => e.state === "finished"), "three recordings finished");
		expect(done.recordings.map((e) => e.path).sort()).toEqual(paths.slice(0, 3));
		expect(done.recordings.every((e) => e.end === "ended" && e.file !== null && e.bytes > 0)).toBe(true);
		expect(done.recorded).toBe(3);
		expect(new Set(done.recordings.map((e) => e.file)).size).toBe(3);
		// Nothing recorded the fourth, and the folder holds the three files.
		expect(studio.recordings.list().filter((x) => x.path === "other/d.hang")).toEqual([]);
		const media = (await readdir(`${dir}/recordings`)).filter((f) => f.endsWith(".mp4"));
		expect(media.sort()).toEqual(done.recordings.map((e) => e.file!.slice(e.file!.lastIndexOf("/") + 1)).sort());
		for (const e of done.recordings) await expectEveryPacket(e.file!);
		// The UI hears about it: the last change lists the three recordings.
		await until(() => changes.at(-1)?.find((x) => x.id === r.id)?.recordings.filter((e) => e.state === "finished").length === 3, 5_000, "rules event");
		off();
		await call("recordings.rules.delete", { id: r.id });
	});

	it("records broadcasts already running when the rule is added; deleting the rule stops them with complete files", { timeout: 90_000 }, async () => {
		const pubs = await Promise.all(
			["live/x.hang", "live/y.hang"].map((path) => call<FilePublishInfo>("publishing.start", { originId: out, path, file: source, loop: true })),
		);
		await until(() => studio.origins.allBroadcasts().filter((b) => b.originId === back && b.broadcast.path.startsWith("live/")).length === 2, 20_000, "both announced");
		const r = await call<AutoRecordRule>("recordings.rules.create", { originId: back, prefix: "live" });
		expect(r.recordings.map((e) => e.path).sort()).toEqual(["live/x.hang", "live/y.hang"]);
		const running = await ruleUntil(r.id, (x) => x.recordings.length === 2 && x.recordings.every((e) => e.state === "recording" && e.file !== null), "both recording");
		const ids = running.recordings.map((e) => e.recordingId!);
		await until(() => studio.recordings.list().filter((x) => ids.includes(x.id)).every((x) => x.durationS > 1), 30_000, "a second of media each");
		expect(await call("recordings.rules.delete", { id: r.id })).toEqual({ id: r.id });
		// Stopped and complete once delete resolved.
		const stopped = studio.recordings.list().filter((x) => ids.includes(x.id));
		expect(stopped.map((x) => [x.state, x.end])).toEqual([
			["finished", "stopped"],
			["finished", "stopped"],
		]);
		for (const x of stopped) expect(await decodeErrors(x.file!)).toBe("");
		expect(await rule(r.id)).toBeUndefined();
		await Promise.all(pubs.map((p) => call("publishing.stop", { id: p.id })));
	});

	it("a broadcast announced again gets a new file; a relay restart continues the same file", { timeout: 150_000 }, async () => {
		const long = await makeH264Mp4(`${dir}/long.mp4`, 4);
		const r = await call<AutoRecordRule>("recordings.rules.create", { originId: back, prefix: "again" });
		// Published again the moment the first publication ends: the second announcement may come
		// while the first recording still drains its end, and still gets its own file.
		const first = await call<FilePublishInfo>("publishing.start", { originId: out, path: "again/show.hang", file: source });
		await until(() => studio.publishing.list().find((p) => p.id === first.id)?.state === "finished", 30_000, "first sent");
		await until(() => !studio.origins.broadcast(out, "again/show.hang"), 10_000, "first publication gone");
		await call<FilePublishInfo>("publishing.start", { originId: out, path: "again/show.hang", file: long });
		const twice = await ruleUntil(r.id, (x) => x.recordings.length === 2 && x.recordings.every((e) => e.state === "finished"), "two recordings of again/show.hang", 60_000);
		expect(twice.recordings.map((e) => [e.path, e.end])).toEqual([
			["again/show.hang", "ended"],
			["again/show.hang", "ended"],
		]);
		expect(twice.recordings[0]!.file).not.toBe(twice.recordings[1]!.file);
		for (const e of twice.recordings) expect(await decodeErrors(e.file!)).toBe("");
		await expectEveryPacket(twice.recordings[1]!.file!); // the older one, announced while the rule waited

		// The relay restarts under a looping broadcast: the rule's recording goes on in its file.
		const loop = await call<FilePublishInfo>("publishing.start", { originId: out, path: "again/loop.hang", file: source, loop: true });
		const recording = await ruleUntil(r.id, (x) => x.recordings.some((e) => e.path === "again/loop.hang" && e.state === "recording"), "loop recording");
		const id = recording.recordings.find((e) => e.path === "again/loop.hang")!.recordingId!;
		const info = () => studio.recordings.list().find((x) => x.id === id)!;
		await until(() => info().durationS > 1, 30_000, "a second recorded");
		const port = relay.port;
		await relay.close();
		await until(() => studio.sessions.get(consumer).phase !== "connected", 10_000, "the session to notice");
		relay = await startRelay({ host: "127.0.0.1", port });
		await until(() => info().epochs >= 2, 40_000, "the recording to continue after the restart");
		const before = info().durationS;
		await until(() => info().durationS > before + 1, 30_000, "media after the restart");
		await call("publishing.stop", { id: loop.id });
		const ended = await ruleUntil(r.id, (x) => x.recordings.find((e) => e.path === "again/loop.hang")?.state === "finished", "loop recording finished", 30_000);
		const loops = ended.recordings.filter((e) => e.path === "again/loop.hang");
		expect(loops.map((e) => [e.recordingId, e.end])).toEqual([[id, "ended"]]);
		expect(info().epochs).toBeGreaterThanOrEqual(2);
		expect(await decodeErrors(loops[0]!.file!)).toBe("");
		await call("recordings.rules.delete", { id: r.id });
	});

	it("rules persist with what they recorded; a local broadcast is recorded whole", { timeout: 90_000 }, async () => {
		const data = `${dir}/data`;
		const first = new Studio({ host: "web", dataDir: data, recordingsDir: `${dir}/local` });
		let saved: AutoRecordRule;
		try {
			await first.start();
			const origin = await call<{ id: string }>("origins.create", { name: "local" }, first);
			const r = await call<AutoRecordRule>("recordings.rules.create", { originId: origin.id, prefix: "p", format: "mkv" }, first);
			await call<FilePublishInfo>("publishing.start", { originId: origin.id, path: "p/one.hang", file: source }, first);
			saved = await ruleUntil(r.id, (x) => x.recordings[0]?.state === "finished", "local recording", 40_000, first);
			expect(saved.recordings[0]).toMatchObject({ path: "p/one.hang", end: "ended" });
			expect(saved.recordings[0]!.file).toMatch(/\.mkv$/);
			await expectEveryPacket(saved.recordings[0]!.file!);
		} finally {
			await first.close();
		}
		const second = new Studio({ host: "web", dataDir: data, recordingsDir: `${dir}/local` });
		try {
			await second.start();
			const [again] = await call<AutoRecordRule[]>("recordings.rules", {}, second);
			expect(again).toMatchObject({ id: saved.id, prefix: "p", format: "mkv", originName: "local", recorded: 1 });
			expect(again!.recordings).toEqual([{ ...saved.recordings[0]!, recordingId: null }]);
		} finally {
			await second.close();
		}
	});
});
