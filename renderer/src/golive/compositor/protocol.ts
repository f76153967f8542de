/**
 * Messages between the program (main thread) and the compositor worker (issue 16).
 */
import type { Scene } from "../../../../shared/scenes";

/** How the program changes to another scene. */
export type Transition = { kind: "cut" } | { kind: "fade"; ms: number };

/** Main thread to compositor. */
export type ToCompositor =
	/**
	 * Starts the clock: `framerate` frames a second of `width`×`height`, painted scaled into
	 * `preview`; `renderer` "auto" (the default) draws with WebGL2 on a GPU and 2D otherwise,
	 * "webgl2" with WebGL2 wherever it exists (falling back to 2D), "2d" always in 2D. `studio`
	 * is where the preview scene of studio mode is painted (see the `preview` message).
	 */
	| { type: "start"; width: number; height: number; framerate: number; preview: OffscreenCanvas; renderer?: "auto" | "webgl2" | "2d"; studio?: OffscreenCanvas }
	/** A live source's frames (a transferred MediaStreamTrackProcessor readable), under its key (`camera:<id>`, `screen`). */
	| { type: "source"; key: string; readable: ReadableStream<VideoFrame> }
	/**
	 * A decoded source's frames posted on a port (VideoFrames, transferred; frame-port's `END_OF_FRAMES`
	 * ends them), under its key (`broadcast:<origin>\u0000<path>`, `file:<name>`): a remote
	 * broadcast or a media file decoded by a monitor decode worker.
	 */
	| { type: "source-port"; key: string; port: MessagePort }
	/** The source's newest frame is dropped (it ended: its layers draw nothing); `release` also stops reading it. */
	| { type: "blank"; key: string; release?: boolean }
	/** A decoded image, under its data URL. */
	| { type: "image"; url: string; bitmap: ImageBitmap }
	/** The scene on program from now on (the same scene again applies its edits at once). */
	| { type: "scene"; scene: Scene; transition: Transition }
	/**
	 * Studio mode: the scene on preview (painted scaled into the start message's `studio` canvas
	 * from the same source frames, never sent to the encoder), or null to stop painting it.
	 */
	| { type: "preview"; scene: Scene | null }
	/** Where program frames go (an encoder's frame port), or null to stop sending them. */
	| { type: "output"; port: MessagePort | null }
	| { type: "stop" };

/** Compositor counters, about once a second. */
export interface CompositorStats {
	/** Frames drawn (one per clock tick that was on time). */
	drawn: number;
	/** Clock ticks skipped because drawing fell behind (their timestamps are skipped, never bunched). */
	late: number;
	/** Frames handed to the encoder. */
	sent: number;
	/** Median and 99th percentile time to draw one frame over the last second, in milliseconds. */
	drawP50Ms: number;
	drawP99Ms: number;
}

/** Compositor to main thread. */
export type FromCompositor =
	/** Drawing started; `renderer` is the context drawing the program, `webgl2` whether a WebGL2 context was available. */
	| { type: "ready"; renderer: "webgl2" | "2d"; webgl2: boolean; device?: string }
	| ({ type: "stats" } & CompositorStats)
	| { type: "error"; message: string }
	/** After `stop`: every source frame was read and closed; the worker may be terminated. */
	| { type: "stopped" };
