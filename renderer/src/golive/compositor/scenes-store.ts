/**
 * The Scenes state of this window (issue 16): the collection the engine persists, the scene being
 * edited, and the program (compositor) that draws the scene on program. Every edit is applied to
 * the program at once and saved shortly after (one `scenes.set` for a burst of edits).
 */
import { create } from "zustand";
import { SceneCollection, defaultScenes, takeScene } from "../../../../shared/scenes";
import { errorText } from "../../lib/errors";
import { requireApi } from "../../stores/host";
import { Program, type ProgramFormat } from "./program";
import type { Transition } from "./protocol";

/** State and actions of the Scenes panel. */
export interface ScenesState {
	collection: SceneCollection;
	loaded: boolean;
	/** The scene the layer list edits (not necessarily the one on program). */
	editingId: string;
	/** How a take changes the program. */
	transition: Transition;
	program: Program | null;
	error: string | null;
	/** Bumped when the program's counters or problems change. */
	tick: number;
	load(): Promise<void>;
	/** Applies an edited collection: program at once, saved shortly after. */
	commit(next: SceneCollection): void;
	edit(id: string): void;
	setTransition(t: Transition): void;
	/** Puts a scene on program with the chosen transition. */
	take(id: string): void;
	/**
	 * Studio mode's Take: the scene on preview (the one being edited) goes on program with the
	 * chosen transition and the scene that was on program comes to preview (a swap, as in OBS).
	 * Nothing happens when both are the same scene.
	 */
	takePreview(): void;
	/** Opens the program at `format` (reopens when the format changed). */
	openProgram(format: ProgramFormat): void;
	/** What the program is drawn with when it next opens. */
	renderer: ProgramFormat["renderer"];
	/** Chooses the renderer; an open program that is not live reopens with it. */
	setRenderer(renderer: ProgramFormat["renderer"], live: boolean): void;
	closeProgram(): void;
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;

/** The Scenes store. */
export const useScenes = create<ScenesState>()((set, get) => ({
	collection: defaultScenes(),
	loaded: false,
	editingId: defaultScenes().programId,
	transition: { kind: "cut" },
	program: null,
	error: null,
	tick: 0,
	renderer: "auto",
	setRenderer(renderer, live) {
		set({ renderer });
		const program = get().program;
		if (program && !live) get().openProgram({ ...program.format, renderer });
	},
	async load() {
		try {
			const collection = SceneCollection.parse(await requireApi().invoke("scenes.get", {}));
			set({ collection, loaded: true, editingId: collection.programId });
			void get().program?.update(collection);
		} catch (err) {
			set({ error: errorText(err), loaded: true });
		}
	},
	commit(next) {
		const parsed = SceneCollection.safeParse(next);
		if (!parsed.success) return set({ error: parsed.error.issues[0]?.message ?? "invalid scenes" });
		const editingId = parsed.data.scenes.some((s) => s.id === get().editingId) ? get().editingId : parsed.data.programId;
		set({ collection: parsed.data, editingId, error: null });
		void get().program?.update(parsed.data, get().transition);
		clearTimeout(saveTimer);
		saveTimer = setTimeout(() => {
			requireApi()
				.invoke("scenes.set", { collection: get().collection })
				.catch((err: unknown) => set({ error: errorText(err) }));
		}, 300);
	},
	edit(id) {
		set({ editingId: id });
	},
	setTransition(transition) {
		set({ transition });
	},
	take(id) {
		get().commit(takeScene(get().collection, id));
	},
	takePreview() {
		const { collection, editingId } = get();
		const previous = collection.programId;
		if (editingId === previous || !collection.scenes.some((s) => s.id === editingId)) return;
		get().commit(takeScene(collection, editingId));
		set({ editingId: previous });
	},
	openProgram(format) {
		const current = get().program;
		if (current && current.format.width === format.width && current.format.height === format.height && current.format.framerate === format.framerate && current.format.renderer === format.renderer) return;
		current?.close();
		const program = new Program(format);
		program.onChange = () => set({ tick: get().tick + 1 });
		set({ program });
		void program.update(get().collection);
	},
	closeProgram() {
		get().program?.close();
		set({ program: null });
	},
}));
