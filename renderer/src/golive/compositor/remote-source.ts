/**
 * A scene source the engine sends (issue 16): an announced MoQ broadcast (`monitor.open`) or a
 * media file of the recordings folder (`playback.open`, started over at its end). Both arrive on a
 * media channel in the monitor's wire format and are decoded by the monitor's own decode worker,
 * which hands every decoded picture to a port the compositor worker reads; nothing here decodes.
 *
 * The engine keeps following the broadcast: not announced yet, ended, or back again, the same
 * monitor resumes on its own. This class reports those states, and reopens everything (a fresh
 * worker, channel and port) only when the engine closed the monitor or the channel dropped.
 */
import type { MonitorInfo } from "../../../../shared/monitor";
import type { PlaybackInfo } from "../../../../shared/playback";
import type { LayerSource } from "../../../../shared/scenes";
// A decode worker silent this long is replaced, as the Monitor's player does: a worker thread that stopped cannot recover itself.
import { WORKER_SILENT_MS } from "../../monitor/player";
import type { FromDecoder, ToDecoder } from "../../monitor/protocol";
import { requireApi } from "../../stores/host";
import { addRemoteAudio } from "../mixer/store";
import { mediaTarget, targetTransfer } from "../targets";
import { liveSourceKey } from "./source-key";

/** A source the engine sends. */
export type RemoteLayerSource = LayerSource & { kind: "broadcast" | "file" };

/**
 * Where a remote source stands: `opening`; a broadcast's monitor states (`waiting` to be
 * announced, `live`, `stalled`, `ended` and waiting to come back, `failed`); a file `playing`;
 * `reopening` after its channel dropped.
 */
export type RemoteSourceState = "opening" | "waiting" | "live" | "stalled" | "ended" | "failed" | "playing" | "reopening";

/** States in which the source's layers draw nothing (there is no current picture). */
export const BLANK_STATES: ReadonlySet<RemoteSourceState> = new Set(["waiting", "ended", "failed"]);

/** What a {@link RemoteSource} tells the program. */
export interface RemoteSourceEvents {
	/** A fresh port of decoded frames for the compositor (after each (re)open). */
	onPort(port: MessagePort): void;
	/** The state changed; `problem` is a sentence for the user, or null when all is well. */
	onState(state: RemoteSourceState, problem: string | null): void;
}

/** Delay before reopening a source whose channel or monitor closed under it. */
const REOPEN_MS = 1000;

/** One remote source, from `open()` to `close()`. */
export class RemoteSource {
	readonly source: RemoteLayerSource;
	state: RemoteSourceState = "opening";
	problem: string | null = null;
	#events: RemoteSourceEvents;
	#worker: Worker | undefined;
	/** The engine's monitor or playback id of the current run. */
	#id: string | undefined;
	#off: (() => void) | undefined;
	#reopen: ReturnType<typeof setTimeout> | undefined;
	/** performance.now() of the current worker's last report, or undefined before its first. */
	#heardAt: number | undefined;
	#watchdog: ReturnType<typeof setInterval> | undefined;
	/** Takes the current run's sound out of the audio mixer (its strip goes). */
	#releaseAudio: (() => void) | undefined;
	#closed = false;

	constructor(source: RemoteLayerSource, events: RemoteSourceEvents) {
		this.source = source;
		this.#events = events;
	}

	/** What the user calls this source in a problem sentence. */
	get label(): string {
		return this.source.kind === "broadcast" ? this.source.path : this.source.name;
	}

	#set(state: RemoteSourceState, problem: string | null): void {
		if (state === this.state && problem === this.problem) return;
		this.state = state;
		this.problem = problem;
		this.#events.onState(state, problem);
	}

	/** Starts following the source; problems are reported through `onState`, never thrown. */
	async open(): Promise<void> {
		if (this.#closed) return;
		this.#watchdog ??= setInterval(() => this.#checkWorker(), WORKER_SILENT_MS / 4);
		const worker = new Worker(new URL("../../monitor/decode.worker.ts", import.meta.url), { type: "module", name: "scene-source-decoder" });
		this.#worker = worker;
		const post = (msg: ToDecoder, transfer: Transferable[] = []) => worker.postMessage(msg, transfer);
		this.#heardAt = undefined;
		worker.onmessage = (ev: MessageEvent<FromDecoder>) => {
			const msg = ev.data;
			if (msg.type === "stats") this.#heardAt = performance.now();
			else if (msg.type === "audio-format" && this.#worker === worker) this.#offerAudio(worker, msg.sampleRate, msg.channels);
			else if (msg.type === "error") console.warn(`scene source ${this.label}: ${msg.message}`);
			else if (msg.type === "closed" && this.#worker === worker) this.#scheduleReopen(`the media channel of ${this.label} closed (${msg.reason})`);
		};
		worker.onerror = (ev) => this.#set("failed", `${this.label}: ${ev.message || "the decoder failed to load"}`);
		// No canvas: the worker decodes, its pictures go to the compositor and its sound to the
		// audio mixer (a strip, see #offerAudio), never to the speakers.
		const { port1, port2 } = new MessageChannel();
		post({ type: "frames", port: port1 }, [port1]);
		this.#events.onPort(port2);
		try {
			const channel = this.source.kind === "broadcast" ? await this.#openBroadcast(this.source) : await this.#openFile(this.source);
			if (this.#closed || this.#worker !== worker) return;
			const target = await mediaTarget(channel);
			if (this.#closed || this.#worker !== worker) {
				if (target.kind === "port") target.port.close();
				return;
			}
			post({ type: "attach", target }, targetTransfer(target));
		} catch (err) {
			if (this.#closed || this.#worker !== worker) return;
			this.#set("failed", `${this.label}: ${err instanceof Error ? err.message : String(err)}`);
			this.#scheduleReopen(null, 5 * REOPEN_MS);
		}
	}

	async #openBroadcast(source: RemoteLayerSource & { kind: "broadcast" }): Promise<string> {
		const api = requireApi();
		this.#off?.();
		this.#off = api.on("monitor.state", (info) => info.id === this.#id && this.#onMonitor(info));
		// Pictures and the engine's pick of audio rendition: the guest's sound is a mixer strip.
		const info = await api.invoke("monitor.open", { originId: source.originId, path: source.path });
		this.#id = info.id;
		if (this.#closed) {
			this.#release();
			return info.channel;
		}
		this.#onMonitor(info);
		return info.channel;
	}

	#onMonitor(info: MonitorInfo): void {
		if (info.closed) return this.#scheduleReopen(`${this.label} stopped being followed`);
		const name = this.label;
		switch (info.state) {
			case "live":
				return this.#set("live", null);
			case "waiting":
				return this.#set("waiting", `${name} is not announced; it shows once it is`);
			case "stalled":
				return this.#set("stalled", `${name} stalled (no frame for a while)`);
			case "ended":
				return this.#set("ended", `${name} ended; it shows again once it is announced`);
			case "failed":
				return this.#set("failed", `${name}: ${info.error?.message ?? "cannot be played"}`);
		}
	}

	async #openFile(source: RemoteLayerSource & { kind: "file" }): Promise<string> {
		const api = requireApi();
		this.#off?.();
		this.#off = api.on("playback.state", (info) => info.id === this.#id && this.#onPlayback(info));
		const info = await api.invoke("playback.open", { name: source.name });
		this.#id = info.id;
		if (this.#closed) {
			this.#release();
			return info.channel;
		}
		this.#onPlayback(info);
		return info.channel;
	}

	#onPlayback(info: PlaybackInfo): void {
		if (info.closed) return this.#scheduleReopen(`${this.label} stopped playing`);
		switch (info.state) {
			case "playing":
				return this.#set("playing", null);
			case "paused":
			case "ended":
				// Looped: at its end (or if something paused it) it starts over from the beginning.
				void requireApi()
					.invoke("playback.control", { id: info.id, playing: true })
					.catch((err: unknown) => this.#set("failed", `${this.label}: ${err instanceof Error ? err.message : String(err)}`));
				return;
			case "failed":
				return this.#set("failed", `${this.label}: ${info.error?.message ?? "cannot be read"}`);
		}
	}

	/** Replaces a worker that reported once and then went silent (a hidden page's throttling excepted). */
	#checkWorker(): void {
		const heard = this.#heardAt;
		if (heard === undefined || this.#reopen || document.visibilityState !== "visible") {
			if (heard !== undefined) this.#heardAt = performance.now();
			return;
		}
		const silent = performance.now() - heard;
		if (silent >= WORKER_SILENT_MS) this.#scheduleReopen(`the decoder of ${this.label} stopped reporting; restarted`, 0);
	}

	/** Tears the current run down and opens a fresh one shortly (unless closed meanwhile). */
	#scheduleReopen(problem: string | null, delay = REOPEN_MS): void {
		if (this.#closed || this.#reopen) return;
		this.#release();
		if (problem) this.#set("reopening", problem);
		this.#reopen = setTimeout(() => {
			this.#reopen = undefined;
			void this.open();
		}, delay);
	}

	/**
	 * The decode worker found the source's audio (or a new format of it): it becomes a strip of
	 * the audio mixer, which sends the worker the port of the mixer input that plays it.
	 */
	#offerAudio(worker: Worker, sampleRate: number, channels: number): void {
		const key = liveSourceKey(this.source);
		if (!key || this.#closed) return;
		this.#releaseAudio?.();
		this.#releaseAudio = addRemoteAudio({
			key,
			label: this.label,
			sampleRate,
			channels,
			attach: (port) => {
				if (this.#worker === worker) worker.postMessage({ type: "audio-port", port } satisfies ToDecoder, [port]);
				else port.close();
			},
		});
	}

	/** Closes the engine's side and the worker of the current run. */
	#release(): void {
		this.#releaseAudio?.();
		this.#releaseAudio = undefined;
		this.#off?.();
		this.#off = undefined;
		const id = this.#id;
		this.#id = undefined;
		if (id) {
			const method = this.source.kind === "broadcast" ? "monitor.close" : "playback.close";
			void requireApi()
				.invoke(method, { id })
				.catch(() => undefined);
		}
		const worker = this.#worker;
		this.#worker = undefined;
		if (worker) {
			worker.postMessage({ type: "stop" } satisfies ToDecoder);
			// A moment to close its decoders and channel cleanly.
			setTimeout(() => worker.terminate(), 200);
		}
	}

	/** Stops following the source; the engine releases the subscription or playback. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		clearTimeout(this.#reopen);
		clearInterval(this.#watchdog);
		this.#release();
	}
}
