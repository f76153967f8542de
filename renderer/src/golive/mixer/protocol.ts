/**
 * Messages between Go Live's audio mixer (main thread, `mixer.ts`) and its AudioWorklet
 * (`mixer.worklet.ts`), and the mixer's limits (issue 16).
 */
import type { ChannelLevel } from "../../monitor/protocol";

/** The most sources one mix takes: the worklet node's inputs, fixed when it is built. */
export const MAX_MIXER_INPUTS = 8;
/** The program's channels: stereo (a mono source plays in both). */
export const PROGRAM_CHANNELS = 2;
/** The program's sample rate: Opus's. */
export const PROGRAM_SAMPLE_RATE = 48_000;

/** One input's fader: linear gain, mute and solo. */
export interface InputFader {
	/** The worklet input the source is connected to, 0..{@link MAX_MIXER_INPUTS}-1. */
	input: number;
	/** Linear gain (1 = 0 dB). */
	gain: number;
	muted: boolean;
	solo: boolean;
}

/** Main thread to worklet: the faders of every connected input (inputs not listed are silent). */
export type ToMixerWorklet = { type: "faders"; faders: InputFader[] };

/** Worklet to main thread, about 20 times a second. */
export type FromMixerWorklet = {
	type: "levels";
	/**
	 * Per input (index = worklet input), peak and RMS per channel after its gain and before its
	 * mute (a muted microphone still shows it is live); empty for an unconnected input.
	 */
	inputs: ChannelLevel[][];
	/** The program: what is encoded. */
	program: ChannelLevel[];
};

/**
 * The processor (registered by `mixer.worklet.ts`, in the mixer's context) that plays a remote
 * source's decoded PCM into a mixer input: the monitor's decode worker sends it planar samples
 * on a port (the monitor's `ToWorklet` messages), at the stream's own rate, which it resamples
 * to the mixer's.
 */
export const REMOTE_INPUT_PROCESSOR = "moq-mixer-remote-input";

/** Options of a {@link REMOTE_INPUT_PROCESSOR} node. */
export interface RemoteInputOptions {
	/** The sample rate of the PCM the decode worker sends. */
	sourceRate: number;
}
