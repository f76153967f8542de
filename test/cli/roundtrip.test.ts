/**
 * The lossless proof, driven as a user would: `moq-studio record` waits for a broadcast,
 * `moq-studio publish` sends a file through the studio's own relay, and every packet of the
 * recording is bit-identical to the source (ffmpeg framemd5 with -c copy).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { decodeErrors, makeH264Mp4, makeVp9Webm, packetHashes, probeStreams, tempDir } from "../media/media-helpers";
import type { RelayHandle } from "../../electron/engine/relay";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-cli-roundtrip-"));
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

async function roundTrip(source: string, broadcast: string, out: string) {
	const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", broadcast, "--out", out, "--json"]);
	await waitForLine(recorder, /"event":"status","code":1/);
	const publisher = spawnStudioCli(["publish", "--url", relay.url, "--broadcast", broadcast, "--file", source, "--wait-subscriber", "--json"]);
	const published = await waitForExit(publisher, 60_000);
	expect(published.code, published.stderr).toBe(0);
	expect(published.stdout).toMatch(/"event":"done"/);
	const recorded = await waitForExit(recorder, 60_000);
	expect(recorded.code, recorded.stderr).toBe(0);
	const done = JSON.parse(recorded.stdout.trim().split("\n").find((l) => l.includes('"event":"done"')) ?? "{}") as { reason?: string; path?: string };
	expect(done).toMatchObject({ reason: "ended", path: out });
}

describe("publish → relay → record through the CLI", () => {
	it("H.264 + Opus in MP4 arrives with the same codecs, packet counts and identical packets", { timeout: 90_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/source.mp4`, 3);
		const out = `${dir}/recording.mp4`;
		await roundTrip(source, "cli/h264.hang", out);
		const [src, rec] = await Promise.all([probeStreams(source), probeStreams(out)]);
		expect(rec.map((s) => s.codec)).toEqual(src.map((s) => s.codec));
		expect(rec.map((s) => s.packets)).toEqual(src.map((s) => s.packets));
		expect(await packetHashes(out, "v")).toEqual(await packetHashes(source, "v"));
		expect(await packetHashes(out, "a")).toEqual(await packetHashes(source, "a"));
		expect(await decodeErrors(out)).toBe("");
	});

	it("VP9 + Opus in WebM arrives bit-identical too", { timeout: 90_000 }, async () => {
		const source = await makeVp9Webm(`${dir}/source.webm`, 3);
		const out = `${dir}/recording-vp9.mp4`;
		await roundTrip(source, "cli/vp9.hang", out);
		expect(await packetHashes(out, "v")).toEqual(await packetHashes(source, "v"));
		expect(await packetHashes(out, "a")).toEqual(await packetHashes(source, "a"));
	});

	it("refuses a recording path whose name escapes the folder, and a missing file to publish", async () => {
		const escape = await waitForExit(spawnStudioCli(["record", "--url", relay.url, "--broadcast", "x", "--out", `${dir}/..`]));
		expect(escape.code).toBe(1);
		expect(escape.stderr).toMatch(/escapes the recordings folder \[FORBIDDEN\]/);
		const missing = await waitForExit(spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "x", "--file", `${dir}/nope.mp4`]));
		expect(missing.code).toBe(1);
		expect(missing.stderr.trim().split("\n")).toHaveLength(1);
		expect(missing.stderr).toMatch(/\[IO\]/);
	});
});
