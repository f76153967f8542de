/**
 * Long shows: a recording never loses a track silently. Driven as a user would: `moq-studio
 * record --json` records from the studio's real relay while this test publishes a real file
 * through its own connection; the files are checked with Debian's ffprobe.
 *
 * (i) The relay resets the recorder's audio track mid-show while the broadcast stays announced
 *     (the publisher's audio track is reset and started again, which the relay passes on to its
 *     subscribers as a reset): the recorder reports the state changes, subscribes again, and the
 *     file has audio to the end, with no hole beyond the gap it reported.
 * (ii) A recorder started before the publisher, and a publisher that ends its tracks at once,
 *     still give a complete file that ends cleanly (no endless re-subscribing).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as Moq from "@moq/net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { HangBroadcastPublisher, openMediaFile, publishFile, type MediaTrackWriter, type SourcePacket } from "../../electron/engine/publish";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { quietLibraryLogs } from "../relay/clients";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "./media-helpers";

quietLibraryLogs();
const run = promisify(execFile);

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-track-recovery-"));
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

/** Presentation times (s) and durations of one stream's packets, via ffprobe. */
async function packetTimes(path: string, kind: "v" | "a"): Promise<{ pts: number; duration: number }[]> {
	const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", `${kind}:0`, "-show_entries", "packet=pts_time,duration_time", "-of", "json", path], { maxBuffer: 64 << 20 });
	const parsed = JSON.parse(stdout) as { packets: { pts_time: string; duration_time?: string }[] };
	return parsed.packets.map((p) => ({ pts: Number(p.pts_time), duration: Number(p.duration_time ?? 0) })).sort((a, b) => a.pts - b.pts);
}

/** First and last presentation time of a stream, and its largest hole between packets (s). */
function span(packets: { pts: number; duration: number }[]): { start: number; end: number; largestHole: number } {
	let largestHole = 0;
	for (let i = 1; i < packets.length; i++) {
		const prev = packets[i - 1] as { pts: number; duration: number };
		largestHole = Math.max(largestHole, (packets[i] as { pts: number }).pts - prev.pts - prev.duration);
	}
	return { start: packets[0]?.pts ?? 0, end: packets[packets.length - 1]?.pts ?? 0, largestHole };
}

function jsonLines(stdout: string): Record<string, unknown>[] {
	return stdout
		.split("\n")
		.filter((l) => l.startsWith("{"))
		.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Waits until `ms` of wall time after `origin` (pacing, not an assertion). */
function until(origin: number, ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, Math.max(0, origin + ms - performance.now())));
}

describe("a recorder's track that the relay resets", () => {
	it("is subscribed again, reported in the JSON output, and the file has audio to the end", { timeout: 120_000 }, async () => {
		const seconds = 9;
		const source = await makeH264Mp4(`${dir}/long.mp4`, seconds);
		const out = `${dir}/reset.mp4`;
		const path = "long/reset.hang";
		const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", path, "--out", out, "--json"]);
		await waitForLine(recorder, /"event":"status","code":1/);

		// The publisher: the file's packets, paced at their own timing, through our own connection.
		const media = await openMediaFile(source);
		const lanes: { kind: "video" | "audio"; config: (typeof media.tracks)[number]["config"]; packets: SourcePacket[] }[] = [];
		for (const t of media.tracks) {
			const packets: SourcePacket[] = [];
			for await (const p of t.packets()) packets.push(p);
			lanes.push({ kind: t.kind, config: t.config, packets });
		}
		media.close();
		const baseUs = Math.max(0, -media.startUs);
		const conn = await Moq.Connection.connect(new URL(relay.url), { websocket: { delay: 0 } });
		const producer = new Moq.Broadcast.Producer();
		const publisher = new HangBroadcastPublisher(producer);
		const video = lanes.find((l) => l.kind === "video");
		const audio = lanes.find((l) => l.kind === "audio");
		if (!video || !audio || video.kind !== "video" || audio.kind !== "audio") throw new Error("fixture needs video and audio");
		const videoWriter = publisher.addVideo("video0", video.config as Parameters<HangBroadcastPublisher["addVideo"]>[1]);
		let audioWriter: MediaTrackWriter = publisher.addAudio("audio0", audio.config as Parameters<HangBroadcastPublisher["addAudio"]>[1]);
		publisher.publishCatalog();
		conn.publish(Moq.Path.from(path), producer);
		try {
			while (!videoWriter.subscribed || !audioWriter.subscribed) await new Promise((r) => setTimeout(r, 20));
			// Decode-order pacing per lane (B-frames: the running max), then one timeline.
			const schedule: { lane: "video" | "audio"; pace: number; p: SourcePacket }[] = [];
			for (const lane of [video, audio]) {
				let pace = Number.NEGATIVE_INFINITY;
				for (const p of lane.packets) {
					pace = Math.max(pace, p.timestampUs);
					schedule.push({ lane: lane.kind, pace, p });
				}
			}
			schedule.sort((a, b) => a.pace - b.pace);
			const origin = performance.now();
			const firstUs = schedule[0]?.pace ?? 0;
			let reset = false;
			for (const { lane, pace, p } of schedule) {
				await until(origin, (pace - firstUs) / 1000);
				if (!reset && lane === "audio" && p.timestampUs > 3_000_000) {
					// Mid-show, the audio track is reset upstream and started again; the relay resets
					// every downstream subscription of it, the recorder's included. The broadcast and
					// its video stay announced and flowing.
					reset = true;
					audioWriter.close(new Error("audio reset by the test"));
					publisher.remove("audio0");
					audioWriter = publisher.addAudio("audio0", audio.config as Parameters<HangBroadcastPublisher["addAudio"]>[1]);
				}
				(lane === "video" ? videoWriter : audioWriter).write({ data: p.data, timestampUs: p.timestampUs + baseUs, keyframe: p.keyframe });
			}
			await new Promise((r) => setTimeout(r, 1500)); // the tail crosses the relay; the 1 s audio hold drains
		} finally {
			publisher.close();
			producer.close();
			conn.close();
		}

		const recorded = await waitForExit(recorder, 60_000);
		expect(recorded.code, recorded.stderr).toBe(0);
		const lines = jsonLines(recorded.stdout);
		const audioStates = lines.filter((l) => l.event === "track" && l.track === "audio0").map((l) => l.state);
		// The reset is reported, then the track is subscribed again and records again.
		const stalled = audioStates.indexOf("stalled");
		expect(stalled, JSON.stringify(audioStates)).toBeGreaterThan(0);
		expect(audioStates.indexOf("resubscribing", stalled)).toBeGreaterThan(stalled);
		expect(audioStates.lastIndexOf("recording")).toBeGreaterThan(audioStates.indexOf("resubscribing", stalled));
		const done = lines.find((l) => l.event === "done") as { reason: string; durationS: number; tracks: Record<string, { gaps: number; gapS: number; resubscribes: number }> };
		expect(done.reason).toBe("ended");
		const audioCounters = done.tracks.audio0 as { gaps: number; gapS: number; resubscribes: number };
		expect(audioCounters.resubscribes).toBeGreaterThanOrEqual(1);

		// The file: audio runs to the end of the show like video does, and no hole is longer than
		// the gap the recorder reported plus a few frames.
		const [v, a] = await Promise.all([packetTimes(out, "v"), packetTimes(out, "a")]);
		const vs = span(v);
		const as = span(a);
		expect(vs.end - vs.start).toBeGreaterThan(seconds - 1);
		expect(Math.abs(as.end - vs.end), `audio ends at ${as.end} s, video at ${vs.end} s`).toBeLessThan(0.5);
		expect(Math.abs(done.durationS - (vs.end - vs.start))).toBeLessThan(0.5);
		expect(audioCounters.gaps).toBeGreaterThanOrEqual(1);
		expect(as.largestHole).toBeLessThanOrEqual(audioCounters.gapS + 0.1);
		expect(await decodeErrors(out)).toBe("");
	});
});

describe("a recorder that starts before the publisher", () => {
	it("records a publisher that ends its tracks at once completely, and ends cleanly", { timeout: 90_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/short.mp4`, 2, "smptebars", 660);
		const out = `${dir}/short-rec.mp4`;
		const path = "long/short.hang";
		const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", path, "--out", out, "--json"]);
		await waitForLine(recorder, /"event":"status","code":1/);
		const conn = await Moq.Connection.connect(new URL(relay.url), { websocket: { delay: 0 } });
		const producer = new Moq.Broadcast.Producer();
		conn.publish(Moq.Path.from(path), producer);
		try {
			// The tracks close the moment the last packet is written,
			// while the broadcast stays announced a little longer.
			await publishFile({ file: source, broadcast: producer, speed: 1, waitForSubscribers: true });
			await new Promise((r) => setTimeout(r, 1500));
		} finally {
			producer.close();
			conn.close();
		}
		const recorded = await waitForExit(recorder, 60_000);
		expect(recorded.code, recorded.stderr).toBe(0);
		const lines = jsonLines(recorded.stdout);
		expect(lines.find((l) => l.event === "done")).toMatchObject({ reason: "ended", path: out });
		// The tracks ended with the publisher: neither was subscribed again.
		expect(lines.filter((l) => l.event === "track" && l.state === "resubscribing")).toEqual([]);
		// Every packet, from the very first to the last: a track's end no longer overtakes its
		// frames at the relay (test/relay/track-end.test.ts); before that fix the last GOP's tail
		// was cut here (52 of 60 video packets).
		for (const kind of ["v", "a"] as const) {
			const [src, rec] = await Promise.all([packetHashes(source, kind), packetHashes(out, kind)]);
			expect(rec).toEqual(src);
		}
		expect(await decodeErrors(out)).toBe("");
	});
});
