/**
 * A recording waiting for a broadcast records it from its first group (the Recordings issue,
 * "the start is lost"): hang audio is one frame per group, and by the time the recorder has read
 * the catalog and subscribed, the publisher has written a few groups; a subscription at the latest
 * group lost the first 3 to 5 Opus packets. Checked through one relay, with the CLI (recorder and
 * publisher as real processes) and through the engine (recordings manager, origin fed by a
 * session), packet for packet against the source. Each sample's duration in the file is the
 * distance to the next one, and the last lasts one codec frame (10 ms Opus frames here, where the
 * nominal 20 ms used to overlap the next fragment).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatch } from "../../electron/engine/dispatch";
import type { RelayHandle } from "../../electron/engine/relay";
import { INITIAL_ANNOUNCE_MS } from "../../electron/engine/recordings/follow";
import { Studio } from "../../electron/engine/studio";
import type { FilePublishInfo, RecordingInfo } from "../../shared/recordings";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { quietLibraryLogs, until } from "../relay/clients";
import { decodeErrors, makeH264Mp4, mp4Samples, packetHashes, tempDir } from "./media-helpers";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-first-group-"));
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

/** Every packet of `source`, audio and video, in `file`, bit for bit and in order. */
async function expectEveryPacket(source: string, file: string): Promise<void> {
	for (const kind of ["v", "a"] as const) {
		const [src, rec] = await Promise.all([packetHashes(source, kind), packetHashes(file, kind)]);
		expect(rec.length, `${kind} packets`).toBe(src.length);
		expect(rec).toEqual(src);
	}
	expect(await decodeErrors(file)).toBe("");
}

/**
 * Every sample lasts until the next one starts, across fragment boundaries (a fragment's first
 * sample starts at its `tfdt`), none lasts 0, and the last audio sample lasts `lastAudio` (in the
 * track's timescale).
 */
async function expectDurations(file: string, lastAudio: number): Promise<void> {
	const tracks = await mp4Samples(file);
	for (const type of ["vide", "soun"]) {
		const track = tracks[type];
		expect(track, type).toBeDefined();
		const samples = track!.samples;
		expect(samples.length).toBeGreaterThan(0);
		expect(track!.fragments).toBeGreaterThan(1);
		const zero = samples.filter((s) => s.duration === 0).length;
		const misfit = samples.slice(0, -1).filter((s, i) => s.dts + s.duration !== samples[i + 1]!.dts).length;
		expect({ type, zero, misfit }).toEqual({ type, zero: 0, misfit: 0 });
	}
	expect(tracks.soun!.samples.at(-1)!.duration).toBe(lastAudio);
}

describe("a recording that waits for its broadcast starts at the broadcast's first group", () => {
	it("moq-studio record, then moq-studio publish, through one relay", { timeout: 60_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/cli-src.mp4`, 4);
		const out = `${dir}/cli-rec.mp4`;
		const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", "t/a.hang", "--out", out, "--duration", "30"]);
		try {
			await waitForLine(recorder, /connected to/);
			// Past the relay's initial announcements: the broadcast below is new to the recorder.
			await new Promise((r) => setTimeout(r, INITIAL_ANNOUNCE_MS + 250));
			const publisher = spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "t/a.hang", "--file", source]);
			const published = await waitForExit(publisher, 30_000);
			expect(published.code, published.stderr).toBe(0);
			const recorded = await waitForExit(recorder, 30_000);
			expect(recorded.code, recorded.stderr).toBe(0);
			expect(recorded.stdout).toMatch(/subscribed from the first group/);
		} finally {
			recorder.kill("SIGKILL");
		}
		await expectEveryPacket(source, out);
		await expectDurations(out, 960); // 20 ms at 48 kHz
	});

	it("the recordings manager, recording an origin fed by a session", { timeout: 60_000 }, async () => {
		const studio = new Studio({ host: "web", recordingsDir: `${dir}/recordings` });
		try {
			const call = async <T>(method: Parameters<typeof dispatch>[1], args: unknown): Promise<T> => {
				const res = await dispatch(studio.handlers, method, args);
				if (!res.ok) throw new Error(`${String(method)}: ${res.error.name}: ${res.error.message}`);
				return res.result as T;
			};
			const source = await makeH264Mp4(`${dir}/engine-src.mp4`, 3, "testsrc", 440, 10);
			const out = studio.origins.create("out");
			const back = studio.origins.create("back");
			studio.sessions.connect({ url: relay.url, publishOrigin: out.id });
			const consumer = studio.sessions.connect({ url: relay.url, consumeOrigin: back.id });
			await until(() => studio.sessions.get(consumer).phase === "connected", 10_000, "sessions up");
			// A broadcast announced within INITIAL_ANNOUNCE_MS of the session connecting is taken
			// for one the relay already had (recordings/follow.ts); this one is published later.
			const connectedAt = studio.sessions.get(consumer).connectedAt ?? Date.now();
			await new Promise((r) => setTimeout(r, Math.max(0, connectedAt + INITIAL_ANNOUNCE_MS + 100 - Date.now())));

			const rec = await call<RecordingInfo>("recordings.start", { originId: back.id, path: "shows/first.hang", fileName: "first.mp4" });
			expect(rec.state).toBe("waiting");
			const pub = await call<FilePublishInfo>("publishing.start", { originId: out.id, path: "shows/first.hang", file: source });
			expect(pub.state).toBe("publishing");
			await until(() => (studio.publishing.list()[0]?.state ?? "") === "finished", 20_000, "file sent");
			await until(() => ["finished", "failed"].includes(studio.recordings.list()[0]?.state ?? ""), 20_000, "recording complete");
			const done = studio.recordings.list()[0]!;
			expect(done).toMatchObject({ state: "finished", end: "ended", file: `${dir}/recordings/first.mp4` });
			expect(done.tracks.every((t) => t.skippedGroups === 0 && t.gaps === 0)).toBe(true);
			await expectEveryPacket(source, done.file!);
			await expectDurations(done.file!, 480); // 10 ms at 48 kHz, from the last packet's TOC byte
		} finally {
			await studio.close();
		}
	});
});
