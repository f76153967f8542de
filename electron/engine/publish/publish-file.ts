/**
 * Publishes a media file as a live hang broadcast: demuxed packets (never re-encoded) released at
 * their original timing, optionally looping with timestamps that keep increasing.
 */
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type * as Moq from "@moq/net";
import { StudioError } from "../../../shared/errors";
import type { Log } from "../log/logger";
import { audioTrackName, videoTrackName } from "../hang";
import { openMediaFile, type MediaFile, type SourcePacket } from "./file-source";
import { sleep } from "../sleep";
import { HangBroadcastPublisher, type MediaTrackWriter, type TrackStats } from "./hang-publisher";

/** Options for {@link publishFile}. */
export interface PublishFileOptions {
	/** Path of an MP4/MOV, MKV or WebM file. */
	file: string;
	/**
	 * `file` already opened with {@link openMediaFile}; publishFile takes it over and closes it.
	 * Callers that announce the broadcast open the file first, so a file that cannot be read or
	 * is not media fails before anything is announced (issue 14).
	 */
	media?: MediaFile;
	/** Where the hang broadcast goes; the caller attaches it to sessions/origins and closes it. */
	broadcast: Moq.Broadcast.Producer;
	/** Start over at the end, forever (until `signal`). Timestamps keep increasing across loops. */
	loop?: boolean;
	/** Playback speed: 1 (default) is real time; `Infinity` publishes as fast as possible. */
	speed?: number;
	/** Stops publishing; the promise then resolves with `aborted: true`. */
	signal?: AbortSignal;
	/**
	 * Hold the first packet until every track has a subscriber, so the first viewer (a recorder
	 * waiting for this broadcast) sees the file from its first packet. Live semantics otherwise
	 * start a late subscriber at the newest group.
	 */
	waitForSubscribers?: boolean;
	/** Called about every 250 ms and once at the end. */
	onProgress?: (progress: PublishProgress) => void;
	log?: Log;
}

/** Where a running {@link publishFile} is. */
export interface PublishProgress {
	/** Media time published so far across loops, in seconds. */
	positionS: number;
	/** Completed passes over the file. */
	loops: number;
	tracks: Record<string, TrackStats>;
}

/** The outcome of {@link publishFile}. */
export interface PublishSummary extends PublishProgress {
	file: string;
	/** Container name (`MP4`, `Matroska`, `WebM`). */
	format: string;
	/** Duration of one pass over the file, in seconds. */
	fileDurationS: number;
	/** True when `signal` stopped it. */
	aborted: boolean;
}

interface Lane {
	writer: MediaTrackWriter;
	packets: AsyncGenerator<SourcePacket>;
	next: SourcePacket | undefined;
	/** Running max of timestamps in decode order: B-frames make raw PTS non-monotonic. */
	paceUs: number;
}

/**
 * Demuxes `file` and publishes it into `broadcast` as catalog.json + `video0`, `audio0`, ...
 *
 * Guarantees: payloads and decoder descriptions are carried byte for byte; each video group is
 * one GOP; packets are released no earlier than their timestamp relative to the first one
 * (divided by `speed`); timestamps are shifted by one constant so none is negative; the tracks
 * and catalog are closed when it returns (cleanly, or with the error it throws).
 * Throws IO (unreadable file), MEDIA (not media, truncated, no publishable track).
 */
export async function publishFile(opts: PublishFileOptions): Promise<PublishSummary> {
	const speed = opts.speed ?? 1;
	if (!(speed > 0)) {
		opts.media?.close();
		throw new StudioError("INVALID_ARGUMENT", "speed must be positive");
	}
	const media = opts.media ?? (await openMediaFile(opts.file));
	const publisher = new HangBroadcastPublisher(opts.broadcast);
	const log = opts.log;
	const lanes: { writer: MediaTrackWriter; track: (typeof media.tracks)[number] }[] = [];
	let videos = 0;
	let audios = 0;
	try {
		for (const track of media.tracks) {
			const writer = track.kind === "video" ? publisher.addVideo(videoTrackName(videos++), track.config) : publisher.addAudio(audioTrackName(audios++), track.config);
			lanes.push({ writer, track });
		}
		publisher.publishCatalog();
		for (const s of media.skipped) log?.warn(`skipping track ${s.id}: ${s.reason}`);
	} catch (err) {
		media.close();
		publisher.close();
		throw StudioError.from(err, "MEDIA");
	}

	if (opts.waitForSubscribers) {
		while (!lanes.every((l) => l.writer.subscribed) && !opts.signal?.aborted) await new Promise((r) => setTimeout(r, 20));
	}

	// The legacy container carries unsigned timestamps: shift everything by one constant.
	const baseUs = Math.max(0, -media.startUs);
	const passUs = media.endUs - Math.min(0, media.startUs);
	// Pacing counts from the first packet, so a file starting at 10 s does not idle for 10 s.
	const originUs = media.startUs + baseUs;
	let loopOffsetUs = 0;
	let loops = 0;
	let positionUs = 0;
	let aborted = false;
	const startedAt = performance.now();
	let lastProgress = 0;
	const progress = (): PublishProgress => ({ positionS: positionUs / 1e6, loops, tracks: publisher.stats() });

	try {
		for (;;) {
			const active: Lane[] = [];
			for (const { writer, track } of lanes) {
				const packets = track.packets();
				const first = await packets.next();
				if (!first.done) active.push({ writer, packets, next: first.value, paceUs: Number.NEGATIVE_INFINITY });
			}
			let passEndUs = 0;
			let written = 0;
			while (active.length > 0) {
				if (opts.signal?.aborted) {
					aborted = true;
					break;
				}
				// Interleave by pacing time: the lane whose next packet is due first goes next.
				let lane = active[0] as Lane;
				for (const l of active) if (paceOf(l) < paceOf(lane)) lane = l;
				const packet = lane.next as SourcePacket;
				lane.paceUs = paceOf(lane);
				const timestampUs = packet.timestampUs + baseUs + loopOffsetUs;
				const dueMs = startedAt + (lane.paceUs + baseUs + loopOffsetUs - originUs) / 1000 / speed;
				const waitMs = dueMs - performance.now();
				if (waitMs > 1) await sleep(waitMs, opts.signal);
				else if (++written % 64 === 0) await yieldToLoop(); // let subscribers drain when unpaced
				if (opts.signal?.aborted) {
					aborted = true;
					break;
				}
				lane.writer.write({ data: packet.data, timestampUs, keyframe: packet.keyframe });
				positionUs = Math.max(positionUs, timestampUs);
				passEndUs = Math.max(passEndUs, packet.timestampUs + baseUs + packet.durationUs);
				const next = await lane.packets.next();
				lane.next = next.done ? undefined : next.value;
				if (!lane.next) active.splice(active.indexOf(lane), 1);
				if (opts.onProgress && performance.now() - lastProgress >= 250) {
					lastProgress = performance.now();
					opts.onProgress(progress());
				}
			}
			for (const l of active) await l.packets.return(undefined);
			if (aborted) break;
			loops++;
			if (!opts.loop) break;
			// The next pass starts where this one ended, so timestamps never go backwards.
			loopOffsetUs += Math.max(passEndUs, 1);
		}
		publisher.close();
	} catch (err) {
		const error = StudioError.from(err, "MEDIA");
		publisher.close(error);
		throw error;
	} finally {
		media.close();
	}
	const summary: PublishSummary = { ...progress(), file: opts.file, format: media.format, fileDurationS: passUs / 1e6, aborted };
	opts.onProgress?.(summary);
	return summary;
}

function paceOf(lane: Lane): number {
	return Math.max(lane.paceUs, lane.next?.timestampUs ?? Number.POSITIVE_INFINITY);
}

