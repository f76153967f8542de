/**
 * Interop: the published `<moq-publish>` element from npm goes live on the studio's embedded relay,
 * and the studio sees and records it.
 *
 * Debian's Chromium, with a fake camera (30 fps test pattern) and microphone (a beep), opens a
 * static page rendering `<moq-publish url=… name=… source="camera">` from `@moq/publish` 0.2.17,
 * bundled with esbuild from the self-contained fixture in `./publish-page` (its own `@moq/net`
 * 0.1.x, so the app keeps one copy). The element encodes with WebCodecs and publishes a hang
 * broadcast (catalog.json, `video/hd`, `audio/data`) over WebSocket/QMux. The studio then
 * (1) lists the broadcast as announced (`broadcasts.list` and a `broadcasts.changed` event),
 * (2) records it for 5 s, at the same time through its engine (`recordings.start`) and through its
 * CLI (`moq-studio record`, a second relay client): in both files ffprobe finds an H.264 and an
 * Opus stream, ffmpeg decodes them without an error, the pictures move and the sound is not
 * silence; and (3) reports it removed once the page closes. (The Monitor watching it is
 * moq-publish-watch.test.ts.)
 *
 * The fixture is installed by `npm ci --prefix test/interop/publish-page` (scripts/test-fixtures.sh);
 * without it this test fails with that command in its message, it never skips.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { broadcastKey, type AnnouncedBroadcast, type BroadcastsChanged } from "../../shared/broadcasts";
import type { RecordingInfo } from "../../shared/recordings";
import { dispatch } from "../../electron/engine/dispatch";
import { launchChromium } from "../helpers/browser";
import { spawnStudioCli, waitForExit } from "../helpers/cli";
import { MOQ_PUBLISH_CHROMIUM_ARGS, moqPublishIsLive, startMoqPublishPage, type MoqPublishPage, type MoqPublishProbe } from "../helpers/moq-publish";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { decodeErrors, probeStreams, tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

const BROADCAST = "live/moq-publish.hang";
const RECORD_SECONDS = 5;

/** Polls `read` until `ok` holds or the `deadline` (epoch ms) passes; the timeout error carries the last value seen. */
async function waitFor<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, deadline: number, what: string): Promise<T> {
	for (;;) {
		const value = await read();
		if (ok(value)) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

const run = promisify(execFile);

/** The first video stream's picture size, from ffprobe. */
async function videoSize(path: string): Promise<{ width: number; height: number }> {
	const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "json", path]);
	const [stream] = (JSON.parse(stdout) as { streams: { width: number; height: number }[] }).streams;
	return { width: stream?.width ?? 0, height: stream?.height ?? 0 };
}

/** Decoded video frames and how many of them differ (md5 of each decoded picture). */
async function decodedFrames(path: string): Promise<{ frames: number; distinct: number }> {
	const { stdout } = await run("ffmpeg", ["-hide_banner", "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "framemd5", "-"], { maxBuffer: 64 << 20 });
	const hashes = stdout
		.split("\n")
		.filter((l) => l && !l.startsWith("#"))
		.map((l) => l.split(",").at(-1)?.trim());
	return { frames: hashes.length, distinct: new Set(hashes).size };
}

/** The decoded audio's peak level in dBFS (ffmpeg volumedetect); -91 or lower is digital silence. */
async function audioPeakDb(path: string): Promise<number> {
	const { stderr } = await run("ffmpeg", ["-hide_banner", "-i", path, "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"], { maxBuffer: 64 << 20 });
	const peak = /max_volume: (-?[\d.]+) dB/.exec(stderr)?.[1];
	if (peak === undefined) throw new Error(`volumedetect printed no max_volume: ${stderr.slice(-500)}`);
	return Number(peak);
}

/** What {@link checkRecording} found in a recorded file. */
interface Checked {
	streams: { codec: string; type: string; packets: number }[];
	frames: number;
	distinct: number;
	peakDb: number;
}

/**
 * Checks a recording of the fake devices: a video and an Opus stream with about `seconds` of
 * packets, decoding without an error, at the picture size the element announced, moving pictures
 * (the fake camera's pattern and frame counter change every frame) and sound (its beep, not silence).
 */
async function checkRecording(file: string, display: { width: number; height: number } | undefined, seconds: number): Promise<Checked> {
	const streams = await probeStreams(file);
	const video = streams.find((s) => s.type === "video");
	const audio = streams.find((s) => s.type === "audio");
	expect(video?.codec, `${file}: ${JSON.stringify(streams)}`).toBe("h264");
	expect(audio?.codec, `${file}: ${JSON.stringify(streams)}`).toBe("opus");
	// 30 fps and 50 Opus packets a second; loose floors so a loaded machine passes.
	expect(video!.packets, file).toBeGreaterThan(seconds * 6);
	expect(audio!.packets, file).toBeGreaterThan(seconds * 10);
	expect(await decodeErrors(file), file).toBe("");
	expect(await videoSize(file), file).toEqual(display);
	const decoded = await decodedFrames(file);
	expect(decoded.frames, file).toBe(video!.packets);
	expect(decoded.distinct, file).toBeGreaterThan(decoded.frames * 0.9);
	const peakDb = await audioPeakDb(file);
	expect(peakDb, file).toBeGreaterThan(-30);
	return { streams, ...decoded, peakDb };
}

/** One line about a checked file. */
function describeChecked(c: Checked): string {
	return `${c.streams.map((s) => `${s.type} ${s.codec} ${s.packets} packets`).join(", ")}, ${c.distinct}/${c.frames} distinct pictures, audio peak ${c.peakDb} dB`;
}

let t: TestStudio | undefined;
let browser: Browser | undefined;
let dir: { dir: string; remove: () => Promise<void> } | undefined;

beforeAll(async () => {
	dir = await tempDir("moq-interop-publish-");
	[browser, t] = await Promise.all([launchChromium(MOQ_PUBLISH_CHROMIUM_ARGS), startTestStudio({ embeddedRelay: true, dataDir: join(dir.dir, "data"), recordingsDir: join(dir.dir, "recordings") })]);
});

afterAll(async () => {
	await browser?.close();
	await t?.close();
	await dir?.remove();
});

describe("<moq-publish> from npm publishes to the studio", () => {
	it("goes live on the embedded relay; the studio lists the broadcast and records playable video and audio", { timeout: 60_000 }, async () => {
		// One budget for every wait, inside the test's timeout, so a stall fails with what was seen.
		const deadline = Date.now() + 50_000;
		const t0 = performance.now();
		const marks: string[] = [];
		const mark = (what: string) => marks.push(`${what} ${((performance.now() - t0) / 1000).toFixed(1)}s`);
		const studio = t!.studio;
		const origin = studio.origins.list().find((o) => o.name === "studio");
		expect(origin, "the embedded relay's studio origin").toBeDefined();
		const added: AnnouncedBroadcast[] = [];
		const removed: string[] = [];
		const stopListening = studio.events.listen((event, payload) => {
			if (event !== "broadcasts.changed") return;
			added.push(...(payload as BroadcastsChanged).added);
			removed.push(...(payload as BroadcastsChanged).removed.map((r) => r.key));
		});

		let publisher: MoqPublishPage | undefined;
		let last: MoqPublishProbe | undefined;
		let recording: RecordingInfo | undefined;
		let cli: ReturnType<typeof spawnStudioCli> | undefined;
		try {
			// Started here, not in beforeAll, so a missing fixture shows as this test failing (not skipped).
			publisher = await startMoqPublishPage({ browser: browser!, relayUrl: studio.embeddedRelay!.url, name: BROADCAST });
			mark("page loaded");
			const pub = publisher;

			// The element connects, captures both devices and builds its catalog.
			last = await waitFor(
				() => pub.probe(),
				moqPublishIsLive,
				deadline,
				"<moq-publish> to connect, capture and fill its catalog",
			);
			mark("element live");
			// The embedded relay offers no HTTP/3 here (no quiche addon): the element's WebTransport
			// attempt fails (its certificate fetch answers 404), WebSocket wins. @moq/net 0.1.x offers the bare `qmux-01`
			// subprotocol (no ALPN in it) and agrees on moq-lite-02 in its SETUP messages.
			expect(last.version).toBe("moq-lite-02");
			expect(pub.subprotocols.at(-1)).toBe("qmux-01");

			// (1) The studio sees the broadcast announced in its embedded origin.
			const listed = await waitFor(
				async () => {
					const res = await dispatch(studio.handlers, "broadcasts.list", { originId: origin!.id });
					if (!res.ok) throw new Error(`broadcasts.list: ${res.error.message}`);
					return res.result as AnnouncedBroadcast[];
				},
				(list) => list.some((b) => b.path === BROADCAST),
				deadline,
				`${BROADCAST} in broadcasts.list`,
			);
			expect(listed.find((b) => b.path === BROADCAST)).toMatchObject({ originId: origin!.id, source: "session" });
			await waitFor(() => added, (a) => a.some((b) => b.path === BROADCAST && b.originId === origin!.id), deadline, "a broadcasts.changed event adding it");
			mark("announced");

			// (2) The studio records it, twice at once: through its engine (`recordings.start`, the
			// embedded session's subscription) and through its CLI as a second relay client
			// (`moq-studio record`, its own connection and @moq/net 0.3.x).
			const cliOut = join(dir!.dir, "moq-publish-cli.mp4");
			cli = spawnStudioCli(["record", "--url", studio.embeddedRelay!.url, "--broadcast", BROADCAST, "--duration", String(RECORD_SECONDS), "--out", cliOut, "--json"]);
			const cliDone = waitForExit(cli, Math.max(1000, deadline - Date.now()));
			const started = await dispatch(studio.handlers, "recordings.start", { originId: origin!.id, path: BROADCAST, fileName: "moq-publish.mp4", durationS: RECORD_SECONDS });
			if (!started.ok) throw new Error(`recordings.start: ${started.error.name}: ${started.error.message}`);
			const id = (started.result as RecordingInfo).id;
			const read = () => studio.recordings.list().find((r) => r.id === id);
			// The element serves the encoders only while subscribed: the recordings' subscriptions start them.
			await waitFor(() => pub.probe(), (p) => p.videoActive && p.audioActive, deadline, "the element to serve video and audio");
			recording = await waitFor(read, (r) => r?.state === "finished" || r?.state === "failed", deadline, "the recording to finish");
			mark("engine recorded");
			expect(recording, JSON.stringify(recording)).toMatchObject({ state: "finished", end: "duration", error: null });
			// The recorder read the element's catalog: its two renditions, by their track names and codecs.
			expect(recording!.tracks.map((tr) => [tr.kind, tr.name, tr.codec]).sort()).toEqual([
				["audio", "audio/data", "opus"],
				["video", "video/hd", last.videoCatalog?.renditions["video/hd"]?.codec],
			]);
			const file = recording!.file!;
			expect(file).toBe(join(dir!.dir, "recordings", "moq-publish.mp4"));
			const cliResult = await cliDone;
			mark("CLI recorded");
			expect(cliResult.code, `moq-studio record: ${cliResult.stdout}\n${cliResult.stderr}`).toBe(0);
			const cliSummary = JSON.parse(cliResult.stdout.trim().split("\n").find((l) => l.includes('"event":"done"')) ?? "{}") as { path?: string; reason?: string; frames?: Record<string, number> };
			expect(cliSummary, cliResult.stdout).toMatchObject({ path: cliOut, reason: "duration" });
			expect(Object.keys(cliSummary.frames ?? {}).sort()).toEqual(["audio/data", "video/hd"]);

			const engineChecked = await checkRecording(file, last.videoCatalog?.display, RECORD_SECONDS);
			const cliChecked = await checkRecording(cliOut, last.videoCatalog?.display, RECORD_SECONDS);
			mark("verified");

			// Closing the page ends the broadcast: the studio reports it removed (after the relay's
			// takeover grace, about 5 s, during which a reconnecting publisher could resume it).
			await publisher.close();
			publisher = undefined;
			await waitFor(() => removed, (keys) => keys.includes(broadcastKey(origin!.id, BROADCAST)), deadline, "a broadcasts.changed event removing it");
			mark("unannounced");

			expect(pub.errors).toEqual([]);
			// The relay answers /certificate.sha256 with CORS headers (a 404 without a WebTransport
			// listener), so the element's cross-origin fetch before WebTransport is no CORS error.
			expect(pub.logs.filter((l) => /CORS|Access-Control-Allow-Origin/i.test(l))).toEqual([]);
			const video = Object.entries(last.videoCatalog?.renditions ?? {}).map(([name, r]) => `${name} ${r.codec} ${r.codedWidth}x${r.codedHeight}`);
			const audio = Object.entries(last.audioCatalog?.renditions ?? {}).map(([name, r]) => `${name} ${r.codec} ${r.sampleRate} Hz x${r.numberOfChannels}`);
			process.stdout.write(
				`[interop] <moq-publish> ${last.status} (${last.version}, subprotocol ${pub.subprotocols.join(" ")}); catalog video ${video.join(", ")}; audio ${audio.join(", ")}; ` +
					`engine recorded ${recording!.durationS.toFixed(1)} s: ${describeChecked(engineChecked)} (${recording!.tracks.map((tr) => `${tr.name} ${tr.dropped} dropped, ${tr.gaps} gaps`).join("; ")}); ` +
					`CLI recorded: ${describeChecked(cliChecked)}; ${marks.join(", ")}\n`,
			);
		} catch (err) {
			// Say what the element and the recorder saw: the console carries @moq/net's connect and encoder logs.
			const engineLog = studio.logger
				.recent("debug", 40)
				.map((e) => `${e.level} ${e.scope} ${e.message}`)
				.join("\n");
			throw new Error(
				`${err instanceof Error ? err.message : String(err)}\n--- progress: ${marks.join(", ") || "none"} ---\n--- element ---\n${JSON.stringify(last)}\n--- recording ---\n${JSON.stringify(recording)}\n--- moq-studio record ---\n${cli?.output.stdout ?? ""}${cli?.output.stderr ?? ""}` +
					`\n--- page errors ---\n${publisher?.errors.join("\n") ?? ""}\n--- page console ---\n${publisher?.logs.slice(-40).join("\n") ?? ""}\n--- engine log ---\n${engineLog}`,
				{ cause: err },
			);
		} finally {
			stopListening();
			if (cli && cli.exitCode === null && cli.signalCode === null) cli.kill("SIGKILL");
			await publisher?.close();
		}
	});
});
