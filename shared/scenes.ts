/**
 * Scenes (issue 16): what the Go Live compositor draws. A scene is a named list of layers, drawn
 * in list order (the first is the bottom of the z-order); each layer places one source on the
 * program picture. Geometry is in fractions of the program frame (0..1), so a scene means the
 * same at 360p and 1080p.
 *
 * The engine persists the whole collection (`scenes.get` / `scenes.set`); the editing operations
 * below are pure functions shared by the renderer and tests, each returning a new collection.
 */
import { z } from "zod";
import { StudioError } from "./errors";
import { OriginId } from "./models";
import { LibraryFileName } from "./recordings";

/** A colour as `#rrggbb`. */
export const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour is #rrggbb");

/**
 * The largest image a layer may carry inline (a data URL), in characters (about 190 KB of
 * image): the whole collection crosses the web host's 1 MiB messages in one `scenes.set`.
 */
export const MAX_IMAGE_URL = 256_000;
/** The largest collection, as JSON characters, that `scenes.set` accepts (below the hosts' message limit). */
export const MAX_COLLECTION_CHARS = 900_000;

/** Where a layer's picture comes from. */
export const LayerSource = z.discriminatedUnion("kind", [
	/** A camera; the default camera when no device is named. */
	z.object({ kind: z.literal("camera"), deviceId: z.string().max(512).optional() }).strict(),
	/** The screen or window the user shares when going live. */
	z.object({ kind: z.literal("screen") }).strict(),
	/** A still image carried inline as a data URL (PNG, JPEG, WebP, GIF or SVG). */
	z
		.object({
			kind: z.literal("image"),
			url: z
				.string()
				.max(MAX_IMAGE_URL)
				.regex(/^data:image\/(png|jpeg|webp|gif|svg\+xml)[;,]/, "an image is a data: URL of a PNG, JPEG, WebP, GIF or SVG image"),
		})
		.strict(),
	/** Text drawn by the compositor: a lower third (a caption over a band) or a running clock. */
	z
		.object({
			kind: z.literal("text"),
			style: z.enum(["lower-third", "clock"]),
			text: z.string().max(200),
			colour: Colour,
			background: Colour,
		})
		.strict(),
	/** A solid colour. */
	z.object({ kind: z.literal("colour"), colour: Colour }).strict(),
	/**
	 * An announced MoQ broadcast, named as the Broadcasts view and `monitor.open` name it (origin
	 * and path), decoded by the monitor's player path. Not announced (yet, or any more), it draws
	 * nothing and is followed again when it is announced.
	 */
	z.object({ kind: z.literal("broadcast"), originId: OriginId, path: z.string().min(1).max(512) }).strict(),
	/** A media file of the recordings folder (as the library names it), played looped. */
	z.object({ kind: z.literal("file"), name: LibraryFileName }).strict(),
]);
/** @see LayerSource */
export type LayerSource = z.infer<typeof LayerSource>;
/** One of the source kinds of {@link LayerSource}. */
export type LayerSourceKind = LayerSource["kind"];

const Fraction = z.number().min(0).max(1);
/** A position or size along one axis, as a fraction of the program frame; a layer may hang off the edges. */
const Extent = z.number().min(-1).max(2);

/** The part of a source cut off each edge, as fractions of the source (left + right < 1, top + bottom < 1). */
export const Crop = z
	.object({ top: Fraction, right: Fraction, bottom: Fraction, left: Fraction })
	.strict()
	.refine((c) => c.left + c.right < 1 && c.top + c.bottom < 1, "a crop must leave some of the picture");
/** @see Crop */
export type Crop = z.infer<typeof Crop>;

/** A scene's or a layer's id: short, unique within its collection or scene. */
export const SceneId = z.string().min(1).max(64);

/** One source placed on the program picture. */
export const Layer = z
	.object({
		id: SceneId,
		name: z.string().min(1).max(100),
		source: LayerSource,
		/** Top-left corner and size, fractions of the program frame. */
		x: Extent,
		y: Extent,
		width: z.number().gt(0).max(2),
		height: z.number().gt(0).max(2),
		crop: Crop,
		opacity: Fraction,
		visible: z.boolean(),
	})
	.strict();
/** @see Layer */
export type Layer = z.infer<typeof Layer>;

/** The most layers a scene may have, and scenes a collection may have. */
export const MAX_LAYERS = 32;
/** @see MAX_LAYERS */
export const MAX_SCENES = 64;

/** A named list of layers, bottom first. */
export const Scene = z
	.object({
		id: SceneId,
		name: z.string().min(1).max(100),
		layers: z.array(Layer).max(MAX_LAYERS),
	})
	.strict()
	.refine((s) => new Set(s.layers.map((l) => l.id)).size === s.layers.length, "layer ids must be unique within a scene");
/** @see Scene */
export type Scene = z.infer<typeof Scene>;

/** Every scene, and the one on program (the one Go Live sends). */
export const SceneCollection = z
	.object({
		scenes: z.array(Scene).min(1).max(MAX_SCENES),
		programId: SceneId,
	})
	.strict()
	.refine((c) => new Set(c.scenes.map((s) => s.id)).size === c.scenes.length, "scene ids must be unique")
	.refine((c) => c.scenes.some((s) => s.id === c.programId), "the program scene must be one of the scenes");
/** @see SceneCollection */
export type SceneCollection = z.infer<typeof SceneCollection>;

/** Arguments of `scenes.set`: the whole collection (scenes are small, and one writer edits them). */
export const ScenesSetArgs = z.object({ collection: SceneCollection }).strict();

/** A fresh id, unique enough within a collection. */
export function newSceneId(): string {
	return Math.random().toString(36).slice(2, 10) + Date.now().toString(36).slice(-4);
}

const NO_CROP: Crop = { top: 0, right: 0, bottom: 0, left: 0 };

/** A layer with sensible defaults for its source: cameras and screens full frame, the rest in their usual place. */
export function newLayer(source: LayerSource, name?: string): Layer {
	const base = { id: newSceneId(), source, crop: NO_CROP, opacity: 1, visible: true };
	switch (source.kind) {
		case "camera":
			return { ...base, name: name ?? "Camera", x: 0, y: 0, width: 1, height: 1 };
		case "screen":
			return { ...base, name: name ?? "Screen", x: 0, y: 0, width: 1, height: 1 };
		case "image":
			return { ...base, name: name ?? "Image", x: 0.7, y: 0.05, width: 0.25, height: 0.25 };
		case "text":
			return source.style === "clock"
				? { ...base, name: name ?? "Clock", x: 0.78, y: 0.04, width: 0.18, height: 0.08 }
				: { ...base, name: name ?? "Lower third", x: 0.05, y: 0.78, width: 0.6, height: 0.12 };
		case "colour":
			return { ...base, name: name ?? "Colour", x: 0, y: 0, width: 1, height: 1 };
		case "broadcast":
			// A guest: picture-in-picture in the bottom-right corner, 16:9 on a 16:9 program.
			return { ...base, name: name ?? (source.path.split("/").filter(Boolean).at(-1)?.slice(0, 100) || "Broadcast"), x: 0.66, y: 0.63, width: 0.3, height: 0.3 };
		case "file":
			return { ...base, name: name ?? (source.name.slice(0, 100) || "Media file"), x: 0, y: 0, width: 1, height: 1 };
	}
}

/** What a fresh install has: one scene with the camera full frame. */
export function defaultScenes(): SceneCollection {
	const scene: Scene = { id: "main", name: "Camera", layers: [{ ...newLayer({ kind: "camera" }), id: "camera" }] };
	return { scenes: [scene], programId: scene.id };
}

function sceneIndex(c: SceneCollection, id: string): number {
	const i = c.scenes.findIndex((s) => s.id === id);
	if (i < 0) throw new StudioError("NOT_FOUND", `there is no scene ${JSON.stringify(id)}`);
	return i;
}

function layerIndex(s: Scene, id: string): number {
	const i = s.layers.findIndex((l) => l.id === id);
	if (i < 0) throw new StudioError("NOT_FOUND", `scene "${s.name}" has no layer ${JSON.stringify(id)}`);
	return i;
}

function move<T>(list: readonly T[], from: number, to: number): T[] {
	const out = list.slice();
	const [item] = out.splice(from, 1);
	out.splice(Math.max(0, Math.min(out.length, to)), 0, item!);
	return out;
}

function checkName(name: string): string {
	const trimmed = name.trim();
	if (!trimmed || trimmed.length > 100) throw new StudioError("INVALID_ARGUMENT", "a name has 1 to 100 characters");
	return trimmed;
}

function withScene(c: SceneCollection, id: string, edit: (s: Scene) => Scene): SceneCollection {
	const i = sceneIndex(c, id);
	const scenes = c.scenes.slice();
	scenes[i] = edit(c.scenes[i]!);
	return { ...c, scenes };
}

/** Adds an empty scene after the others; returns the collection and the new scene's id. */
export function addScene(c: SceneCollection, name: string): { collection: SceneCollection; id: string } {
	if (c.scenes.length >= MAX_SCENES) throw new StudioError("INVALID_ARGUMENT", `a studio has at most ${MAX_SCENES} scenes`);
	const id = newSceneId();
	return { collection: { ...c, scenes: [...c.scenes, { id, name: checkName(name), layers: [] }] }, id };
}

/** Copies a scene (its layers get fresh ids) right after it; returns the copy's id. */
export function duplicateScene(c: SceneCollection, id: string): { collection: SceneCollection; id: string } {
	if (c.scenes.length >= MAX_SCENES) throw new StudioError("INVALID_ARGUMENT", `a studio has at most ${MAX_SCENES} scenes`);
	const i = sceneIndex(c, id);
	const source = c.scenes[i]!;
	const copy: Scene = { id: newSceneId(), name: `${source.name} copy`.slice(0, 100), layers: source.layers.map((l) => ({ ...l, id: newSceneId() })) };
	const scenes = c.scenes.slice();
	scenes.splice(i + 1, 0, copy);
	return { collection: { ...c, scenes }, id: copy.id };
}

/** Renames a scene. */
export function renameScene(c: SceneCollection, id: string, name: string): SceneCollection {
	const trimmed = checkName(name);
	return withScene(c, id, (s) => ({ ...s, name: trimmed }));
}

/** Deletes a scene; the last one cannot go. The program moves to a neighbour when it was the one deleted. */
export function deleteScene(c: SceneCollection, id: string): SceneCollection {
	const i = sceneIndex(c, id);
	if (c.scenes.length === 1) throw new StudioError("INVALID_ARGUMENT", "the last scene cannot be deleted");
	const scenes = c.scenes.filter((s) => s.id !== id);
	return { scenes, programId: c.programId === id ? scenes[Math.min(i, scenes.length - 1)]!.id : c.programId };
}

/** Moves a scene to position `to` in the list. */
export function moveScene(c: SceneCollection, id: string, to: number): SceneCollection {
	return { ...c, scenes: move(c.scenes, sceneIndex(c, id), to) };
}

/** Puts a scene on program. */
export function takeScene(c: SceneCollection, id: string): SceneCollection {
	sceneIndex(c, id);
	return { ...c, programId: id };
}

/** Adds a layer on top of a scene. */
export function addLayer(c: SceneCollection, sceneId: string, layer: Layer): SceneCollection {
	const parsed = Layer.safeParse(layer);
	if (!parsed.success) throw new StudioError("INVALID_ARGUMENT", `invalid layer: ${parsed.error.issues[0]?.message ?? "bad shape"}`);
	return withScene(c, sceneId, (s) => {
		if (s.layers.length >= MAX_LAYERS) throw new StudioError("INVALID_ARGUMENT", `a scene has at most ${MAX_LAYERS} layers`);
		return { ...s, layers: [...s.layers, parsed.data] };
	});
}

/** Changes a layer's fields (not its id); the result must still be a valid layer. */
export function updateLayer(c: SceneCollection, sceneId: string, layerId: string, patch: Partial<Omit<Layer, "id">>): SceneCollection {
	return withScene(c, sceneId, (s) => {
		const i = layerIndex(s, layerId);
		const parsed = Layer.safeParse({ ...s.layers[i], ...patch, id: layerId });
		if (!parsed.success) throw new StudioError("INVALID_ARGUMENT", `invalid layer: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message ?? ""}`.trim());
		const layers = s.layers.slice();
		layers[i] = parsed.data;
		return { ...s, layers };
	});
}

/** Removes a layer. */
export function deleteLayer(c: SceneCollection, sceneId: string, layerId: string): SceneCollection {
	return withScene(c, sceneId, (s) => (layerIndex(s, layerId), { ...s, layers: s.layers.filter((l) => l.id !== layerId) }));
}

/** Moves a layer to z-position `to` (0 is the bottom). */
export function moveLayer(c: SceneCollection, sceneId: string, layerId: string, to: number): SceneCollection {
	return withScene(c, sceneId, (s) => ({ ...s, layers: move(s.layers, layerIndex(s, layerId), to) }));
}

/**
 * The remote sources scenes need (broadcasts by origin and path, files by name), each once.
 * Like captures, every scene's are followed, hidden layers included, so a cut never waits.
 */
export function sceneRemoteSources(scenes: readonly Scene[]): (LayerSource & { kind: "broadcast" | "file" })[] {
	const out = new Map<string, LayerSource & { kind: "broadcast" | "file" }>();
	for (const { source } of scenes.flatMap((s) => s.layers)) {
		if (source.kind === "broadcast") out.set(`broadcast:${source.originId}\u0000${source.path}`, source);
		if (source.kind === "file") out.set(`file:${source.name}`, source);
	}
	return [...out.values()];
}

/**
 * The capture sources scenes need (cameras by device id, "" for the default one; the screen
 * once). Going live captures what every scene needs, hidden layers included, so a cut or a
 * visibility toggle while live never waits for a device.
 */
export function sceneCaptures(scenes: readonly Scene[]): { cameras: string[]; screen: boolean } {
	const cameras = new Set<string>();
	let screen = false;
	for (const l of scenes.flatMap((s) => s.layers)) {
		if (l.source.kind === "camera") cameras.add(l.source.deviceId ?? "");
		if (l.source.kind === "screen") screen = true;
	}
	return { cameras: [...cameras], screen };
}
