/**
 * The studio's scenes (issue 16), persisted in `<dataDir>/scenes.json` apart from settings.json:
 * a collection may carry inline images far larger than the flat preferences allow. Written
 * atomically (temp file + rename), saves serialised; without a data dir they live in memory.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StudioError } from "../../../shared/errors";
import { MAX_COLLECTION_CHARS, SceneCollection, defaultScenes } from "../../../shared/scenes";

/** Loads, validates and saves the scene collection. */
export class SceneStore {
	readonly #path: string | undefined;
	#collection: SceneCollection = defaultScenes();
	#pending: Promise<void> = Promise.resolve();

	/** `dir`: the data dir; undefined keeps scenes in memory only (tests, a throwaway CLI). */
	constructor(dir: string | undefined) {
		this.#path = dir ? join(dir, "scenes.json") : undefined;
	}

	/** Reads the saved collection; a missing file gives the default, a corrupt one is set aside and gives the default. */
	async load(): Promise<SceneCollection> {
		if (!this.#path) return this.#collection;
		let text: string;
		try {
			text = await readFile(this.#path, "utf8");
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code === "ENOENT") return this.#collection;
			throw new StudioError("IO", `cannot read scenes: ${(err as Error).message}`);
		}
		let json: unknown;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		const parsed = SceneCollection.safeParse(json);
		if (parsed.success) this.#collection = parsed.data;
		else await rename(this.#path, `${this.#path}.corrupt-${Date.now()}`).catch(() => {});
		return this.#collection;
	}

	/** The current collection. */
	get(): SceneCollection {
		return this.#collection;
	}

	/** Replaces the collection (already validated by the contract) and saves it; INVALID_ARGUMENT when too large. */
	async set(collection: SceneCollection): Promise<SceneCollection> {
		const text = JSON.stringify(collection);
		if (text.length > MAX_COLLECTION_CHARS) throw new StudioError("INVALID_ARGUMENT", `the scenes are too large to save (${Math.round(text.length / 1000)} kB of ${MAX_COLLECTION_CHARS / 1000} kB): use smaller images`);
		this.#collection = collection;
		const path = this.#path;
		if (!path) return collection;
		this.#pending = this.#pending.catch(() => {}).then(async () => {
			await mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
			const tmp = `${path}.${process.pid}.tmp`;
			await writeFile(tmp, `${text}\n`, { mode: 0o600 });
			await rename(tmp, path);
		});
		await this.#pending.catch((err: unknown) => {
			throw new StudioError("IO", `cannot save scenes: ${(err as Error).message}`);
		});
		return collection;
	}
}
