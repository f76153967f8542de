/**
 * Playback of a recording over the web host, as the player sees it: `playback.open` through the
 * `/bridge`, the frames on the `/media` channel in the monitor wire format. The payloads are the
 * file's packets byte for byte (compared with `ffmpeg -c copy -f framemd5`), a config comes
 * before the frames of every epoch, a seek starts a new epoch at the video keyframe at or before
 * the target with audio from the same time, a paused playback sends only its first picture, and
 * bad names get typed errors.
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { copyFile, mkdir, stat, truncate, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MonitorMessage } from "../../shared/monitor";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { ffmpeg, makeH264Mp4, tempDir } from "../media/media-helpers";
import { openBridge, openMonitorPeer, ok, parseConfig, type BridgeClient } from "../monitor/peers";
import { until } from "../relay/clients";

const run = promisify(execFile);

let t: TestStudio;
let bridge: BridgeClient;
let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-playback-"));
	await mkdir(`${dir}/recordings`);
	await copyFile(await makeH264Mp4(`${dir}/show.mp4`, 4), `${dir}/recordings/show.mp4`);
	await writeFile(`${dir}/recordings/notes.mp4`, "not a video");
	// A fragmented MP4 cut mid-fragment, as a crash or a full disk leaves one.
	await ffmpeg(["-i", `${dir}/show.mp4`, "-c", "copy", "-movflags", "frag_keyframe+empty_moov+default_base_moof", `${dir}/recordings/cut.mp4`]);
	await truncate(`${dir}/recordings/cut.mp4`, (await stat(`${dir}/recordings/cut.mp4`)).size - 3000);
	t = await startTestStudio({ recordingsDir: `${dir}/recordings` });
	bridge = await openBridge(t);
});
afterAll(async () => {
	bridge?.close();
	await t?.close();
	await remove?.();
});

/** md5 of each packet of the file's first stream of `kind`, in decode order. */
async function packetMd5s(path: string, kind: "v" | "a"): Promise<string[]> {
	const { stdout } = await run("ffmpeg", ["-hide_banner", "-v", "error", "-i", path, "-map", `0:${kind}:0`, "-c", "copy", "-f", "framemd5", "-"], { maxBuffer: 64 << 20 });
	return stdout
		.split("\n")
		.filter((l) => l && !l.startsWith("#"))
		.map((l) => l.split(",")[5]!.trim());
}

const md5 = (m: MonitorMessage) => createHash("md5").update(m.payload).digest("hex");
const frames = (messages: MonitorMessage[], type: "video" | "audio", epoch: number) => messages.filter((m) => m.type === type && m.epoch === epoch);

describe("recording playback on a media channel", () => {
	it("sends a config, then every packet of the file byte for byte, and ends", { timeout: 60_000 }, async () => {
		const info = ok(await bridge.invoke("playback.open", { name: "show.mp4" }));
		expect(info).toMatchObject({ name: "show.mp4", video: "video0", audio: "audio0", error: null });
		expect(info.durationS).toBeGreaterThan(3.9);
		expect(info.durationS).toBeLessThan(4.2);
		const peer = await openMonitorPeer(t, info.channel);
		const [wantVideo, wantAudio] = await Promise.all([packetMd5s(`${dir}/recordings/show.mp4`, "v"), packetMd5s(`${dir}/recordings/show.mp4`, "a")]);
		await until(() => t.studio.playback.list().find((p) => p.id === info.id)?.state === "ended", 30_000, "the playback to end");
		// "ended" is set once the last frame is sent: let it cross the socket.
		await peer.until((m) => m.length >= 1 + wantVideo.length + wantAudio.length, 5_000, "every frame to arrive");

		const [config, ...rest] = peer.messages;
		expect(config?.type).toBe("config");
		const parsed = parseConfig(config!);
		expect(parsed.epoch).toBe(config!.epoch);
		expect(parsed.video?.config.codec).toMatch(/^avc1\./);
		expect(parsed.audio?.config).toMatchObject({ codec: "opus", sampleRate: 48000 });
		expect(rest.every((m) => m.type !== "config" && m.epoch === parsed.epoch)).toBe(true);

		const video = frames(rest, "video", parsed.epoch);
		const audio = frames(rest, "audio", parsed.epoch);
		expect(video.map(md5)).toEqual(wantVideo);
		expect(audio.map(md5)).toEqual(wantAudio);
		expect(video[0]).toMatchObject({ keyframe: true, discontinuity: true });
		expect(audio[0]?.discontinuity).toBe(true);
		expect(rest.filter((m) => m.discontinuity)).toHaveLength(2);
		// One group per keyframe (GOP 30 at 30 fps: four in four seconds).
		expect(new Set(video.map((m) => m.group)).size).toBe(4);
		const ended = t.studio.playback.list().find((p) => p.id === info.id)!;
		expect(ended.positionS).toBeCloseTo(ended.durationS, 5);
		ok(await bridge.invoke("playback.close", { id: info.id }));
		await until(() => peer.closeCode !== undefined, 5_000, "the channel to close");
		expect(t.studio.playback.list().find((p) => p.id === info.id)).toBeUndefined();
	});

	it("paused sends only the first picture; a seek starts a new epoch at the keyframe at or before the target", { timeout: 60_000 }, async () => {
		const info = ok(await bridge.invoke("playback.open", { name: "show.mp4", paused: true }));
		const peer = await openMonitorPeer(t, info.channel);
		await peer.until((m) => m.some((x) => x.type === "video"), 10_000, "the first picture");
		const epoch = peer.messages[0]!.epoch;
		// Held: nothing more than the first picture and the audio before it while paused.
		await new Promise((r) => setTimeout(r, 500));
		expect(frames(peer.messages, "video", epoch)).toHaveLength(1);
		expect(t.studio.playback.list().find((p) => p.id === info.id)?.state).toBe("paused");

		const sought = ok(await bridge.invoke("playback.control", { id: info.id, seekS: 2.5 }));
		expect(sought.epoch).toBeGreaterThan(epoch);
		await peer.until((m) => m.some((x) => x.type === "video" && x.epoch === sought.epoch), 10_000, "the picture at the seek target");
		const config = peer.messages.find((m) => m.type === "config" && m.epoch === sought.epoch);
		expect(config).toBeDefined();
		expect(peer.messages.indexOf(config!)).toBeLessThan(peer.messages.findIndex((m) => m.epoch === sought.epoch && m.type !== "config"));
		const [key] = frames(peer.messages, "video", sought.epoch);
		expect(key).toMatchObject({ keyframe: true, discontinuity: true });
		// Keyframes every second: the one at or before 2.5 s is the one at 2 s.
		expect(key!.timestampUs).toBeGreaterThan(1.5e6);
		expect(key!.timestampUs).toBeLessThanOrEqual(2.5e6);
		const position = t.studio.playback.list().find((p) => p.id === info.id)!.positionS;
		expect(Math.abs(position - key!.timestampUs / 1e6)).toBeLessThan(0.05);

		// Playing from there: audio starts with the picture, and the rest of the file follows.
		ok(await bridge.invoke("playback.control", { id: info.id, playing: true }));
		await until(() => t.studio.playback.list().find((p) => p.id === info.id)?.state === "ended", 20_000, "the playback to end");
		await peer.until((m) => frames(m, "video", sought.epoch).length >= 60, 5_000, "the last frames to arrive");
		const audio = frames(peer.messages, "audio", sought.epoch);
		expect(audio[0]?.discontinuity).toBe(true);
		expect(Math.abs(audio[0]!.timestampUs - key!.timestampUs)).toBeLessThan(25_000);
		const allVideo = await packetMd5s(`${dir}/recordings/show.mp4`, "v");
		const sent = frames(peer.messages, "video", sought.epoch).map(md5);
		// From the keyframe on, every packet of the file in order.
		expect(sent).toEqual(allVideo.slice(allVideo.indexOf(sent[0]!)));
		expect(sent.length).toBe(60);

		// Play again once ended: from the start, in a new epoch.
		const again = ok(await bridge.invoke("playback.control", { id: info.id, playing: true }));
		expect(again.epoch).toBeGreaterThan(sought.epoch);
		await peer.until((m) => m.some((x) => x.type === "video" && x.epoch === again.epoch && x.timestampUs < 0.1e6), 10_000, "a restart from the top");
		ok(await bridge.invoke("playback.close", { id: info.id }));
	});

	it("plays an interrupted file to its last whole packet and ends cleanly", { timeout: 60_000 }, async () => {
		const info = ok(await bridge.invoke("playback.open", { name: "cut.mp4" }));
		const peer = await openMonitorPeer(t, info.channel);
		await until(() => ["ended", "failed"].includes(t.studio.playback.list().find((p) => p.id === info.id)?.state ?? ""), 30_000, "the playback to end");
		const ended = t.studio.playback.list().find((p) => p.id === info.id)!;
		expect(ended).toMatchObject({ state: "ended", error: null });
		await peer.until((m) => frames(m, "video", ended.epoch).length > 60, 5_000, "most of the video");
		// What arrived is the file's packets, in order, from the first.
		const sent = frames(peer.messages, "video", ended.epoch).map(md5);
		expect(sent).toEqual((await packetMd5s(`${dir}/show.mp4`, "v")).slice(0, sent.length));
		ok(await bridge.invoke("playback.close", { id: info.id }));
	});

	it("refuses names outside the folder, missing files and files that are not media, with typed errors", async () => {
		const code = async (name: string) => {
			const res = await bridge.invoke("playback.open", { name });
			return res.ok ? "ok" : res.error.name;
		};
		expect(await code("../show.mp4")).toBe("FORBIDDEN");
		expect(await code("absent.mp4")).toBe("NOT_FOUND");
		expect(await code("notes.mp4")).toBe("MEDIA");
		expect(await code("show.txt")).toBe("INVALID_ARGUMENT");
		const bad = await bridge.invoke("playback.control", { id: "nope", seekS: 1 });
		expect(bad.ok ? null : bad.error.name).toBe("NOT_FOUND");
		const negative = await bridge.invoke("playback.control", { id: "nope", seekS: -1 });
		expect(negative.ok ? null : negative.error.name).toBe("INVALID_ARGUMENT");
		expect(t.studio.playback.list()).toEqual([]);
	});
});
