/**
 * The numbers of one forwarded track: totals since the monitor opened, rates over a sliding
 * one-second window, and latency against the media clock.
 *
 * Everything counts frames as they arrive from the relay, forwarded or skipped, so the numbers
 * describe the broadcast and the path to the engine, not the renderer's pace. Latency uses the
 * newest media time seen (decode order puts B-frames behind it) and the keyframe interval uses
 * media times, so neither depends on how bursty delivery was.
 */
import type { MonitorTrackStats } from "../../../shared/monitor";

/** The sliding window rates are measured over. */
export const STATS_WINDOW_MS = 1000;

interface Sample {
	at: number;
	bytes: number;
	groupStart: boolean;
	/** |latency change| against the previous frame, or undefined for the first of an epoch. */
	jitter: number | undefined;
}

/** Measures one track; `frame` is called for every frame that arrives from the relay. */
export class TrackMeter {
	readonly #name: string;
	readonly #kind: "video" | "audio";
	#frames = 0;
	#bytes = 0;
	#groups = 0;
	#skippedGroups = 0;
	#skippedFrames = 0;
	#lastFrameAt: number | null = null;
	#window: Sample[] = [];
	// The smallest arrival-minus-timestamp seen this epoch: the best the path ever did, so the
	// latency reads as "how much later than its best" regardless of the publisher's clock base.
	#minOffset: number | undefined;
	#latency: number | null = null;
	// The newest media time seen this epoch: video frames come in decode order, so with B-frames
	// their own timestamps jump back and forth; the running maximum is the stream's media clock.
	#mediaEdgeUs: number | undefined;
	/** Media times (µs) of the last two group starts. */
	#groupStarts: number[] = [];

	constructor(name: string, kind: "video" | "audio") {
		this.#name = name;
		this.#kind = kind;
	}

	/** A new epoch has its own media clock: forget the offset (totals stay). */
	newEpoch(): void {
		this.#minOffset = undefined;
		this.#latency = null;
		this.#mediaEdgeUs = undefined;
		this.#groupStarts = [];
	}

	/** Counts a frame that arrived at `arrivalMs` carrying `timestampUs`. */
	frame(arrivalMs: number, timestampUs: number, bytes: number, groupStart: boolean): void {
		this.#frames++;
		this.#bytes += bytes;
		if (groupStart) {
			this.#groups++;
			this.#groupStarts.push(timestampUs);
			if (this.#groupStarts.length > 2) this.#groupStarts.shift();
		}
		this.#lastFrameAt = arrivalMs;
		this.#mediaEdgeUs = this.#mediaEdgeUs === undefined ? timestampUs : Math.max(this.#mediaEdgeUs, timestampUs);
		const offset = arrivalMs - this.#mediaEdgeUs / 1000;
		const firstOfEpoch = this.#minOffset === undefined;
		if (this.#minOffset === undefined || offset < this.#minOffset) this.#minOffset = offset;
		const latency = offset - this.#minOffset;
		const jitter = firstOfEpoch || this.#latency === null ? undefined : Math.abs(latency - this.#latency);
		this.#latency = latency;
		this.#window.push({ at: arrivalMs, bytes, groupStart, jitter });
		this.#trim(arrivalMs);
	}

	/** Counts a group (video) skipped because the renderer fell behind. */
	skippedGroup(): void {
		this.#skippedGroups++;
	}

	/** Counts a frame (audio) dropped because the renderer fell behind. */
	skippedFrame(): void {
		this.#skippedFrames++;
	}

	/** The track's numbers now. */
	stats(now = Date.now()): MonitorTrackStats {
		this.#trim(now);
		const w = this.#window;
		let bytes = 0;
		let max = 0;
		let groups = 0;
		let jitterSum = 0;
		let jitterCount = 0;
		for (const s of w) {
			bytes += s.bytes;
			if (s.bytes > max) max = s.bytes;
			if (s.groupStart) groups++;
			if (s.jitter !== undefined) {
				jitterSum += s.jitter;
				jitterCount++;
			}
		}
		const [prev, last] = this.#groupStarts;
		return {
			name: this.#name,
			kind: this.#kind,
			frames: this.#frames,
			bytes: this.#bytes,
			groups: this.#groups,
			bitrate: (bytes * 8 * 1000) / STATS_WINDOW_MS,
			fps: (w.length * 1000) / STATS_WINDOW_MS,
			groupRate: (groups * 1000) / STATS_WINDOW_MS,
			keyframeIntervalS: prev !== undefined && last !== undefined ? (last - prev) / 1_000_000 : null,
			frameBytesAvg: w.length > 0 ? bytes / w.length : 0,
			frameBytesMax: max,
			latencyMs: this.#latency,
			jitterMs: jitterCount > 0 ? jitterSum / jitterCount : this.#latency === null ? null : 0,
			skippedGroups: this.#skippedGroups,
			skippedFrames: this.#skippedFrames,
			lastFrameAt: this.#lastFrameAt,
		};
	}

	#trim(now: number): void {
		const from = now - STATS_WINDOW_MS;
		let drop = 0;
		while (drop < this.#window.length && (this.#window[drop] as Sample).at <= from) drop++;
		if (drop > 0) this.#window.splice(0, drop);
	}
}
