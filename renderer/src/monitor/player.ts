/**
 * A monitor's player on the main thread: owns the tile's canvas (created here, not by React, so
 * it can be transferred to the decode worker exactly once and survive the view being left and
 * reopened), the decode worker, and the audio graph (an AudioWorklet behind a gain for mute and
 * volume). Levels and decoder counters land in plain fields that the meter and the stats read on
 * their own schedule; nothing here re-renders React.
 */
import { mediaTarget, targetTransfer } from "../golive/targets";
import workletUrl from "./audio.worklet.ts?worker&url";
import type { ChannelLevel, DecoderStats, FromDecoder, ToDecoder } from "./protocol";

/**
 * A decode worker silent this long (it reports every 500 ms) while its channel is attached and
 * the page visible is taken for hung and replaced.
 */
export const WORKER_SILENT_MS = 4000;

/** What a player tells its owner. */
export interface PlayerEvents {
	onError(message: string): void;
	onClosed(reason: string): void;
}

/** One monitor's decoding and playback. */
export class MonitorPlayer {
	/**
	 * The tile's canvas; a view appends it where the picture goes. It is replaced in place (same
	 * attributes, same parent) when a silent worker is restarted, so read it, do not keep it.
	 */
	get canvas(): HTMLCanvasElement {
		return this.#canvas;
	}
	/** Times the decode worker went silent and was replaced (see {@link WORKER_SILENT_MS}). */
	restarts = 0;
	/** The newest levels per channel (dBFS) and when they came (performance.now()); empty without audio. */
	levels: ChannelLevel[] = [];
	levelsAt = 0;
	/** The decode worker's newest counters, or null before its first report. */
	decoder: DecoderStats | null = null;
	/** Whether the audio is heard; it starts muted (autoplay rules, and a wall of tiles). */
	muted = true;
	volume = 1;
	#canvas: HTMLCanvasElement;
	#worker!: Worker;
	#events: PlayerEvents;
	/** The media channel the worker reads, once attached: a restarted worker opens it again. */
	#channel: string | undefined;
	/** performance.now() of the worker's last counters. */
	#heardAt = performance.now();
	/** Whether the current worker has reported at all: one still loading is not hung. */
	#reported = false;
	#watchdog: ReturnType<typeof setInterval>;
	/** The tile's shown size, replayed to a restarted worker. */
	#shown: { width: number; height: number } | undefined;
	#visible = true;
	#audio: { ctx: AudioContext; gain: GainNode } | undefined;
	#audioSetup: Promise<void> = Promise.resolve();
	/** The stream's audio format once the worker announced it. */
	#format: { sampleRate: number; channels: number } | undefined;
	#disposed = false;

	constructor(events: PlayerEvents) {
		this.#events = events;
		this.#canvas = document.createElement("canvas");
		this.#canvas.className = "monitor-canvas";
		this.#canvas.width = 320;
		this.#canvas.height = 180;
		// A 720p picture in a 360 px tile painted at 720p costs the GPU process four times the
		// pixels for nothing (bench/monitor-tiles): the worker paints at the size shown.
		this.#resize = new ResizeObserver(([entry]) => {
			if (!entry) return;
			const ratio = window.devicePixelRatio || 1;
			this.#shown = { width: Math.round(entry.contentRect.width * ratio), height: Math.round(entry.contentRect.height * ratio) };
			this.#post({ type: "size", ...this.#shown });
		});
		this.#resize.observe(this.#canvas);
		this.#startWorker();
		this.#watchdog = setInterval(() => this.#checkWorker(), WORKER_SILENT_MS / 4);
	}

	readonly #resize: ResizeObserver;

	#startWorker(): void {
		this.#worker = new Worker(new URL("./decode.worker.ts", import.meta.url), { type: "module", name: "monitor-decoder" });
		this.#worker.onmessage = (ev: MessageEvent<FromDecoder>) => this.#onWorker(ev.data);
		this.#worker.onerror = (ev) => this.#events.onError(`monitor decoder: ${ev.message || "the worker failed to load"}`);
		this.#heardAt = performance.now();
		this.#reported = false;
		const offscreen = this.#canvas.transferControlToOffscreen();
		this.#post({ type: "canvas", canvas: offscreen }, [offscreen]);
		if (this.#shown) this.#post({ type: "size", ...this.#shown });
		if (!this.#visible) this.#post({ type: "visible", visible: false });
	}

	/**
	 * Replaces a decode worker that stopped reporting while its channel is attached. Seen in the
	 * full test suite (issue 10): a worker's counters froze while the engine kept sending; nothing
	 * inside a thread that no longer runs can recover it, so the page does. The canvas was
	 * transferred to the old worker for good, so a fresh one takes its place in the DOM.
	 */
	#checkWorker(): void {
		const now = performance.now();
		// A hidden page may get its timers and messages throttled: silence then means nothing.
		if (document.visibilityState !== "visible" || this.#channel === undefined || !this.#reported) {
			this.#heardAt = now;
			return;
		}
		if (now - this.#heardAt < WORKER_SILENT_MS) return;
		this.restarts++;
		this.#events.onError(`monitor decoder: no report for ${Math.round((now - this.#heardAt) / 1000)} s, restarted`);
		this.#worker.terminate();
		const old = this.#canvas;
		const fresh = document.createElement("canvas");
		for (const attr of Array.from(old.attributes)) fresh.setAttribute(attr.name, attr.value);
		this.#resize.unobserve(old);
		old.replaceWith(fresh);
		this.#canvas = fresh;
		this.#resize.observe(fresh);
		this.#startWorker();
		// The new worker announces the audio format again and gets a port to a rebuilt graph then.
		this.#format = undefined;
		this.decoder = null;
		void this.attach(this.#channel);
	}

	#post(msg: ToDecoder, transfer: Transferable[] = []): void {
		this.#worker.postMessage(msg, transfer);
	}

	/** Opens the media channel `channel` (from `monitor.open`) in the worker. */
	async attach(channel: string): Promise<void> {
		this.#channel = channel;
		const target = await mediaTarget(channel);
		if (this.#disposed) {
			if (target.kind === "port") target.port.close();
			return;
		}
		// A MessagePort can reach the worker only in the transfer list (a copy throws DataCloneError).
		this.#post({ type: "attach", target }, targetTransfer(target));
	}

	#onWorker(msg: FromDecoder): void {
		switch (msg.type) {
			case "levels":
				this.levels = msg.levels;
				this.levelsAt = performance.now();
				break;
			case "stats":
				this.#heardAt = performance.now();
				this.#reported = true;
				this.decoder = msg.stats;
				break;
			case "audio-format":
				this.#format = { sampleRate: msg.sampleRate, channels: msg.channels };
				// A muted tile gets no audio graph at all (metering is the worker's): a wall of 16
				// costs no audio context until one is heard. A heard one follows the new format.
				if (!this.muted || this.#audio) this.#rebuildAudio();
				break;
			case "error":
				this.#events.onError(msg.message);
				break;
			case "closed":
				this.#events.onClosed(msg.reason);
				break;
		}
	}

	#rebuildAudio(): void {
		const format = this.#format;
		if (!format) return;
		this.#audioSetup = this.#audioSetup.then(() => this.#buildAudio(format.sampleRate, format.channels)).catch((err: unknown) => {
			this.#events.onError(`monitor audio: ${err instanceof Error ? err.message : String(err)}`);
		});
	}

	/** Builds the audio graph for a format: context at the stream's rate, worklet, gain; hands the worker a port to the worklet. */
	async #buildAudio(sampleRate: number, channels: number): Promise<void> {
		await this.#audio?.ctx.close().catch(() => {});
		this.#audio = undefined;
		if (this.#disposed) return;
		const ctx = new AudioContext({ sampleRate, latencyHint: "interactive" });
		await ctx.audioWorklet.addModule(workletUrl);
		if (this.#disposed) {
			void ctx.close();
			return;
		}
		const node = new AudioWorkletNode(ctx, "moq-monitor-audio", { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [Math.min(2, Math.max(1, channels))] });
		const gain = ctx.createGain();
		gain.gain.value = this.muted ? 0 : this.volume;
		node.connect(gain).connect(ctx.destination);
		this.#audio = { ctx, gain };
		let connected = false;
		const connect = () => {
			if (connected || this.#audio?.ctx !== ctx) return;
			connected = true;
			const { port1, port2 } = new MessageChannel();
			node.port.postMessage({ port: port1 }, [port1]);
			this.#post({ type: "audio-port", port: port2 }, [port2]);
		};
		// Samples go to the worklet only once it runs: a context the autoplay rules hold suspended
		// would queue them on its port without bound. Until then the worker only meters.
		if (ctx.state === "running") connect();
		else ctx.addEventListener("statechange", () => ctx.state === "running" && connect());
		// A muted tile's context is suspended: on a wall of 16 only the soloed tile runs an audio
		// rendering thread (metering is the decode worker's and goes on regardless).
		if (this.muted) await ctx.suspend().catch(() => {});
		else await ctx.resume().catch(() => {});
	}

	/**
	 * Mutes or unmutes; unmuting (a user gesture) also starts a context the autoplay rules held,
	 * muting suspends it (no audio thread for a muted tile).
	 */
	setMuted(muted: boolean): void {
		if (muted === this.muted) return;
		this.muted = muted;
		this.#applyGain();
		const audio = this.#audio;
		if (!audio) {
			// First heard: the graph is built now, inside the user's gesture that unmuted.
			if (!muted) this.#rebuildAudio();
			return;
		}
		if (!muted) void audio.ctx.resume().catch(() => {});
		else {
			// Suspended after the gain ramp, so muting does not click.
			setTimeout(() => {
				if (this.muted && this.#audio === audio) void audio.ctx.suspend().catch(() => {});
			}, 100);
		}
	}

	/** Sets the volume, 0 to 1 (applies when unmuted). */
	setVolume(volume: number): void {
		this.volume = Math.min(1, Math.max(0, volume));
		this.#applyGain();
	}

	#applyGain(): void {
		const a = this.#audio;
		if (!a) return;
		// A short ramp: a jump in gain clicks.
		a.gain.gain.setTargetAtTime(this.muted ? 0 : this.volume, a.ctx.currentTime, 0.015);
	}

	/** Stops painting (decoding goes on, so the picture is current when it shows again). */
	setVisible(visible: boolean): void {
		this.#visible = visible;
		this.#post({ type: "visible", visible });
	}

	/** Stops everything; the player is unusable afterwards. */
	dispose(): void {
		if (this.#disposed) return;
		this.#disposed = true;
		clearInterval(this.#watchdog);
		this.#resize.disconnect();
		this.#post({ type: "stop" });
		// Give the worker a moment to close its decoders and channel cleanly.
		setTimeout(() => this.#worker.terminate(), 200);
		void this.#audio?.ctx.close().catch(() => {});
		this.#audio = undefined;
		this.#canvas.remove();
	}
}
