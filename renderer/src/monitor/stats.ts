/**
 * A monitor's recent numbers, kept out of React: fixed-size ring buffers of the last
 * {@link HISTORY_SECONDS} seconds, sampled at each `monitor.state` event (about twice a second).
 * Charts and the stats table subscribe and redraw on their own; nothing here touches a store.
 */
import type { MonitorTrackStats } from "../../../shared/monitor";
import type { DecoderStats } from "./protocol";

/** How far back the graphs reach. */
export const HISTORY_SECONDS = 60;
/** Samples kept: the event rate is about 2 Hz; room for a faster engine. */
const CAPACITY = HISTORY_SECONDS * 4;

/** The series a history keeps. */
export const SERIES = ["videoKbps", "audioKbps", "fps", "latencyMs", "jitterMs", "paintDelayMs", "videoBufferedMs", "audioBufferedMs"] as const;
/** One of {@link SERIES}. */
export type SeriesKey = (typeof SERIES)[number];

/** The latest numbers of one monitor: the engine's per-track stats and the decode worker's counters. */
export interface MonitorSnapshot {
	at: number;
	tracks: MonitorTrackStats[];
	decoder: DecoderStats | null;
	/** Times the player replaced a silent decode worker (its counters start over each time). */
	restarts: number;
}

/** Ring buffers of one monitor's numbers, with change listeners. */
export class StatsHistory {
	#t = new Float64Array(CAPACITY);
	#series = new Map<SeriesKey, Float64Array>(SERIES.map((k) => [k, new Float64Array(CAPACITY).fill(NaN)]));
	#head = 0; // next write
	#length = 0;
	#listeners = new Set<() => void>();
	/** Bumped on every sample; a snapshot key for `useSyncExternalStore`. */
	version = 0;
	/** The newest sample's inputs, for the numbers table. */
	latest: MonitorSnapshot = { at: 0, tracks: [], decoder: null, restarts: 0 };

	/** Records one sample (ms since the epoch) and notifies the listeners. */
	push(snapshot: MonitorSnapshot): void {
		this.latest = snapshot;
		const video = snapshot.tracks.find((t) => t.kind === "video");
		const audio = snapshot.tracks.find((t) => t.kind === "audio");
		const values: Record<SeriesKey, number | null> = {
			videoKbps: video ? video.bitrate / 1000 : null,
			audioKbps: audio ? audio.bitrate / 1000 : null,
			fps: video ? video.fps : null,
			latencyMs: (video ?? audio)?.latencyMs ?? null,
			jitterMs: (video ?? audio)?.jitterMs ?? null,
			paintDelayMs: snapshot.decoder?.video.paintDelayAvgMs ?? null,
			videoBufferedMs: video && snapshot.decoder ? snapshot.decoder.video.bufferedMs : null,
			audioBufferedMs: audio && snapshot.decoder ? snapshot.decoder.audio.bufferedMs : null,
		};
		this.#t[this.#head] = snapshot.at / 1000;
		for (const [k, arr] of this.#series) arr[this.#head] = values[k] ?? NaN;
		this.#head = (this.#head + 1) % CAPACITY;
		this.#length = Math.min(CAPACITY, this.#length + 1);
		this.version++;
		for (const l of this.#listeners) l();
	}

	/**
	 * uPlot's data layout for `keys`: x in seconds, then one array per key, oldest first, limited
	 * to the last {@link HISTORY_SECONDS}; gaps (no such track) are null.
	 */
	columns(keys: readonly SeriesKey[]): [number[], ...(number | null)[][]] {
		const n = this.#length;
		const start = (this.#head - n + CAPACITY) % CAPACITY;
		const newest = n > 0 ? this.#t[(this.#head - 1 + CAPACITY) % CAPACITY]! : 0;
		const xs: number[] = [];
		const ys: (number | null)[][] = keys.map(() => []);
		for (let i = 0; i < n; i++) {
			const j = (start + i) % CAPACITY;
			const t = this.#t[j]!;
			if (t < newest - HISTORY_SECONDS) continue;
			xs.push(t);
			keys.forEach((k, s) => {
				const v = this.#series.get(k)![j]!;
				ys[s]!.push(Number.isNaN(v) ? null : v);
			});
		}
		return [xs, ...ys];
	}

	/** Calls `listener` after every sample; returns the unsubscribe function. */
	subscribe = (listener: () => void): (() => void) => {
		this.#listeners.add(listener);
		return () => void this.#listeners.delete(listener);
	};

	/** The current version (for `useSyncExternalStore`). */
	snapshot = (): number => this.version;
}
