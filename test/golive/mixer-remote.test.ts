/**
 * Issue 16, a remote scene source's sound in the audio mixer, as a streamer does it in real
 * Chromium through the web host: a guest (a file with a 440 Hz sine, published to the studio's
 * embedded relay with the CLI, `moq-studio publish`, as any peer would) is placed in the scene;
 * its audio, decoded by the monitor's decode worker, becomes a strip of the mixer (no microphone
 * strip). The program goes live with Audio: Mixer; an independent @moq/net subscriber records it
 * and ffmpeg measures the recorded Opus track: at 0 dB it carries the tone at the file's own
 * level, at -6 dB 6 dB lower, and muting the guest's strip makes it silent. A media file layer
 * (the same file from the recordings folder) gets a metered strip too; each strip goes with its layer.
 */
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { promisify } from "node:util";
import * as Moq from "@moq/net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordBroadcast } from "../../electron/engine/record";
import { launchChromium } from "../helpers/browser";
import { spawnStudioCli } from "../helpers/cli";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { ffmpeg, tempDir } from "../media/media-helpers";
import { connect, quietLibraryLogs, until } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";

quietLibraryLogs();
const run = promisify(execFile);

let browser: Browser;
let dir: string;
let remove: () => Promise<void>;
let tone: string;

/** The tone's frequency: astats and a zero-crossing count tell it from the fake microphone's beep. */
const TONE_HZ = 440;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-mixer-remote-"));
	// In the recordings folder: the same file is also a media file layer.
	await mkdir(`${dir}/recordings`, { recursive: true });
	tone = `${dir}/recordings/tone.mp4`;
	// A grey picture and a steady sine (lavfi's default amplitude, 1/8: about -21 dBFS RMS), Opus
	// as Go Live and <moq-publish> send it; long enough that few loop restarts fall in a recording.
	await ffmpeg([
		"-f", "lavfi", "-i", "color=c=gray:s=320x180:r=30",
		"-f", "lavfi", "-i", `sine=frequency=${TONE_HZ}:sample_rate=48000`,
		"-t", "30",
		"-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "30", "-pix_fmt", "yuv420p",
		"-c:a", "libopus", "-b:a", "64k",
		tone,
	]);
	browser = await launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream"]);
}, 60_000);
afterAll(async () => {
	await browser?.close();
	await remove?.();
});

/** ffmpeg's volumedetect (mean and max volume, dB) over a stretch of the file's audio. */
async function volume(path: string, fromS: number, durationS: number): Promise<{ mean: number; max: number }> {
	const { stderr } = await run("ffmpeg", ["-hide_banner", "-nostats", "-ss", fromS.toFixed(3), "-t", durationS.toFixed(3), "-i", path, "-vn", "-af", "volumedetect", "-f", "null", "-"], {
		maxBuffer: 64 << 20,
	});
	const mean = /mean_volume: (-?[\d.]+|-inf) dB/.exec(stderr)?.[1];
	const max = /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr)?.[1];
	if (!mean || !max) throw new Error(`volumedetect said nothing: ${stderr}`);
	return { mean: Number(mean.replace("-inf", "-Infinity")), max: Number(max.replace("-inf", "-Infinity")) };
}

/** The dominant frequency of a stretch, from astats' zero-crossing rate (crossings per second / 2). */
async function frequency(path: string, fromS: number, durationS: number): Promise<number> {
	const { stderr } = await run(
		"ffmpeg",
		["-hide_banner", "-nostats", "-ss", fromS.toFixed(3), "-t", durationS.toFixed(3), "-i", path, "-vn", "-ac", "1", "-ar", "48000", "-af", "astats", "-f", "null", "-"],
		{ maxBuffer: 64 << 20 },
	);
	// The last one is the Overall section's (mono: the same as the channel's).
	const rate = [...stderr.matchAll(/Zero crossings rate: ([\d.]+)/g)].at(-1)?.[1];
	if (!rate) throw new Error(`astats said nothing: ${stderr}`);
	return (Number(rate) * 48_000) / 2;
}

describe("Remote audio in the mixer", () => {
	it("a guest broadcast's sound is a mixer strip: recorded at the file's level at 0 dB, 6 dB lower at -6 dB, silent when muted", { timeout: 180_000 }, async () => {
		const t: TestStudio = await startTestStudio({ embeddedRelay: true, dataDir: `${dir}/data`, recordingsDir: `${dir}/recordings` });
		const relayUrl = t.studio.embeddedRelay!.url;
		const guest = spawnStudioCli(["publish", "--url", relayUrl, "--broadcast", "guest/tone.hang", "--file", tone, "--loop"]);
		const sub = await connect(relayUrl);
		try {
			const source = await volume(tone, 1, 8);
			const { page, errors } = await openStudio(browser, `${t.web.url}#/golive`);
			const form = page.getByRole("form", { name: "Go Live settings" });
			await form.waitFor();
			await form.getByLabel("Video", { exact: true }).selectOption("scene");
			await form.getByLabel("Audio", { exact: true }).selectOption("mixer");
			const mixer = page.getByRole("region", { name: "Audio mixer" });
			// Only the guest is heard: the fresh install's microphone strip goes.
			await mixer.getByRole("button", { name: "Remove Default microphone" }).click();

			const panel = page.getByRole("region", { name: "Scenes" });
			await page.getByRole("img", { name: "Program preview" }).waitFor({ timeout: 15_000 });
			await panel.getByRole("list", { name: "Layers" }).getByRole("button", { name: "Delete Camera" }).click();
			await panel.getByLabel("New layer source").selectOption("broadcast");
			const announced = panel.getByLabel("Announced broadcast");
			await eventually(() => announced.locator("option").allTextContents(), (o) => o.includes("guest/tone.hang"), 20_000, "the guest announced");
			await announced.selectOption({ label: "guest/tone.hang" });
			await panel.getByRole("button", { name: "Add layer" }).click();
			await eventually(() => panel.getByLabel("tone.hang source state").getAttribute("data-state"), (s) => s === "live", 20_000, "the guest layer live");

			// The guest's strip, metered like a microphone's (the sine's peak is -18 dBFS).
			const strip = mixer.getByRole("group", { name: "guest/tone.hang strip" });
			const meter = strip.getByRole("meter", { name: "guest/tone.hang level" });
			await eventually(async () => Number(await meter.getAttribute("aria-valuenow")), (db) => db > -30, 20_000, "the guest strip's meter to rise");
			await eventually(async () => Number(await mixer.getByRole("meter", { name: "Program level" }).getAttribute("aria-valuenow")), (db) => db > -30, 10_000, "the program meter to rise");

			await form.getByLabel("Broadcast path").fill("live/mixremote.hang");
			await form.getByRole("button", { name: "Go Live" }).click();
			await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
			await waitAnnounced(sub, "live/mixremote.hang");
			const consumer = sub.consume(Moq.Path.from("live/mixremote.hang"));
			const record = async (name: string, durationS: number) =>
				(await recordBroadcast({ consumer: consumer.clone(), folder: `${dir}/${name}`, broadcast: "live/mixremote.hang", durationS })).path as string;

			// 0 dB: the program carries the guest's tone at the file's own level.
			const unityFile = await record("unity", 6);
			const unity = await volume(unityFile, 1, 4.5);
			const unityHz = await frequency(unityFile, 1, 4.5);

			// -6 dB, with the keyboard as a person would (0.5 dB a press).
			const gain = strip.getByRole("slider", { name: "guest/tone.hang gain" });
			await gain.focus();
			for (let i = 0; i < 12; i++) await gain.press("ArrowLeft");
			await expect.poll(() => gain.inputValue()).toBe("-6");
			const lowered = await volume(await record("minus6", 6), 1, 4.5);

			// Muted: the mixer multiplies the guest by exactly 0.
			const mute = strip.getByRole("button", { name: "Mute guest/tone.hang" });
			await mute.click();
			await expect.poll(() => mute.getAttribute("aria-pressed")).toBe("true");
			const muted = await volume(await record("muted", 5), 1, 3.5);

			process.stderr.write(
				`mixer-remote: source file mean ${source.mean} dB max ${source.max} dB; program at 0 dB mean ${unity.mean} dB max ${unity.max} dB (${unityHz.toFixed(0)} Hz); ` +
					`at -6 dB mean ${lowered.mean} dB (${(unity.mean - lowered.mean).toFixed(2)} dB lower); muted max ${muted.max} dB\n`,
			);
			expect(Math.abs(unityHz - TONE_HZ), `${unityHz} Hz`).toBeLessThan(15);
			expect(Math.abs(unity.mean - source.mean), `0 dB: ${unity.mean} vs the file's ${source.mean}`).toBeLessThan(1.5);
			expect(unity.mean - lowered.mean).toBeGreaterThan(5);
			expect(unity.mean - lowered.mean).toBeLessThan(7);
			expect(muted.max).toBeLessThanOrEqual(-90);

			// A media file layer's sound gets a strip too, and loses it with the layer.
			await panel.getByLabel("New layer source").selectOption("file");
			const files = panel.getByLabel("Media file");
			await eventually(() => files.locator("option").allTextContents(), (o) => o.includes("tone.mp4"), 20_000, "the file listed");
			await files.selectOption({ label: "tone.mp4" });
			await panel.getByRole("button", { name: "Add layer" }).click();
			const fileStrip = mixer.getByRole("group", { name: "tone.mp4 strip" });
			await eventually(async () => Number(await fileStrip.getByRole("meter", { name: "tone.mp4 level" }).getAttribute("aria-valuenow")), (db) => db > -30, 20_000, "the file strip's meter to rise");
			await panel.getByRole("list", { name: "Layers" }).getByRole("button", { name: "Delete tone.mp4" }).click();
			await fileStrip.waitFor({ state: "detached", timeout: 10_000 });

			await page.getByRole("button", { name: "Stop" }).click();
			await until(() => t.studio.golive.list().length === 0, 10_000, "stopped");
			// Deleting the layer takes its strip out of the mixer and lets go of the subscription.
			await panel.getByRole("list", { name: "Layers" }).getByRole("button", { name: "Delete tone.hang" }).click();
			await strip.waitFor({ state: "detached", timeout: 10_000 });
			await until(() => t.studio.monitors.list().every((m) => m.path !== "guest/tone.hang"), 10_000, "the guest monitor closed");
			consumer.close();
			if (errors.length) process.stderr.write(`PAGE ERRORS ${JSON.stringify(errors)}\n`);
			expect(errors).toEqual([]);
			await page.close();
		} finally {
			sub.close();
			guest.kill("SIGKILL");
			await t.close();
		}
	});
});
