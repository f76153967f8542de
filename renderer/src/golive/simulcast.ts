/**
 * Simulcast (issue 16): the program encoded into up to three renditions of one hang broadcast,
 * each its own size, bitrate and group length, so every viewer's player picks what its screen
 * and bandwidth allow. This module plans the ladder from the preset and the source, and gathers
 * what each rendition's encoder reports; the encoders run side by side in the one video encoder
 * worker (rendition-encoder.ts), which reads each source frame once.
 */
import type { LiveBroadcastInfo, LiveVideoSpec } from "../../../shared/media";
import type { FromWorker } from "./protocol";
import { chooseVideoConfig, type VideoPreset } from "./presets";

/** How many renditions Go Live encodes. */
export type RenditionCount = 1 | 2 | 3;

/** The choices the form offers, with what each means. */
export const RENDITION_CHOICES: readonly { count: RenditionCount; label: string }[] = [
	{ count: 1, label: "One (the quality above)" },
	{ count: 2, label: "Two (full and half height)" },
	{ count: 3, label: "Three (full, two thirds and a third)" },
];

/** One rendition to encode: its picture, pace, bitrate and group length. */
export interface RenditionPlan {
	width: number;
	height: number;
	framerate: number;
	bitrate: number;
	/** Frames per keyframe, i.e. per MoQ group. */
	keyframeInterval: number;
}

/** Heights players and people recognise; a rung snaps to the nearest one. */
const STANDARD_HEIGHTS = [2160, 1440, 1080, 720, 540, 480, 360, 270, 240, 180, 144];
/** No rendition below this height: smaller pictures are not worth a track. */
const MIN_HEIGHT = 144;
/** No rendition below this bitrate (b/s), the contract's floor with room for adaptation. */
const MIN_BITRATE = 200_000;

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/**
 * The renditions for `count`, largest first. The first is the preset bounded by the source (a
 * 720p camera is not encoded at 1080p); the others are two thirds and a third of its height (two
 * renditions: half), snapped to standard heights, with the source's aspect ratio. Bitrate
 * follows the pixel count; the smaller renditions get groups of one second, so a player
 * switching down to them starts sooner. Fewer renditions come back when the source is too small
 * for distinct ones.
 */
export function planRenditions(source: { width: number; height: number }, preset: VideoPreset, count: RenditionCount): RenditionPlan[] {
	const scale = Math.min(1, preset.width / source.width, preset.height / source.height);
	const top: RenditionPlan = {
		width: even(source.width * scale),
		height: even(source.height * scale),
		framerate: preset.framerate,
		bitrate: preset.bitrate,
		keyframeInterval: preset.keyframeInterval,
	};
	const factors = count === 3 ? [2 / 3, 1 / 3] : count === 2 ? [1 / 2] : [];
	const plans = [top];
	for (const factor of factors) {
		const wanted = top.height * factor;
		const height = STANDARD_HEIGHTS.reduce((best, h) => (Math.abs(h - wanted) < Math.abs(best - wanted) ? h : best));
		const last = plans[plans.length - 1]!;
		if (height >= last.height || height < MIN_HEIGHT) continue;
		const width = even((height * top.width) / top.height);
		const share = (width * height) / (top.width * top.height);
		plans.push({
			width,
			height,
			framerate: preset.framerate,
			bitrate: Math.max(MIN_BITRATE, Math.round((preset.bitrate * share) / 10_000) * 10_000),
			keyframeInterval: Math.max(1, Math.round(preset.framerate)),
		});
	}
	return plans;
}

/** The encoder config of each planned rendition (the first supported codec for each). */
export function renditionConfigs(plans: readonly RenditionPlan[]): Promise<VideoEncoderConfig[]> {
	return Promise.all(plans.map((p) => chooseVideoConfig(p)));
}

/** What one rendition's encoder reported first: its decoder config for the catalog. */
export type RenditionOutput = Extract<FromWorker, { type: "decoder-config" }>;

/**
 * Waits until the worker reported the decoder config of each of `count` renditions (rendition 0
 * is the one without a number); rejects on a worker error or after `ms`.
 */
export function waitForRenditions(worker: Worker, count: number, ms: number): Promise<RenditionOutput[]> {
	return new Promise((resolve, reject) => {
		const outputs: (RenditionOutput | undefined)[] = new Array(count).fill(undefined);
		const done = (err?: Error) => {
			clearTimeout(timer);
			worker.removeEventListener("message", onMessage);
			if (err) reject(err);
			else resolve(outputs as RenditionOutput[]);
		};
		const timer = setTimeout(() => {
			const missing = outputs.flatMap((o, i) => (o ? [] : [i]));
			done(new Error(`the encoder produced no decoder config for rendition ${missing.join(", ")} within ${ms / 1000} s`));
		}, ms);
		const onMessage = (ev: MessageEvent<FromWorker>) => {
			const msg = ev.data;
			if (msg.type === "error") done(new Error(msg.message));
			else if (msg.type === "decoder-config") {
				const i = msg.rendition ?? 0;
				if (i < count && !outputs[i]) outputs[i] = msg;
				if (outputs.every(Boolean)) done();
			}
		};
		worker.addEventListener("message", onMessage);
	});
}

/** The contract's spec of one rendition from its plan, config and first output. */
export function renditionSpec(plan: RenditionPlan, config: VideoEncoderConfig, out: RenditionOutput): LiveVideoSpec {
	return {
		codec: out.codec,
		description: out.description,
		codedWidth: out.codedWidth ?? config.width,
		codedHeight: out.codedHeight ?? config.height,
		framerate: plan.framerate,
		bitrate: plan.bitrate,
	};
}

/**
 * The engine's target bitrate of each video rendition in `info`, with the rendition it belongs
 * to (from the media channels), for the encoders to follow.
 */
export function renditionTargets(info: LiveBroadcastInfo): { rendition: number; bitrate: number }[] {
	return info.channels.flatMap((c) => {
		if (c.kind !== "video") return [];
		const bitrate = info.tracks.find((t) => t.name === c.track)?.targetBitrate;
		return bitrate ? [{ rendition: c.rendition ?? 0, bitrate }] : [];
	});
}
