/**
 * Messages between the Go Live controller (main thread) and its encoder worker.
 */

/** Where a track's chunks go: the web host's media WebSocket, or an Electron MessagePort. */
export type SinkTarget = { kind: "websocket"; url: string } | { kind: "port"; port: MessagePort };

/** Main thread to worker. */
export type ToWorker =
	| {
			type: "start-video";
			readable: ReadableStream<VideoFrame>;
			config: VideoEncoderConfig;
			/** A keyframe every this many frames: one MoQ group per GOP. */
			keyframeInterval: number;
	  }
	| { type: "start-audio"; readable: ReadableStream<AudioData>; config: AudioEncoderConfig }
	| { type: "attach"; target: SinkTarget }
	| { type: "bitrate"; bitrate: number }
	| { type: "stop" };

/** Worker to main thread. */
export type FromWorker =
	/** The encoder's first output: what the catalog needs (avcC / OpusHead as hex). */
	| { type: "decoder-config"; codec: string; description?: string; codedWidth?: number; codedHeight?: number; sampleRate?: number; numberOfChannels?: number }
	| { type: "stats"; encoded: number; sent: number; dropped: number; bytes: number; inflight: number; skipping: boolean }
	| { type: "error"; message: string }
	| { type: "ended" };
