/**
 * The program (issue 16), on the main thread: captures what the scenes need, runs the compositor
 * worker, and gives the encoder a frame port. It outlives a Go Live session: the Scenes panel
 * opens it for the preview, going live attaches an encoder, stopping detaches it.
 */
import { sceneCaptures, sceneRemoteSources, type Scene, type SceneCollection } from "../../../../shared/scenes";
import type { CompositorStats, FromCompositor, ToCompositor, Transition } from "./protocol";
import { BLANK_STATES, RemoteSource, type RemoteSourceState } from "./remote-source";
import { liveSourceKey } from "./source-key";

/** Chromium's Insertable Streams processor (main thread only, not in the DOM typings). */
type TrackProcessor = new (init: { track: MediaStreamTrack }) => { readonly readable: ReadableStream<VideoFrame> };

/** The program's picture size and pace. */
export interface ProgramFormat {
	width: number;
	height: number;
	framerate: number;
	/** What draws the program (see the compositor's `start` message). */
	renderer: "auto" | "webgl2" | "2d";
}

/** A running compositor with its captures. */
export class Program {
	readonly format: ProgramFormat;
	/** The canvas the compositor paints the program into (scaled), for the preview. */
	readonly preview: HTMLCanvasElement;
	/** The canvas the compositor paints the preview scene into in studio mode (same size as {@link preview}). */
	readonly studio: HTMLCanvasElement;
	/** The context drawing the program and whether WebGL2 was available, once the worker started. */
	renderer: { renderer: "webgl2" | "2d"; webgl2: boolean; device?: string } | undefined;
	/** The latest compositor counters. */
	stats: CompositorStats | undefined;
	/** Problems with a source (a camera refused, sharing cancelled), by source key. */
	readonly problems = new Map<string, string>();
	/** Called when counters, problems or the renderer change. */
	onChange: (() => void) | undefined;
	readonly #worker: Worker;
	readonly #tracks = new Map<string, MediaStreamTrack>();
	/** Sources being captured or captured, by key: two updates in a row must not capture one twice. */
	readonly #capturing = new Set<string>();
	readonly #images = new Set<string>();
	/** Remote broadcasts and media files the scenes show, by source key (see {@link liveSourceKey}). */
	readonly #remotes = new Map<string, RemoteSource>();
	/** Where each remote source stands, by source key, for the layer list. */
	readonly sourceStates = new Map<string, RemoteSourceState>();
	#programId: string | undefined;
	/** Studio mode's preview scene, and the collection it is read from. */
	#previewId: string | null = null;
	#collection: SceneCollection | undefined;
	#closed = false;

	constructor(format: ProgramFormat) {
		this.format = format;
		this.preview = document.createElement("canvas");
		this.preview.width = Math.min(640, format.width);
		this.preview.height = Math.round((this.preview.width * format.height) / format.width);
		this.studio = document.createElement("canvas");
		this.studio.width = this.preview.width;
		this.studio.height = this.preview.height;
		this.#worker = new Worker(new URL("./compositor.worker.ts", import.meta.url), { type: "module", name: "compositor" });
		this.#worker.onmessage = (ev: MessageEvent<FromCompositor>) => {
			const msg = ev.data;
			if (msg.type === "stopped") return this.#worker.terminate();
			if (msg.type === "ready") this.renderer = { renderer: msg.renderer, webgl2: msg.webgl2, device: msg.device };
			else if (msg.type === "stats") {
				const { type: _t, ...stats } = msg;
				this.stats = stats;
			} else this.problems.set("compositor", msg.message);
			this.onChange?.();
		};
		const offscreen = this.preview.transferControlToOffscreen();
		const studio = this.studio.transferControlToOffscreen();
		this.#post({ type: "start", ...format, preview: offscreen, studio }, [offscreen, studio]);
	}

	#post(msg: ToCompositor, transfer: Transferable[] = []): void {
		this.#worker.postMessage(msg, transfer);
	}

	/**
	 * Brings the program to `collection`: captures any source a scene needs that is not captured
	 * yet, decodes new images, and sends the program scene (with `transition` when it changed).
	 */
	async update(collection: SceneCollection, transition: Transition = { kind: "cut" }): Promise<void> {
		if (this.#closed) return;
		this.#collection = collection;
		const program = collection.scenes.find((s) => s.id === collection.programId) ?? collection.scenes[0]!;
		this.#followRemotes(collection.scenes);
		await Promise.all([this.#capture(collection.scenes), this.#decodeImages(collection.scenes)]);
		if (this.#closed) return;
		this.#post({ type: "scene", scene: program, transition: this.#programId === program.id ? { kind: "cut" } : transition });
		this.#programId = program.id;
		if (this.#previewId !== null && this.#collection === collection) this.#postPreview();
	}

	/**
	 * Studio mode: paints scene `id` (with the edits of every later {@link update}) into
	 * {@link studio}, or stops painting it (null). It never reaches the encoder.
	 */
	setPreview(id: string | null): void {
		this.#previewId = id;
		if (!this.#closed) this.#postPreview();
	}

	#postPreview(): void {
		const scene = this.#previewId === null ? null : (this.#collection?.scenes.find((s) => s.id === this.#previewId) ?? null);
		this.#post({ type: "preview", scene });
	}

	async #capture(scenes: readonly Scene[]): Promise<void> {
		const wanted = sceneCaptures(scenes);
		const Processor = (globalThis as unknown as { MediaStreamTrackProcessor?: TrackProcessor }).MediaStreamTrackProcessor;
		if (!Processor) {
			this.problems.set("capture", "this browser cannot read raw frames from a capture (no MediaStreamTrackProcessor)");
			return;
		}
		const jobs: Promise<void>[] = [];
		const add = (key: string, open: () => Promise<MediaStream>) => {
			if (this.#capturing.has(key) || this.problems.has(key)) return;
			this.#capturing.add(key);
			jobs.push(
				open().then(
					(stream) => {
						const track = stream.getVideoTracks()[0];
						if (!track) return;
						if (this.#closed) return track.stop();
						this.#tracks.set(key, track);
						const { readable } = new Processor({ track });
						this.#post({ type: "source", key, readable }, [readable as unknown as Transferable]);
					},
					(err: unknown) => {
						this.#capturing.delete(key);
						this.problems.set(key, err instanceof Error ? err.message : String(err));
					},
				),
			);
		};
		const { width, height, framerate } = this.format;
		for (const id of wanted.cameras) {
			add(`camera:${id}`, () =>
				navigator.mediaDevices.getUserMedia({ video: { deviceId: id ? { exact: id } : undefined, width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: framerate } }, audio: false }),
			);
		}
		if (wanted.screen) add("screen", () => navigator.mediaDevices.getDisplayMedia({ video: { frameRate: framerate }, audio: false }));
		await Promise.all(jobs);
		if (jobs.length) this.onChange?.();
	}

	/**
	 * Follows every remote source a scene shows and lets go of those none shows any more (their
	 * subscription or playback ends in the engine; a capture, by contrast, stays open).
	 */
	#followRemotes(scenes: readonly Scene[]): void {
		const wanted = new Map(sceneRemoteSources(scenes).map((s) => [liveSourceKey(s)!, s]));
		for (const [key, remote] of this.#remotes) {
			if (wanted.has(key)) continue;
			remote.close();
			this.#remotes.delete(key);
			this.sourceStates.delete(key);
			this.problems.delete(key);
			this.#post({ type: "blank", key, release: true });
		}
		for (const [key, source] of wanted) {
			if (this.#remotes.has(key)) continue;
			const remote = new RemoteSource(source, {
				onPort: (port) => this.#post({ type: "source-port", key, port }, [port]),
				onState: (state, problem) => {
					if (this.#remotes.get(key) !== remote) return;
					this.sourceStates.set(key, state);
					if (problem) this.problems.set(key, problem);
					else this.problems.delete(key);
					// Gone: its layers draw nothing rather than a frozen picture; the clock goes on.
					if (BLANK_STATES.has(state)) this.#post({ type: "blank", key });
					this.onChange?.();
				},
			});
			this.#remotes.set(key, remote);
			this.sourceStates.set(key, remote.state);
			void remote.open();
		}
	}

	async #decodeImages(scenes: readonly Scene[]): Promise<void> {
		const urls = new Set(scenes.flatMap((s) => s.layers.flatMap((l) => (l.source.kind === "image" ? [l.source.url] : []))));
		await Promise.all(
			[...urls]
				.filter((url) => !this.#images.has(url))
				.map(async (url) => {
					this.#images.add(url);
					try {
						// Through an <img>: createImageBitmap cannot decode SVG from a Blob.
						const img = new Image();
						img.src = url;
						await img.decode();
						const bitmap = await createImageBitmap(img);
						this.#post({ type: "image", url, bitmap }, [bitmap]);
					} catch {
						this.problems.set(`image:${url.slice(0, 40)}`, "an image could not be decoded");
					}
				}),
		);
	}

	/** A fresh frame port for an encoder: program frames flow to it until {@link detachEncoder} or {@link close}. */
	attachEncoder(): MessagePort {
		const channel = new MessageChannel();
		this.#post({ type: "output", port: channel.port1 }, [channel.port1]);
		return channel.port2;
	}

	/** Stops sending frames to the encoder (it sees the end of its input). */
	detachEncoder(): void {
		this.#post({ type: "output", port: null });
	}

	/** Stops the compositor and every capture it opened. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		// Captures end first, so their readables finish and the worker reads every frame still on
		// the way (and closes it); it says when, and only then is terminated.
		for (const t of this.#tracks.values()) t.stop();
		this.#tracks.clear();
		for (const [key, remote] of this.#remotes) {
			remote.close();
			this.#post({ type: "blank", key, release: true });
		}
		this.#remotes.clear();
		this.#post({ type: "stop" });
		setTimeout(() => this.#worker.terminate(), 5000);
	}
}
