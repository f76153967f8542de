/**
 * Issue 16, the scenes model and its persistence: the editing operations keep a valid collection
 * and refuse bad edits with typed errors that change nothing; the engine serves `scenes.get` /
 * `scenes.set` through the contract, validates what arrives, and keeps the scenes across a restart
 * (its own file in the data dir, a corrupt file set aside).
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StudioError } from "../../shared/errors";
import { methods } from "../../shared/contract";
import {
	MAX_IMAGE_URL,
	SceneCollection,
	addLayer,
	addScene,
	defaultScenes,
	deleteLayer,
	deleteScene,
	duplicateScene,
	moveLayer,
	moveScene,
	newLayer,
	renameScene,
	sceneCaptures,
	sceneRemoteSources,
	takeScene,
	updateLayer,
} from "../../shared/scenes";
import { Studio } from "../../electron/engine/studio";
import { tempDir } from "../media/media-helpers";

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => ({ dir, remove } = await tempDir("moq-scenes-model-")));
afterAll(async () => remove?.());

function code(fn: () => unknown): string | undefined {
	try {
		fn();
	} catch (err) {
		return err instanceof StudioError ? err.codeName : "not a StudioError";
	}
	return undefined;
}

describe("scene operations", () => {
	it("add, duplicate, rename, reorder, take and delete scenes and layers, always valid", () => {
		let c = defaultScenes();
		const main = c.scenes[0]!.id;
		const added = addScene(c, "Interview");
		c = added.collection;
		c = addLayer(c, added.id, newLayer({ kind: "colour", colour: "#ff0000" }, "Red"));
		c = addLayer(c, added.id, newLayer({ kind: "text", style: "lower-third", text: "Ada", colour: "#ffffff", background: "#000000" }));
		const [red, third] = c.scenes[1]!.layers;
		c = updateLayer(c, added.id, red!.id, { x: 0.5, width: 0.25, visible: false });
		c = moveLayer(c, added.id, third!.id, 0);
		expect(c.scenes[1]!.layers.map((l) => l.name)).toEqual(["Lower third", "Red"]);
		expect(c.scenes[1]!.layers[1]).toMatchObject({ x: 0.5, width: 0.25, visible: false });
		const copy = duplicateScene(c, added.id);
		c = copy.collection;
		expect(c.scenes.map((s) => s.name)).toEqual(["Camera", "Interview", "Interview copy"]);
		// A copy's layers are its own.
		expect(c.scenes[2]!.layers.map((l) => l.id)).not.toEqual(c.scenes[1]!.layers.map((l) => l.id));
		c = renameScene(c, copy.id, "  Wide  ");
		c = moveScene(c, copy.id, 0);
		expect(c.scenes.map((s) => s.name)).toEqual(["Wide", "Camera", "Interview"]);
		c = takeScene(c, added.id);
		c = deleteScene(c, added.id);
		// The program moves to a neighbour when its scene goes.
		expect(c.scenes.some((s) => s.id === c.programId)).toBe(true);
		c = deleteLayer(c, copy.id, c.scenes[0]!.layers[0]!.id);
		expect(c.scenes[0]!.layers).toHaveLength(1);
		expect(SceneCollection.safeParse(c).success).toBe(true);
		expect(sceneCaptures(c.scenes)).toEqual({ cameras: [""], screen: false });
		expect(c.scenes.find((s) => s.id === main)).toBeDefined();
	});

	it("refuses bad edits with typed errors and leaves the collection as it was", () => {
		const c = defaultScenes();
		const before = JSON.stringify(c);
		const id = c.scenes[0]!.id;
		const layer = c.scenes[0]!.layers[0]!.id;
		expect(code(() => deleteScene(c, id))).toBe("INVALID_ARGUMENT");
		expect(code(() => renameScene(c, id, "   "))).toBe("INVALID_ARGUMENT");
		expect(code(() => renameScene(c, "nope", "x"))).toBe("NOT_FOUND");
		expect(code(() => updateLayer(c, id, layer, { opacity: 2 }))).toBe("INVALID_ARGUMENT");
		expect(code(() => updateLayer(c, id, layer, { crop: { top: 0.6, bottom: 0.6, left: 0, right: 0 } }))).toBe("INVALID_ARGUMENT");
		expect(code(() => updateLayer(c, id, "nope", { x: 0 }))).toBe("NOT_FOUND");
		expect(code(() => addLayer(c, id, newLayer({ kind: "image", url: "https://example.com/logo.png" })))).toBe("INVALID_ARGUMENT");
		expect(code(() => addLayer(c, id, newLayer({ kind: "colour", colour: "red" })))).toBe("INVALID_ARGUMENT");
		expect(JSON.stringify(c)).toBe(before);
	});

	it("takes an announced broadcast (origin and path) and a recordings-folder file as sources, and refuses malformed ones", () => {
		let c = defaultScenes();
		const id = c.scenes[0]!.id;
		const guest = newLayer({ kind: "broadcast", originId: "o1", path: "guests/ada/cam.hang" });
		// A guest lands as a picture-in-picture, named after its path's last segment; a file fills the frame.
		expect(guest).toMatchObject({ name: "cam.hang", x: 0.66, y: 0.63, width: 0.3, height: 0.3, visible: true });
		c = addLayer(c, id, guest);
		c = addLayer(c, id, newLayer({ kind: "file", name: "show.mp4" }));
		expect(c.scenes[0]!.layers.at(-1)).toMatchObject({ name: "show.mp4", x: 0, y: 0, width: 1, height: 1 });
		// The same guest in a second scene and a hidden layer are followed once; captures are unchanged.
		const two = addScene(c, "Guest");
		c = addLayer(two.collection, two.id, { ...newLayer({ kind: "broadcast", originId: "o1", path: "guests/ada/cam.hang" }), visible: false });
		expect(sceneRemoteSources(c.scenes)).toEqual([
			{ kind: "broadcast", originId: "o1", path: "guests/ada/cam.hang" },
			{ kind: "file", name: "show.mp4" },
		]);
		expect(sceneCaptures(c.scenes)).toEqual({ cameras: [""], screen: false });
		expect(SceneCollection.safeParse(c).success).toBe(true);
		// Bad sources: typed errors, nothing changed.
		const before = JSON.stringify(c);
		expect(code(() => addLayer(c, id, newLayer({ kind: "broadcast", originId: "", path: "x.hang" })))).toBe("INVALID_ARGUMENT");
		expect(code(() => addLayer(c, id, newLayer({ kind: "broadcast", originId: "o1", path: "" })))).toBe("INVALID_ARGUMENT");
		expect(code(() => addLayer(c, id, newLayer({ kind: "file", name: "" })))).toBe("INVALID_ARGUMENT");
		expect(code(() => updateLayer(c, id, guest.id, { source: { kind: "broadcast", path: "x.hang" } as never }))).toBe("INVALID_ARGUMENT");
		expect(JSON.stringify(c)).toBe(before);
		// Through the contract's schema, as a host receives them.
		expect(methods["scenes.set"].args.safeParse({ collection: c }).success).toBe(true);
		expect(methods["scenes.set"].args.safeParse({ collection: { ...c, scenes: [{ ...c.scenes[0]!, layers: [{ ...guest, source: { kind: "broadcast", originId: "o1", path: "a", extra: 1 } }] }] } }).success).toBe(false);
	});
});

describe("scenes in the engine", () => {
	it("serves scenes.get/scenes.set, validates them at the boundary, and keeps them across a restart", async () => {
		const dataDir = join(dir, "data");
		let studio = new Studio({ host: "web", dataDir });
		await studio.start();
		expect(await studio.handlers["scenes.get"]({})).toEqual(defaultScenes());
		const png = `data:image/png;base64,${Buffer.from("not really a png").toString("base64")}`;
		const { collection, id } = addScene(defaultScenes(), "Logo");
		const edited = addLayer(collection, id, newLayer({ kind: "image", url: png }));
		// What a host does with an incoming call: the contract's schema first.
		const args = methods["scenes.set"].args.parse({ collection: edited });
		await studio.handlers["scenes.set"](args);
		// Bad input never reaches the engine: a program scene that does not exist, an image too large.
		expect(methods["scenes.set"].args.safeParse({ collection: { ...edited, programId: "nope" } }).success).toBe(false);
		const tooBig = addLayer(defaultScenes(), "main", newLayer({ kind: "colour", colour: "#000000" }));
		tooBig.scenes[0]!.layers[1]!.source = { kind: "image", url: `data:image/png;base64,${"A".repeat(MAX_IMAGE_URL)}` };
		expect(methods["scenes.set"].args.safeParse({ collection: tooBig }).success).toBe(false);
		// Too large as a whole: a typed error, and the saved scenes stay.
		const many = Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, name: `S${i}`, layers: [{ ...newLayer({ kind: "image", url: `data:image/png;base64,${"A".repeat(MAX_IMAGE_URL - 30)}` }), id: "l" }] }));
		await expect(studio.handlers["scenes.set"]({ collection: { scenes: many, programId: "s0" } })).rejects.toMatchObject({ codeName: "INVALID_ARGUMENT" });
		await studio.close();

		studio = new Studio({ host: "web", dataDir });
		await studio.start();
		expect(await studio.handlers["scenes.get"]({})).toEqual(edited);
		await studio.close();

		// A corrupt file is set aside, and the studio starts with the default scenes.
		await writeFile(join(dataDir, "scenes.json"), "{ not json");
		studio = new Studio({ host: "web", dataDir });
		await studio.start();
		expect(await studio.handlers["scenes.get"]({})).toEqual(defaultScenes());
		expect((await readdir(dataDir)).some((n) => n.startsWith("scenes.json.corrupt-"))).toBe(true);
		await studio.close();
		expect(JSON.parse(await readFile(join(dataDir, "settings.json"), "utf8"))).not.toHaveProperty("scenes");
	});
});
