/**
 * Replay: a recording published back onto a relay is the same show. Record a broadcast, replay
 * the recording, record the replay: the second recording's packets equal the first's.
 *
 * How packets are compared: `ffmpeg -c copy -f framemd5` of both files (stream copy, so each line
 * hashes one packet's bytes). Per stream, the packet sizes and md5s must be equal in order, the
 * durations equal, and the presentation and decode timestamps equal up to one constant offset
 * per stream (a replay may start its clock elsewhere; its pacing may not change). Time bases
 * must be equal so the offsets compare like for like.
 *
 * Two paths are driven as a user would: the command line (`moq-studio publish --file` takes our
 * recordings as they are: it is the replay command) and the studio's contract
 * (`recordings.replay` on a library file), the latter with a recording cut by a SIGKILL.
 */
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { Studio } from "../../electron/engine/studio";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { eventually } from "../helpers/ui";
import { decodeErrors, makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();
const run = promisify(execFile);

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;
let source: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-replay-"));
	[relay, source] = await Promise.all([startTestRelay(), makeH264Mp4(`${dir}/source.mp4`, 3)]);
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

interface Packet {
	dts: number;
	pts: number;
	duration: number;
	size: number;
	hash: string;
}

/** Per stream: its time base and packets, from `ffmpeg -c copy -f framemd5`. */
async function framemd5(path: string): Promise<{ timeBases: string[]; streams: Packet[][] }> {
	const { stdout } = await run("ffmpeg", ["-hide_banner", "-v", "error", "-i", path, "-map", "0", "-c", "copy", "-f", "framemd5", "-"], { maxBuffer: 64 << 20 });
	const timeBases: string[] = [];
	const streams: Packet[][] = [];
	for (const line of stdout.split("\n")) {
		const tb = /^#tb (\d+): (\S+)/.exec(line);
		if (tb) timeBases[Number(tb[1])] = tb[2] as string;
		if (!line || line.startsWith("#")) continue;
		const [stream, dts, pts, duration, size, hash] = line.split(",").map((c) => c.trim());
		(streams[Number(stream)] ??= []).push({ dts: Number(dts), pts: Number(pts), duration: Number(duration), size: Number(size), hash: hash as string });
	}
	return { timeBases, streams };
}

/** Asserts `replayed` carries the packets of `original`: same bytes and durations, timestamps shifted by one constant per stream. */
async function expectSamePackets(original: string, replayed: string): Promise<void> {
	const [a, b] = await Promise.all([framemd5(original), framemd5(replayed)]);
	expect(b.timeBases).toEqual(a.timeBases);
	expect(b.streams.map((s) => s.length)).toEqual(a.streams.map((s) => s.length));
	a.streams.forEach((packets, i) => {
		const other = b.streams[i] as Packet[];
		expect(packets.length).toBeGreaterThan(10);
		expect(other.map((p) => `${p.size},${p.hash}`)).toEqual(packets.map((p) => `${p.size},${p.hash}`));
		expect(other.map((p) => p.duration)).toEqual(packets.map((p) => p.duration));
		const offset = (other[0] as Packet).pts - (packets[0] as Packet).pts;
		expect(other.map((p) => p.pts - offset)).toEqual(packets.map((p) => p.pts));
		expect(other.map((p) => p.dts - offset)).toEqual(packets.map((p) => p.dts));
	});
}

/** Starts `moq-studio record` on `broadcast` and resolves once it is connected and waiting. */
async function startRecorder(broadcast: string, out: string) {
	const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", broadcast, "--out", out, "--json"]);
	await waitForLine(recorder, /"event":"status","code":1/);
	return recorder;
}

async function finished(recorder: ReturnType<typeof spawnStudioCli>): Promise<void> {
	const recorded = await waitForExit(recorder, 60_000);
	expect(recorded.code, recorded.stderr).toBe(0);
	expect(recorded.stdout).toMatch(/"event":"done".*"reason":"ended"/);
}

describe("replay", () => {
	it("from the command line: record, `publish --file` the recording, record the replay: the packets are equal", { timeout: 90_000 }, async () => {
		const first = `${dir}/first.mp4`;
		const recorder = await startRecorder("replay/show.hang", first);
		const published = await waitForExit(spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "replay/show.hang", "--file", source, "--wait-subscriber", "--json"]), 60_000);
		expect(published.code, published.stderr).toBe(0);
		await finished(recorder);

		const second = `${dir}/second.mp4`;
		const again = await startRecorder("replay/again.hang", second);
		const replayed = await waitForExit(spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "replay/again.hang", "--file", first, "--wait-subscriber", "--json"]), 60_000);
		expect(replayed.code, replayed.stderr).toBe(0);
		await finished(again);

		await expectSamePackets(first, second);
		expect(await decodeErrors(second)).toBe("");
	});

	it("from the library: an interrupted recording (SIGKILL) replays through `recordings.replay` with every packet it holds", { timeout: 120_000 }, async () => {
		const library = `${dir}/library`;
		await mkdir(library, { recursive: true });
		const long = await makeH264Mp4(`${dir}/long.mp4`, 10, "testsrc2", 550);
		const cut = `${library}/cut.mp4`;
		const recorder = await startRecorder("replay/long.hang", cut);
		const publisher = spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "replay/long.hang", "--file", long, "--wait-subscriber", "--json"]);
		// Several fragments on disk, then the recorder dies with the show still running.
		await waitForLine(recorder, /"event":"progress","durationS":(3\.[5-9]|[4-9])/, 30_000);
		recorder.kill("SIGKILL");
		await waitForExit(recorder);
		publisher.kill("SIGTERM");
		await waitForExit(publisher);

		const studio = new Studio({ host: "web", recordingsDir: library });
		try {
			await studio.start();
			const listed = (await studio.handlers["recordings.library"]({})).files.find((f) => f.name === "cut.mp4");
			expect(listed?.state).toBe("interrupted");
			const origin = studio.origins.create("replays");
			const { id: session } = await studio.handlers["sessions.connect"]({ url: relay.url, publishOrigin: origin.id });
			// As a user would, replay once the session shows connected.
			await eventually(() => studio.sessions.get(session).epoch, (epoch) => epoch >= 1, 15_000, "the session to connect");

			// Typed refusals, and nothing published for them.
			await expect(studio.handlers["recordings.replay"]({ name: "../source.mp4", originId: origin.id, path: "x.hang" })).rejects.toMatchObject({ codeName: "FORBIDDEN" });
			await expect(studio.handlers["recordings.replay"]({ name: "absent.mp4", originId: origin.id, path: "x.hang" })).rejects.toMatchObject({ codeName: "NOT_FOUND" });
			await expect(studio.handlers["recordings.replay"]({ name: "cut.mp4", originId: "nope", path: "x.hang" })).rejects.toMatchObject({ codeName: "NOT_FOUND" });
			expect(studio.publishing.list()).toEqual([]);

			const replayOut = `${dir}/cut-replayed.mp4`;
			const again = await startRecorder("replay/cut.hang", replayOut);
			// Started at once, not with its first viewer: the waiting recorder sees it announced live
			// and asks for its first group (this lost the first Opus frames while "live" was guessed
			// from timing; see transport/moq-net-initial-announce.ts).
			const publication = await studio.handlers["recordings.replay"]({ name: "cut.mp4", originId: origin.id, path: "replay/cut.hang" });
			expect(publication).toMatchObject({ state: "publishing", path: "replay/cut.hang", file: cut });
			await finished(again);
			expect(studio.publishing.list()[0]?.state).toBe("finished");
			await expectSamePackets(cut, replayOut);
		} finally {
			await studio.close();
		}
	});
});
