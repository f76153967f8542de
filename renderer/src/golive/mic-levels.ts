/**
 * The levels of Go Live's microphone, for a {@link Meter}: a worker meters a clone of whichever
 * capture track is current (the preview capture before going live, the live capture's own track
 * while live), so the streamer sees the microphone is live before and while going live. One
 * object for the panel's lifetime, so the meter keeps its peaks across a switch of track.
 */
import type { LevelSource } from "../monitor/Meter";
import type { ChannelLevel } from "../monitor/protocol";
import type { FromMicMeter, ToMicMeter } from "./mic-meter.worker";

/** Chromium's Insertable Streams processor; constructed on the main thread only (DESIGN.md §4). */
type TrackProcessor = new (init: { track: MediaStreamTrack }) => { readonly readable: ReadableStream<AudioData> };

/** Microphone levels, fed by a worker. */
export class MicLevels implements LevelSource {
	levels: ChannelLevel[] = [];
	levelsAt = 0;
	/** Called with a readable reason when metering fails (no processor in this browser, a read error). */
	onError: ((message: string) => void) | undefined;
	#worker: Worker | undefined;
	#track: MediaStreamTrack | undefined;
	#source: MediaStreamTrack | undefined;

	/**
	 * Meters `track` (cloned, so stopping it here never ends the caller's capture), or nothing.
	 * Setting the track already metered does nothing.
	 */
	setTrack(track: MediaStreamTrack | null): void {
		if (track === this.#source && track) return;
		this.#track?.stop();
		this.#track = undefined;
		this.#source = track ?? undefined;
		this.levels = [];
		if (!track) {
			this.#post({ type: "none" });
			return;
		}
		const ctor = (globalThis as unknown as { MediaStreamTrackProcessor?: TrackProcessor }).MediaStreamTrackProcessor;
		if (!ctor) {
			this.onError?.("this browser cannot read the microphone's samples (no MediaStreamTrackProcessor)");
			return;
		}
		const clone = track.clone();
		this.#track = clone;
		const { readable } = new ctor({ track: clone });
		// A ReadableStream reaches the worker only in the transfer list.
		this.#post({ type: "track", readable }, [readable as unknown as Transferable]);
	}

	#post(msg: ToMicMeter, transfer: Transferable[] = []): void {
		if (!this.#worker) {
			if (msg.type === "none") return;
			this.#worker = new Worker(new URL("./mic-meter.worker.ts", import.meta.url), { type: "module", name: "mic-meter" });
			this.#worker.onmessage = (ev: MessageEvent<FromMicMeter>) => {
				if (ev.data.type === "levels") {
					this.levels = ev.data.levels;
					this.levelsAt = performance.now();
				} else this.onError?.(ev.data.message);
			};
		}
		this.#worker.postMessage(msg, transfer);
	}

	/** Stops metering and the worker. */
	dispose(): void {
		this.#track?.stop();
		this.#track = undefined;
		this.#source = undefined;
		this.#worker?.terminate();
		this.#worker = undefined;
		this.levels = [];
	}
}
