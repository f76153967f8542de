/**
 * Messages between a monitor's player (main thread), its decode worker and its audio worklet.
 */
import type { SinkTarget } from "../golive/protocol";

/** Main thread to the decode worker. */
export type ToDecoder =
	/** The tile's canvas, transferred; the worker paints on it from now on. */
	| { type: "canvas"; canvas: OffscreenCanvas }
	/** The media channel to read (a MessagePort must be in the transfer list). */
	| { type: "attach"; target: SinkTarget }
	/** Where decoded audio goes: a port whose other end the audio worklet holds. */
	| { type: "audio-port"; port: MessagePort }
	/** False while the tile is off-screen or the page hidden: decode but do not paint. */
	| { type: "visible"; visible: boolean }
	/** The tile's displayed size in device pixels: pictures are painted no larger (0 = unknown). */
	| { type: "size"; width: number; height: number }
	/**
	 * Also hand every decoded video frame (a clone, transferred) to `port`, or stop (null): how a
	 * scene's compositor takes a broadcast's pictures from this decoder (no second decoder).
	 */
	| { type: "frames"; port: MessagePort | null }
	| { type: "stop" };

/** Peak and RMS of one audio channel over the last meter window, in dBFS (-Infinity for silence). */
export interface ChannelLevel {
	peakDb: number;
	rmsDb: number;
}

/** What the decode worker counts, per kind of track. */
export interface DecoderTrackStats {
	/** Frames out of the decoder (video: decoded, audio: AudioData buffers). */
	decoded: number;
	/** Decoder errors and chunks refused (each makes the decoder wait for the next keyframe). */
	errors: number;
	/** Frames dropped while waiting for a keyframe after a reset. */
	waitedOut: number;
	/**
	 * Media buffered after the channel: video, between the newest frame received and the one on
	 * screen; audio, queued in the worklet. Milliseconds.
	 */
	bufferedMs: number;
}

/** Counters the decode worker sends about twice a second. */
export interface DecoderStats {
	video: DecoderTrackStats & {
		/**
		 * Times the player skipped to the next keyframe because decoding fell more than
		 * MAX_VIDEO_LAG_MS behind what arrived (the frames dropped count in `waitedOut`).
		 */
		skipped: number;
		painted: number;
		/** Engine arrival to paint, ms, the latest and the mean since the last report; null before a paint. */
		paintDelayMs: number | null;
		paintDelayAvgMs: number | null;
		width: number;
		height: number;
	};
	audio: DecoderTrackStats;
	/** Messages taken from the channel. */
	messages: number;
	/** The epoch of the config in use, or null before the first. */
	epoch: number | null;
}

/** Decode worker to main thread. */
export type FromDecoder =
	/** The audio format changed: the main thread (re)builds the audio graph and sends a port. */
	| { type: "audio-format"; sampleRate: number; channels: number }
	| { type: "levels"; levels: ChannelLevel[] }
	| { type: "stats"; stats: DecoderStats }
	| { type: "error"; message: string }
	/** The media channel closed (the monitor was closed, or the engine went away). */
	| { type: "closed"; reason: string };

/** Decode worker to the audio worklet (on the port). */
export type ToWorklet =
	/** Planar samples, one Float32Array per channel (transferred). */
	| { type: "samples"; planes: Float32Array[] }
	/** Drop what is queued (a discontinuity or a new format). */
	| { type: "flush" };

/** Audio worklet to the decode worker (on the port), about ten times a second. */
export type FromWorklet = { type: "buffered"; frames: number; underruns: number };
