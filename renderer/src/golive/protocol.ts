/**
 * Messages between the Go Live controller (main thread) and its encoder worker.
 */

/** Where a track's chunks go: the web host's media WebSocket, or an Electron MessagePort. */
export type SinkTarget = { kind: "websocket"; url: string } | { kind: "port"; port: MessagePort };

/** Main thread to worker. */
export type ToWorker =
	| {
			type: "start-video";
			/** A capture's frames (a transferred MediaStreamTrackProcessor readable); or `frames`. */
			readable?: ReadableStream<VideoFrame>;
			/** The compositor's program frames (compositor/frame-port.ts), instead of `readable` (issue 16). */
			frames?: MessagePort;
			config: VideoEncoderConfig;
			/** A keyframe every this many frames: one MoQ group per GOP. */
			keyframeInterval: number;
			/**
			 * The source's frame interval in microseconds, for a source that delivers frames at a
			 * steady rate (a camera) in a browser whose tracks have no statistics: gaps in capture
			 * timestamps then count frames the capture skipped. Absent otherwise (a screen delivers
			 * frames only when something changes; a slow camera leaves gaps it never filled).
			 */
			frameIntervalUs?: number;
			/**
			 * Simulcast (issue 16): further renditions encoded from the same frames, each by its own
			 * encoder in this worker (rendition-encoder.ts); rendition 0 is `config`, these 1, 2.
			 */
			renditions?: { config: VideoEncoderConfig; keyframeInterval: number }[];
	  }
	| { type: "start-audio"; readable: ReadableStream<AudioData>; config: AudioEncoderConfig }
	/** `rendition` (simulcast): which rendition's chunks go to `target`; absent for rendition 0. */
	| { type: "attach"; target: SinkTarget; rendition?: number }
	| { type: "bitrate"; bitrate: number; rendition?: number }
	| { type: "stop" };

/** Worker to main thread. */
export type FromWorker =
	/** The encoder's first output: what the catalog needs (avcC / OpusHead as hex). */
	| { type: "decoder-config"; codec: string; description?: string; codedWidth?: number; codedHeight?: number; sampleRate?: number; numberOfChannels?: number; rendition?: number }
	/**
	 * About once a second: every frame's fate, counted where it happens (see {@link PipelineStats});
	 * `rendition` names a simulcast rendition other than 0.
	 */
	| ({ type: "stats"; rendition?: number } & PipelineStats)
	| { type: "error"; message: string }
	| { type: "ended" };

/**
 * One track's counters from capture to the media channel. Every frame is counted where it ends,
 * so they add up (issue 14: frames lost on the way were counted nowhere and the panel said
 * "Dropped 0" while 18–20 of 30 fps reached the relay):
 *
 *     captured  = captureSkipped + read
 *     read      = repeated + encoderBusy + submitted
 *     submitted = encoded + encoderDropped + inEncoder        (video)
 *     encoded   = sent + dropped + pending
 *
 * Audio: a "frame" read is an AudioData buffer, nothing is skipped before the encoder, and Opus
 * re-frames its input, so only the last line holds.
 */
export interface PipelineStats {
	/**
	 * Frames the source delivered since the encoder was set up: read + captureSkipped. The worker
	 * cannot see the track; the controller fills this in from the track's own statistics
	 * (`MediaStreamTrack.stats`) when the browser has them.
	 */
	captured: number;
	/** Frames per second the source delivered, measured over the last few seconds. */
	capturedFps: number;
	/**
	 * Frames the capture discarded before the worker read them: a MediaStreamTrackProcessor keeps
	 * only the newest frame or so and drops the rest while its reader is busy, telling no one.
	 * From the track's statistics (delivered, less what the worker read); without them, from gaps in
	 * a steady source's timestamps (see `frameIntervalUs`).
	 */
	captureSkipped: number;
	/** Frames read from the capture. */
	read: number;
	/** Raw frames closed without encoding because the encoder was saturated (its queue was full). */
	encoderBusy: number;
	/** Raw frames closed without encoding because they repeated a capture time (a stalled source). */
	repeated: number;
	/** Frames handed to the encoder. */
	submitted: number;
	/** Frames waiting in the encoder's queue now (`encodeQueueSize`); more than 2 and frames are skipped. */
	encodeQueue: number;
	/** Frames handed to the encoder and not output yet (video; the queue included). */
	inEncoder: number;
	/**
	 * Frames the encoder took and never output (video): a realtime encoder may drop frames to keep
	 * up; seen as an output whose timestamp passes frames still waiting.
	 */
	encoderDropped: number;
	/** Chunks the encoder output. */
	encoded: number;
	/** Chunks sent to the engine. */
	sent: number;
	/** Chunks the sink dropped: congestion (skipping to the next keyframe), or a GOP replaced before the channel opened. */
	dropped: number;
	/** Chunks held for the channel to open. */
	pending: number;
	/** Payload bytes sent. */
	bytes: number;
	/** Sent and not yet acknowledged by the engine. */
	inflight: number;
	/** True while the sink skips to the next keyframe. */
	skipping: boolean;
	/** Chunks sent per second, measured over the last few seconds. */
	sentFps: number;
}
