/**
 * Go Live's audio mixer graph (issue 16): one AudioContext at 48 kHz, each source's capture
 * stream on its own input of the mixer worklet, and the worklet's stereo program on a
 * MediaStreamAudioDestinationNode whose track feeds the Opus encoder like a microphone's would.
 * Levels reach the meters as plain fields ({@link LevelSource}), never through React.
 */
import type { LevelSource } from "../../monitor/Meter";
import type { ChannelLevel } from "../../monitor/protocol";
import workletUrl from "./mixer.worklet.ts?worker&url";
import {
	MAX_MIXER_INPUTS,
	PROGRAM_CHANNELS,
	PROGRAM_SAMPLE_RATE,
	REMOTE_INPUT_PROCESSOR,
	type FromMixerWorklet,
	type InputFader,
	type RemoteInputOptions,
	type ToMixerWorklet,
} from "./protocol";

/** Levels a meter reads; overwritten by the worklet's reports. */
export class Levels implements LevelSource {
	levels: ChannelLevel[] = [];
	levelsAt = 0;
}

/** A fader as the UI holds it: gain in dB. */
export interface Fader {
	gainDb: number;
	muted: boolean;
	solo: boolean;
}

/** dB to a linear factor. */
export function dbToGain(db: number): number {
	return Math.pow(10, db / 20);
}

/** The running mixer. Build with {@link AudioMixer.create}. */
export class AudioMixer {
	/** The program's levels (what is encoded). */
	readonly program = new Levels();
	/** Called when the audio thread starts or stops ({@link AudioMixer.running}). */
	onStateChange: (() => void) | undefined;
	readonly #ctx: AudioContext;
	readonly #node: AudioWorkletNode;
	readonly #destination: MediaStreamAudioDestinationNode;
	/** Per source id: its input, its graph node, and its levels. */
	readonly #inputs = new Map<string, { input: number; node: AudioNode; levels: Levels; fader: Fader }>();

	private constructor(ctx: AudioContext, node: AudioWorkletNode) {
		this.#ctx = ctx;
		this.#node = node;
		this.#destination = ctx.createMediaStreamDestination();
		this.#destination.channelCount = PROGRAM_CHANNELS;
		node.connect(this.#destination);
		ctx.addEventListener("statechange", () => this.onStateChange?.());
		node.port.onmessage = (ev: MessageEvent<FromMixerWorklet>) => {
			const now = performance.now();
			for (const entry of this.#inputs.values()) {
				entry.levels.levels = ev.data.inputs[entry.input] ?? [];
				entry.levels.levelsAt = now;
			}
			this.program.levels = ev.data.program;
			this.program.levelsAt = now;
		};
	}

	/** Builds the graph; rejects when the browser has no AudioWorklet or the module fails to load. */
	static async create(): Promise<AudioMixer> {
		const ctx = new AudioContext({ sampleRate: PROGRAM_SAMPLE_RATE, latencyHint: "interactive" });
		try {
			await ctx.audioWorklet.addModule(workletUrl);
			const node = new AudioWorkletNode(ctx, "moq-golive-mixer", {
				numberOfInputs: MAX_MIXER_INPUTS,
				numberOfOutputs: 1,
				outputChannelCount: [PROGRAM_CHANNELS],
				// Each input keeps its own channel count (mono stays mono; the worklet spreads it).
				channelCountMode: "max",
			});
			return new AudioMixer(ctx, node);
		} catch (err) {
			void ctx.close();
			throw err;
		}
	}

	/** True while the audio thread runs; the autoplay rules hold a context suspended until a user gesture. */
	get running(): boolean {
		return this.#ctx.state === "running";
	}

	/** Starts the audio thread (call from a user gesture: a click, a key). */
	resume(): Promise<void> {
		return this.#ctx.resume();
	}

	/**
	 * Mixes `stream`'s audio as source `id` (replacing what `id` mixed before) with `fader`;
	 * returns its levels. Throws when all {@link MAX_MIXER_INPUTS} inputs are taken.
	 */
	setSource(id: string, stream: MediaStream, fader: Fader): Levels {
		return this.#connect(id, () => this.#ctx.createMediaStreamSource(stream), fader);
	}

	/**
	 * Mixes a remote source's decoded PCM as source `id` (replacing what `id` mixed before): a
	 * node in this context plays what arrives on the returned port (the monitor's `ToWorklet`
	 * messages, planar float samples at `format.sampleRate`, resampled to the mix). Hand the port
	 * to the decode worker (`audio-port`). Throws like {@link setSource}.
	 */
	setRemoteSource(id: string, format: { sampleRate: number; channels: number }, fader: Fader): { levels: Levels; port: MessagePort } {
		const { port1, port2 } = new MessageChannel();
		const levels = this.#connect(
			id,
			() => {
				const node = new AudioWorkletNode(this.#ctx, REMOTE_INPUT_PROCESSOR, {
					numberOfInputs: 0,
					numberOfOutputs: 1,
					outputChannelCount: [Math.min(PROGRAM_CHANNELS, Math.max(1, format.channels))],
					processorOptions: { sourceRate: format.sampleRate } satisfies RemoteInputOptions,
				});
				node.port.postMessage({ port: port1 }, [port1]);
				return node;
			},
			fader,
		);
		return { levels, port: port2 };
	}

	#connect(id: string, make: () => AudioNode, fader: Fader): Levels {
		const old = this.#inputs.get(id);
		const used = new Set([...this.#inputs.values()].filter((e) => e !== old).map((e) => e.input));
		const input = old?.input ?? Array.from({ length: MAX_MIXER_INPUTS }, (_, i) => i).find((i) => !used.has(i));
		if (input === undefined) throw new Error(`the mixer takes at most ${MAX_MIXER_INPUTS} sources`);
		old?.node.disconnect();
		const node = make();
		node.connect(this.#node, 0, input);
		const levels = old?.levels ?? new Levels();
		this.#inputs.set(id, { input, node, levels, fader });
		this.#sendFaders();
		return levels;
	}

	/** Stops mixing source `id` (its capture is the caller's to stop). */
	removeSource(id: string): void {
		const entry = this.#inputs.get(id);
		if (!entry) return;
		entry.node.disconnect();
		entry.levels.levels = [];
		this.#inputs.delete(id);
		this.#sendFaders();
	}

	/** Changes source `id`'s fader; takes effect within one render quantum (about 3 ms). */
	setFader(id: string, fader: Fader): void {
		const entry = this.#inputs.get(id);
		if (!entry) return;
		entry.fader = fader;
		this.#sendFaders();
	}

	/**
	 * A new track of the program, for an encoder. The caller owns it and stops it when done:
	 * stopping it ends nothing else (see {@link AudioMixer.outputsInUse}).
	 */
	programTrack(): MediaStreamTrack {
		const track = this.#destination.stream.getAudioTracks()[0]!.clone();
		this.#handedOut.add(track);
		return track;
	}

	readonly #handedOut = new Set<MediaStreamTrack>();

	/** True while a track from {@link programTrack} is not stopped yet (a broadcast is using the mix). */
	get outputsInUse(): boolean {
		for (const t of this.#handedOut) if (t.readyState === "ended") this.#handedOut.delete(t);
		return this.#handedOut.size > 0;
	}

	/** Closes the graph (and the tracks handed out, which end). */
	close(): void {
		for (const e of this.#inputs.values()) e.node.disconnect();
		this.#inputs.clear();
		for (const t of this.#handedOut) t.stop();
		this.#handedOut.clear();
		void this.#ctx.close().catch(() => {});
	}

	#sendFaders(): void {
		const faders: InputFader[] = [...this.#inputs.values()].map((e) => ({ input: e.input, gain: dbToGain(e.fader.gainDb), muted: e.fader.muted, solo: e.fader.solo }));
		this.#node.port.postMessage({ type: "faders", faders } satisfies ToMixerWorklet);
	}
}
