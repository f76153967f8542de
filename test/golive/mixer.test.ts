/**
 * Go Live's audio mixer (issue 16) as a streamer uses it: Chromium's fake microphone (a beep)
 * on a strip of the mixer, through the web host and the studio's embedded relay; an independent
 * @moq/net subscriber records what arrives and ffmpeg measures it. Muting the strip while live
 * gives digital silence in the recording for that stretch, and loud again after; a fader at
 * -20 dB lowers the recorded level by about 20 dB; the fader is saved and comes back on a fresh
 * page. No autoplay flag: the mixer's audio thread starts with the page's first click.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as Moq from "@moq/net";
import type { Browser, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCatalog } from "../../electron/engine/hang";
import { recordBroadcast } from "../../electron/engine/record";
import { launchChromium } from "../helpers/browser";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { eventually, openStudio } from "../helpers/ui";
import { decodeErrors, tempDir } from "../media/media-helpers";
import { connect, quietLibraryLogs, within } from "../relay/clients";
import { waitAnnounced } from "../sessions/harness";

quietLibraryLogs();
const run = promisify(execFile);
/** Quieter than the smallest step of 24-bit audio: digital silence. */
const DIGITAL_SILENCE_DB = -144;

let t: TestStudio;
let browser: Browser;
let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-mixer-"));
	[t, browser] = await Promise.all([
		startTestStudio({ embeddedRelay: true, dataDir: `${dir}/data` }),
		launchChromium(["--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream"]),
	]);
});
afterAll(async () => {
	await browser?.close();
	await t?.close();
	await remove?.();
});

const level = async (meter: Locator) => Number(await meter.getAttribute("aria-valuenow"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The recording's audio decoded by ffmpeg, mono 48 kHz. */
async function decodePcm(path: string): Promise<Float32Array> {
	const { stdout } = await run("ffmpeg", ["-hide_banner", "-v", "error", "-i", path, "-vn", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"], { encoding: "buffer", maxBuffer: 256 << 20 });
	const copy = new Uint8Array(stdout.byteLength);
	copy.set(stdout);
	return new Float32Array(copy.buffer);
}

/** Peak per window of `ms`, dBFS (-Infinity: every sample exactly 0). */
function windowPeaks(pcm: Float32Array, ms: number): number[] {
	const n = Math.round((48_000 * ms) / 1000);
	const out: number[] = [];
	for (let start = 0; start + n <= pcm.length; start += n) {
		let peak = 0;
		for (let i = start; i < start + n; i++) peak = Math.max(peak, Math.abs(pcm[i]!));
		out.push(peak > 0 ? 20 * Math.log10(peak) : -Infinity);
	}
	return out;
}

/** ffmpeg's volumedetect over the whole file or a stretch of it: mean and max volume, dB. */
async function volume(path: string, stretch?: { fromS: number; durationS: number }): Promise<{ mean: number; max: number }> {
	const range = stretch ? ["-ss", stretch.fromS.toFixed(3), "-t", stretch.durationS.toFixed(3)] : [];
	const { stderr } = await run("ffmpeg", ["-hide_banner", "-nostats", ...range, "-i", path, "-vn", "-af", "volumedetect", "-f", "null", "-"], { maxBuffer: 64 << 20 });
	const mean = /mean_volume: (-?[\d.]+|-inf) dB/.exec(stderr)?.[1];
	const max = /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr)?.[1];
	if (!mean || !max) throw new Error(`volumedetect said nothing: ${stderr}`);
	return { mean: Number(mean.replace("-inf", "-Infinity")), max: Number(max.replace("-inf", "-Infinity")) };
}

describe("Go Live audio mixer", () => {
	it("meters the fake microphone's strip, mutes it to digital silence while live, and a -20 dB fader lowers the level by 20 dB", { timeout: 120_000 }, async () => {
		const { page, errors } = await openStudio(browser, t.web.url);
		await page.getByRole("button", { name: "Go Live" }).first().click();
		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.getByLabel("Video", { exact: true }).selectOption("none");
		await form.getByLabel("Audio", { exact: true }).selectOption("mixer");
		const mixer = page.getByRole("region", { name: "Audio mixer" });
		const strip = mixer.getByRole("group", { name: "Default microphone strip" });
		const meter = strip.getByRole("meter", { name: "Default microphone level" });
		await eventually(() => level(meter), (db) => db > -40, 15_000, "the strip's meter to rise for the fake microphone");
		// A moving meter, not a stuck one: readings over two seconds differ.
		const readings: number[] = [];
		for (let i = 0; i < 10; i++) {
			readings.push(await level(meter));
			await sleep(200);
		}
		expect(Math.max(...readings) - Math.min(...readings)).toBeGreaterThan(1);
		await eventually(() => level(mixer.getByRole("meter", { name: "Program level" })), (db) => db > -40, 10_000, "the program meter to rise");

		await form.getByLabel("Broadcast path").fill("live/mixer.hang");
		const sub = await connect(t.studio.embeddedRelay!.url);
		const announced = waitAnnounced(sub, "live/mixer.hang", 20_000);
		await form.getByRole("button", { name: "Go Live" }).click();
		await page.getByRole("status", { name: "Live status" }).waitFor({ timeout: 20_000 });
		await announced;
		const consumer = sub.consume(Moq.Path.from("live/mixer.hang"));
		const catalogTrack = consumer.track("catalog.json").subscribe();
		const catalog = parseCatalog((await within(catalogTrack.readFrame(), 10_000, "catalog"))!.payload);
		catalogTrack.close();
		const audio = Object.values(catalog.audio?.renditions ?? {})[0];
		expect(audio?.codec).toBe("opus");
		expect(audio?.sampleRate).toBe(48_000);
		expect(audio?.numberOfChannels).toBe(2);

		// One recording across a mute: loud, silent, loud.
		const mute = strip.getByRole("button", { name: "Mute Default microphone" });
		const across = recordBroadcast({ consumer: consumer.clone(), folder: `${dir}/rec`, broadcast: "live/mixer.hang", durationS: 10 });
		await sleep(3000);
		await mute.click();
		const mutedAt = Date.now();
		await expect.poll(() => mute.getAttribute("aria-pressed")).toBe("true");
		await sleep(4000);
		await mute.click();
		const mutedS = (Date.now() - mutedAt) / 1000;
		const muted = (await across).path as string;
		expect(await decodeErrors(muted)).toBe("");
		const peaks = windowPeaks(await decodePcm(muted), 250);
		// The longest stretch of silent windows is the mute (about 4 s of it). Opus decodes a muted
		// (all-zero) input to samples near 1e-45, below anything 24-bit audio can hold (-144 dBFS).
		let best = { start: 0, length: 0 };
		for (let i = 0, runStart = 0; i <= peaks.length; i++) {
			if (i < peaks.length && peaks[i]! < DIGITAL_SILENCE_DB) continue;
			if (i - runStart > best.length) best = { start: runStart, length: i - runStart };
			runStart = i + 1;
		}
		const silentS = best.length / 4;
		// As long as the strip was muted, give or take the clicks' round trips (not a timing claim:
		// the two clicks bound it on both sides).
		const windows = `muted ${mutedS} s; windows (dBFS peak, 250 ms): ${peaks.map((p) => p.toFixed(0)).join(" ")}`;
		expect(silentS, windows).toBeGreaterThan(2);
		expect(silentS, windows).toBeLessThan(mutedS + 1);
		expect(Math.max(...peaks.slice(0, best.start))).toBeGreaterThan(-30);
		expect(Math.max(...peaks.slice(best.start + best.length))).toBeGreaterThan(-30);
		const silence = await volume(muted, { fromS: best.start / 4 + 0.25, durationS: silentS - 0.5 });
		expect(silence.max).toBeLessThanOrEqual(-90);

		// The fader: the same microphone at 0 dB and then at -20 dB, in two recordings.
		await expect.poll(() => mute.getAttribute("aria-pressed")).toBe("false");
		await sleep(500);
		const unity = (await recordBroadcast({ consumer: consumer.clone(), folder: `${dir}/rec`, broadcast: "live/mixer.hang", durationS: 4 })).path as string;
		const gain = strip.getByRole("slider", { name: "Default microphone gain" });
		await gain.focus();
		// 0.5 dB a key press, as a person would with the keyboard.
		for (let i = 0; i < 40; i++) await gain.press("ArrowLeft");
		await expect.poll(() => gain.inputValue()).toBe("-20");
		await sleep(500);
		const lowered = (await recordBroadcast({ consumer: consumer.clone(), folder: `${dir}/rec`, broadcast: "live/mixer.hang", durationS: 4 })).path as string;
		const [loud, quiet] = await Promise.all([volume(unity), volume(lowered)]);
		expect(loud.mean).toBeGreaterThan(-50);
		expect(loud.mean - quiet.mean).toBeGreaterThan(18.5);
		expect(loud.mean - quiet.mean).toBeLessThan(21.5);
		expect(await decodeErrors(lowered)).toBe("");

		await page.getByRole("button", { name: "Stop" }).click();
		await eventually(() => t.studio.golive.list(), (l) => l.length === 0, 10_000, "stopped");
		consumer.close();
		sub.close();
		expect(errors).toEqual([]);
		await page.close();

		// The fader was saved in the engine's preferences: a fresh page shows it.
		const again = await openStudio(browser, t.web.url);
		await again.page.getByRole("button", { name: "Go Live" }).first().click();
		await again.page.getByRole("form", { name: "Go Live settings" }).getByLabel("Audio", { exact: true }).selectOption("mixer");
		const restored = again.page.getByRole("region", { name: "Audio mixer" }).getByRole("slider", { name: "Default microphone gain" });
		await expect.poll(() => restored.inputValue(), { timeout: 10_000 }).toBe("-20");
		expect(again.errors).toEqual([]);
		await again.page.close();
	});

	it("a microphone at -6 dB with a second one muted gives a program meter 6 dB below the microphone at 0 dB; solo keeps only the soloed strip; the screen's audio gets a strip", { timeout: 90_000 }, async () => {
		const { page, errors } = await openStudio(browser, t.web.url);
		await page.getByRole("button", { name: "Go Live" }).first().click();
		const form = page.getByRole("form", { name: "Go Live settings" });
		await form.getByLabel("Audio", { exact: true }).selectOption("mixer");
		const mixer = page.getByRole("region", { name: "Audio mixer" });
		const first = mixer.getByRole("group", { name: "Default microphone strip" });
		await eventually(() => level(first.getByRole("meter")), (db) => db > -40, 15_000, "the first strip's meter");
		// The previous test left this strip at -20 dB: bring it back to 0 dB with the keyboard.
		const firstGain = first.getByRole("slider", { name: "Default microphone gain" });
		await firstGain.focus();
		await firstGain.press("End");
		for (let i = 0; i < 24; i++) await firstGain.press("ArrowLeft");
		await expect.poll(() => firstGain.inputValue()).toBe("0");

		// A second fake microphone, added from the picker by its name.
		const picker = mixer.getByLabel("Add a source");
		await eventually(() => picker.locator("option").allTextContents(), (o) => o.some((l) => /fake audio input/i.test(l)), 15_000, "a second fake microphone offered");
		const name = (await picker.locator("option").allTextContents()).find((l) => /fake audio input/i.test(l))!;
		await picker.selectOption({ label: name });
		await mixer.getByRole("button", { name: "Add", exact: true }).click();
		const second = mixer.getByRole("group", { name: `${name} strip` });
		await eventually(() => level(second.getByRole("meter")), (db) => db > -40, 15_000, "the second strip's meter");
		await second.getByRole("button", { name: `Mute ${name}` }).click();

		/**
		 * The loudest the program meter shows over four seconds: the beeps' peaks. The meter's value
		 * is refreshed a few times a second and falls between beeps, so a reading can miss a peak by
		 * a little; over four seconds the refreshes drift across the beeps and catch their tops.
		 */
		const programPeak = async () => {
			const meter = mixer.getByRole("meter", { name: "Program level" });
			await sleep(1000); // let the held peak of the previous setting fall away
			let peak = -Infinity;
			for (let i = 0; i < 40; i++, await sleep(100)) peak = Math.max(peak, await level(meter));
			return peak;
		};
		const atUnity = await programPeak();
		expect(atUnity).toBeGreaterThan(-12);
		for (let i = 0; i < 12; i++) await firstGain.press("ArrowLeft");
		await expect.poll(() => firstGain.inputValue()).toBe("-6");
		const atMinus6 = await programPeak();
		expect(atUnity - atMinus6).toBeGreaterThan(4.5);
		expect(atUnity - atMinus6).toBeLessThan(7.5);

		// The second strip unmuted at 0 dB and the first (at -6 dB) soloed: only the first is heard.
		await second.getByRole("button", { name: `Mute ${name}` }).click();
		await first.getByRole("button", { name: "Solo Default microphone" }).click();
		const soloed = await programPeak();
		expect(Math.abs(soloed - atMinus6)).toBeLessThan(2);
		expect(soloed).toBeLessThan(atUnity - 4);

		// The shared screen's audio (Chromium's fake display capture has a fake audio track) gets a
		// strip of its own; the click on Add is the gesture the screen share needs.
		await picker.selectOption({ label: "Screen or tab audio" });
		await mixer.getByRole("button", { name: "Add", exact: true }).click();
		const screen = mixer.getByRole("group", { name: "Screen audio strip" });
		await eventually(() => level(screen.getByRole("meter", { name: "Screen audio level" })), (db) => db > -40, 15_000, "the screen audio strip's meter");
		// Removing it leaves the microphones' strips.
		await screen.getByRole("button", { name: "Remove Screen audio" }).click();
		await screen.waitFor({ state: "detached" });
		await expect.poll(() => mixer.getByRole("group").count()).toBe(2);
		expect(errors).toEqual([]);
		await page.close();
	});
});
