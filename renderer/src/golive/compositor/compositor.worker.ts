/**
 * The compositor worker (issue 16): draws the program scene on an OffscreenCanvas from the latest
 * frame of each live source, images and text, and hands one VideoFrame per tick of its own clock
 * to the encoder's frame port. The clock, not the sources, sets the pace: a 60 fps camera and a
 * 5 fps screen both give a steady `framerate` program, and timestamps sit on the clock's grid.
 */
import type { Layer, Scene } from "../../../../shared/scenes";
import { END_OF_FRAMES, framesFromPort } from "./frame-port";
import { Painter2D, PainterGL, type Painter, type Picture } from "./painter";
import type { CompositorStats, FromCompositor, ToCompositor, Transition } from "./protocol";
import { liveSourceKey } from "./source-key";

const scope = self as unknown as { postMessage(msg: FromCompositor): void; onmessage: ((ev: MessageEvent<ToCompositor>) => void) | null };
const post = (msg: FromCompositor) => scope.postMessage(msg);

/** The newest frame of each live source; older ones are closed as soon as a newer one arrives. */
const latest = new Map<string, VideoFrame>();
const readers = new Map<string, ReadableStreamDefaultReader<VideoFrame>>();
/** Each source's read loop, to know when every frame on the way was read and closed. */
const loops = new Set<Promise<void>>();
const images = new Map<string, ImageBitmap>();
let scene: Scene | undefined;
/** The scene fading out, and when the fade started and ends (performance.now()). */
let fading: { scene: Scene; from: number; until: number } | undefined;
let output: MessagePort | null = null;
let painter: Painter | undefined;
let preview: OffscreenCanvasRenderingContext2D | undefined;
/** Studio mode: the scene on preview and the canvas it is painted into (scaled). */
let previewScene: Scene | null = null;
let studio: OffscreenCanvasRenderingContext2D | undefined;
/**
 * How often the studio preview is painted: it is for the operator's eyes, and drawing a camera
 * frame a second time (software 2D converts and scales it again) more than doubled a 720p
 * program's draw time when painted on every tick.
 */
const STUDIO_FPS = 15;
/** With 2D drawing, the preview scene is painted straight into the studio canvas by its own painter. */
let studioPainter: Painter2D | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let stopped = false;
const counts = { drawn: 0, late: 0, sent: 0 };
let drawTimes: number[] = [];

function sourceKey(layer: Layer): string | undefined {
	return liveSourceKey(layer.source);
}

async function readSource(key: string, readable: ReadableStream<VideoFrame>): Promise<void> {
	await readers.get(key)?.cancel().catch(() => {});
	const reader = readable.getReader();
	readers.set(key, reader);
	try {
		for (;;) {
			const { value, done } = await reader.read();
			if (done) break;
			if (stopped || readers.get(key) !== reader) {
				value.close();
				break;
			}
			latest.get(key)?.close();
			latest.set(key, value);
		}
	} catch {
		// A capture that ended (unplugged, sharing stopped) leaves its last frame on the layer.
	}
}

/** Each text layer's own small canvas, redrawn only when its text, style or size changes. */
const texts = new Map<string, { canvas: OffscreenCanvas; drawn: string }>();
/** The frame last handed to the painter for each source key (a texture upload is skipped when unchanged). */
const painted = new Map<string, VideoFrame | ImageBitmap>();

function textPicture(layer: Layer & { source: { kind: "text" } }, w: number, h: number, tag: string): Picture {
	const { source } = layer;
	const text = source.style === "clock" ? new Date().toLocaleTimeString() : source.text;
	const width = Math.max(1, Math.round(w));
	const height = Math.max(1, Math.round(h));
	const state = `${text}|${source.style}|${source.colour}|${source.background}|${width}x${height}`;
	// The preview's copy of a layer has its own canvas (`tag`): one layer shown at two sizes
	// (the scene fading out is the one on preview after a take) is not redrawn every frame.
	const id = `${tag}${layer.id}`;
	let entry = texts.get(id);
	if (!entry || entry.canvas.width !== width || entry.canvas.height !== height) {
		entry = { canvas: new OffscreenCanvas(width, height), drawn: "" };
		texts.set(id, entry);
	}
	const changed = entry.drawn !== state;
	if (changed) {
		const c = entry.canvas.getContext("2d")!;
		c.fillStyle = source.background;
		c.fillRect(0, 0, width, height);
		c.fillStyle = source.colour;
		c.font = `600 ${Math.max(8, Math.round(height * 0.5))}px sans-serif`;
		c.textBaseline = "middle";
		c.textAlign = source.style === "clock" ? "center" : "left";
		c.fillText(text, source.style === "clock" ? width / 2 : height * 0.3, height / 2);
		entry.drawn = state;
	}
	return { key: `text:${id}`, image: entry.canvas, width, height, changed };
}

function drawLayer(p: Painter, layer: Layer, alpha: number, W: number, H: number, tag: string): void {
	if (!layer.visible || layer.opacity <= 0 || alpha <= 0) return;
	const dest = { x: layer.x * W, y: layer.y * H, w: layer.width * W, h: layer.height * H };
	const a = layer.opacity * alpha;
	const { source, crop } = layer;
	switch (source.kind) {
		case "colour":
			p.fill(source.colour, dest, a);
			break;
		case "camera":
		case "screen":
		case "broadcast":
		case "file":
		case "image": {
			const key = source.kind === "image" ? source.url : sourceKey(layer)!;
			const image = source.kind === "image" ? images.get(key) : latest.get(key);
			if (!image) break;
			const width = image instanceof VideoFrame ? image.displayWidth : image.width;
			const height = image instanceof VideoFrame ? image.displayHeight : image.height;
			const changed = painted.get(key) !== image;
			painted.set(key, image);
			const src = { x: crop.left * width, y: crop.top * height, w: (1 - crop.left - crop.right) * width, h: (1 - crop.top - crop.bottom) * height };
			p.draw({ key, image, width, height, changed }, src, dest, a);
			break;
		}
		case "text": {
			const picture = textPicture(layer as Layer & { source: { kind: "text" } }, dest.w, dest.h, tag);
			p.draw(picture, { x: 0, y: 0, w: picture.width, h: picture.height }, dest, a);
			break;
		}
	}
}

function drawScene(p: Painter, s: Scene, alpha: number, W: number, H: number, tag = ""): void {
	for (const layer of s.layers) drawLayer(p, layer, alpha, W, H, tag);
}

/**
 * Studio mode: paints the preview scene into the studio canvas from the same source frames (no
 * second capture), at about 15 fps (see {@link STUDIO_FPS}). 2D draws it straight into the studio
 * canvas: drawing on the program canvas after a frame was taken from it copies the whole picture
 * first (a 720p program's draw time went from 4 to 13 ms that way, against 10 ms straight).
 * WebGL2, whose textures belong to its one context, draws it after the program frame was handed
 * on into the program canvas's top-left corner (cleared again on the next tick) and copies that out.
 */
function paintStudio(p: Painter, programShown: boolean): void {
	if (!studio || !previewScene) return;
	const { canvas } = p;
	const w = studio.canvas.width;
	const h = studio.canvas.height;
	if (programShown) {
		// The scene on preview is the one on program: the program picture is its picture.
		studio.drawImage(canvas, 0, 0, w, h);
		return;
	}
	if (p.kind === "2d") {
		studioPainter ??= new Painter2D(studio.canvas);
		studioPainter.clear();
		drawScene(studioPainter, previewScene, 1, w, h, "preview:");
		return;
	}
	p.fill("#000000", { x: 0, y: 0, w, h }, 1);
	drawScene(p, previewScene, 1, w, h, "preview:");
	studio.drawImage(canvas, 0, 0, w, h, 0, 0, w, h);
}

function percentile(sorted: number[], p: number): number {
	return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0;
}

function stats(): CompositorStats {
	const sorted = drawTimes.sort((a, b) => a - b);
	drawTimes = [];
	return { ...counts, drawP50Ms: percentile(sorted, 0.5), drawP99Ms: percentile(sorted, 0.99) };
}

function start(width: number, height: number, framerate: number, previewCanvas: OffscreenCanvas, prefer: "auto" | "webgl2" | "2d", studioCanvas: OffscreenCanvas | undefined): void {
	// "auto": WebGL2 on a GPU. Chromium without one (--disable-gpu) still offers WebGL2 through
	// SwiftShader, where a 720p program took 14 ms a frame against 0.6 ms in 2D: 2D there.
	let gl = prefer === "2d" ? undefined : PainterGL.create(new OffscreenCanvas(width, height));
	const device = gl?.device;
	const webgl2 = gl !== undefined || Boolean(new OffscreenCanvas(1, 1).getContext("webgl2"));
	if (gl && prefer === "auto" && gl.software) gl = undefined;
	painter = gl ?? new Painter2D(new OffscreenCanvas(width, height));
	preview = previewCanvas.getContext("2d", { alpha: false }) ?? undefined;
	studio = studioCanvas?.getContext("2d", { alpha: false }) ?? undefined;
	post({ type: "ready", renderer: painter.kind, webgl2, device });
	const intervalMs = 1000 / framerate;
	const studioEvery = Math.max(1, Math.round(framerate / STUDIO_FPS));
	const origin = performance.now();
	let tick = 0;
	const step = () => {
		if (stopped || !painter) return;
		const { canvas } = painter;
		const began = performance.now();
		// On the clock's grid: ticks missed while drawing lagged are skipped, never bunched.
		const due = Math.floor((began - origin) / intervalMs);
		if (due > tick) {
			counts.late += due - tick;
			tick = due;
		}
		const W = canvas.width;
		const H = canvas.height;
		painter.clear();
		if (fading && began >= fading.until) fading = undefined;
		if (fading) drawScene(painter, fading.scene, 1, W, H);
		if (scene) drawScene(painter, scene, fading ? (began - fading.from) / (fading.until - fading.from) : 1, W, H);
		counts.drawn++;
		if (output) {
			const frame = new VideoFrame(canvas, { timestamp: Math.round(tick * intervalMs * 1000), duration: Math.round(intervalMs * 1000) });
			output.postMessage(frame, [frame as unknown as Transferable]);
			counts.sent++;
		}
		if (preview) preview.drawImage(canvas, 0, 0, preview.canvas.width, preview.canvas.height);
		if (tick % studioEvery === 0) paintStudio(painter, !fading && previewScene?.id === scene?.id);
		drawTimes.push(performance.now() - began);
		tick++;
		timer = setTimeout(step, Math.max(0, origin + tick * intervalMs - performance.now()));
	};
	step();
	setInterval(() => post({ type: "stats", ...stats() }), 1000);
}

function setScene(next: Scene, transition: Transition): void {
	if (scene && scene.id !== next.id && transition.kind === "fade" && transition.ms > 0) {
		const now = performance.now();
		fading = { scene, from: now, until: now + transition.ms };
	} else if (scene?.id !== next.id) fading = undefined;
	scene = next;
}

scope.onmessage = (ev: MessageEvent<ToCompositor>) => {
	const msg = ev.data;
	try {
		switch (msg.type) {
			case "start":
				start(msg.width, msg.height, msg.framerate, msg.preview, msg.renderer ?? "auto", msg.studio);
				break;
			case "source": {
				const loop = readSource(msg.key, msg.readable);
				loops.add(loop);
				void loop.finally(() => loops.delete(loop));
				break;
			}
			case "source-port": {
				// A decode worker posts every picture; the port's small queue keeps the newest.
				const loop = readSource(msg.key, framesFromPort(msg.port, () => {}));
				loops.add(loop);
				void loop.finally(() => loops.delete(loop));
				break;
			}
			case "blank":
				if (msg.release) {
					void readers.get(msg.key)?.cancel().catch(() => {});
					readers.delete(msg.key);
					painter?.forget(msg.key);
					painted.delete(msg.key);
				}
				latest.get(msg.key)?.close();
				latest.delete(msg.key);
				break;
			case "image":
				images.get(msg.url)?.close();
				painter?.forget(msg.url);
				images.set(msg.url, msg.bitmap);
				break;
			case "scene":
				setScene(msg.scene, msg.transition);
				break;
			case "preview":
				previewScene = msg.scene;
				break;
			case "output":
				output?.postMessage(END_OF_FRAMES);
				output = msg.port;
				break;
			case "stop":
				stopped = true;
				clearTimeout(timer);
				output?.postMessage(END_OF_FRAMES);
				output = null;
				// The captures were stopped first (program.ts): their loops end once they read every
				// frame still on the way; cancel only what has not ended within a second.
				void Promise.race([Promise.all([...loops]), new Promise((r) => setTimeout(r, 1000))]).then(() => {
					for (const r of readers.values()) void r.cancel().catch(() => {});
					for (const f of latest.values()) f.close();
					latest.clear();
					post({ type: "stopped" });
				});
				break;
		}
	} catch (err) {
		post({ type: "error", message: err instanceof Error ? err.message : String(err) });
	}
};
