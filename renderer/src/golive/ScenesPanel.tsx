/**
 * The Scenes panel of Go Live (issue 16): the scenes (add, duplicate, rename, delete, reorder,
 * take to program with a cut or a fade), the layers of the scene being edited (add, show/hide,
 * position and size in percent of the program, crop, opacity, reorder, delete) and the compositor's
 * figures. It opens the program at the chosen quality and keeps it while live. In studio mode (a
 * preference) the scene being edited is the preview, painted beside the program, and only Take
 * (ProgramPreview, or Ctrl/Cmd+Enter) changes the program.
 */
import { ArrowDown, ArrowUp, Copy, Plus, Trash2 } from "lucide-react";
import { useEffect, useState } from "react";
import {
	addLayer,
	addScene,
	deleteLayer,
	deleteScene,
	duplicateScene,
	moveLayer,
	moveScene,
	newLayer,
	renameScene,
	updateLayer,
	Crop,
	type Layer,
	type LayerSource,
	type SceneCollection,
} from "../../../shared/scenes";
import { StudioError } from "../../../shared/errors";
import { errorText } from "../lib/errors";
import { usePreferences } from "../stores/preferences";
import { useScenes } from "./compositor/scenes-store";
import { LayerSourceState, SceneSourcePicker } from "./SceneSourcePicker";
import { selectedPreset, useGoLive } from "./store";

type NewKind = "camera" | "screen" | "image" | "colour" | "lower-third" | "clock" | "broadcast" | "file";

function sourceFor(kind: NewKind, image: string | null, remote: LayerSource | null = null): LayerSource | null {
	switch (kind) {
		case "broadcast":
		case "file":
			return remote;
		case "camera":
			return { kind: "camera" };
		case "screen":
			return { kind: "screen" };
		case "colour":
			return { kind: "colour", colour: "#1e90ff" };
		case "lower-third":
			return { kind: "text", style: "lower-third", text: "Lower third", colour: "#ffffff", background: "#202040" };
		case "clock":
			return { kind: "text", style: "clock", text: "", colour: "#ffffff", background: "#000000" };
		case "image":
			return image ? { kind: "image", url: image } : null;
	}
}

function readDataUrl(file: File): Promise<string> {
	return new Promise((resolve, reject) => {
		const reader = new FileReader();
		reader.onload = () => resolve(String(reader.result));
		reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"));
		reader.readAsDataURL(file);
	});
}

const pct = (v: number) => Math.round(v * 1000) / 10;

const CROP_EDGES = ["top", "right", "bottom", "left"] as const;

/**
 * A layer's crop with one edge set to `percent`, checked by the shared {@link Crop} schema; a
 * typed error that says what is allowed otherwise (the layer keeps its crop).
 */
function cropWith(layer: Layer, edge: (typeof CROP_EDGES)[number], percent: number): Crop {
	const next = { ...layer.crop, [edge]: percent / 100 };
	const parsed = Crop.safeParse(next);
	if (parsed.success) return parsed.data;
	const issue = parsed.error.issues[0];
	throw new StudioError(
		"INVALID_ARGUMENT",
		issue?.path.length
			? `${layer.name}: crop ${edge} must be between 0 and 100 %`
			: `${layer.name}: a crop must leave some of the picture (left + right and top + bottom below 100 %)`,
	);
}

/** Scenes panels mounted now (the program closes when none is and nothing is live). */
let mounted = 0;

/** One layer's row: visibility, geometry in percent, opacity, source settings, order. */
function LayerRow({ layer, index, count, apply }: { layer: Layer; index: number; count: number; apply: (edit: (c: SceneCollection, sceneId: string) => SceneCollection) => void }) {
	const patch = (p: Partial<Omit<Layer, "id">>) => apply((c, s) => updateLayer(c, s, layer.id, p));
	const geometry = (["x", "y", "width", "height"] as const).map((key) => (
		<label key={key}>
			{key === "x" ? "X" : key === "y" ? "Y" : key === "width" ? "W" : "H"} %
			<input
				type="number"
				step={0.5}
				aria-label={`${layer.name} ${key}`}
				value={pct(layer[key])}
				onChange={(e) => Number.isFinite(e.target.valueAsNumber) && patch({ [key]: e.target.valueAsNumber / 100 })}
			/>
		</label>
	));
	return (
		<li className="scene-layer" data-layer={layer.id}>
			<label className="checkbox-row">
				<input type="checkbox" checked={layer.visible} aria-label={`Show ${layer.name}`} onChange={(e) => patch({ visible: e.target.checked })} />
				{layer.name}
			</label>
			<LayerSourceState source={layer.source} name={layer.name} />
			<div className="scene-layer-geometry">
				{geometry}
				<label>
					Opacity %
					<input type="number" min={0} max={100} aria-label={`${layer.name} opacity`} value={pct(layer.opacity)} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && patch({ opacity: e.target.valueAsNumber / 100 })} />
				</label>
				{layer.source.kind !== "colour" &&
					layer.source.kind !== "text" &&
					CROP_EDGES.map((edge) => (
						<label key={edge}>
							Crop {edge} %
							<input
								type="number"
								min={0}
								max={100}
								step={1}
								aria-label={`${layer.name} crop ${edge}`}
								value={pct(layer.crop[edge])}
								onChange={(e) => Number.isFinite(e.target.valueAsNumber) && apply((c, s) => updateLayer(c, s, layer.id, { crop: cropWith(layer, edge, e.target.valueAsNumber) }))}
							/>
						</label>
					))}
				{layer.source.kind === "colour" && (
					<input type="color" aria-label={`${layer.name} colour`} value={layer.source.colour} onChange={(e) => patch({ source: { kind: "colour", colour: e.target.value } })} />
				)}
				{layer.source.kind === "text" && layer.source.style === "lower-third" && (
					<input aria-label={`${layer.name} text`} value={layer.source.text} onChange={(e) => layer.source.kind === "text" && patch({ source: { ...layer.source, text: e.target.value } })} />
				)}
			</div>
			<div className="scene-actions">
				<button type="button" aria-label={`Raise ${layer.name}`} disabled={index === count - 1} onClick={() => apply((c, s) => moveLayer(c, s, layer.id, index + 1))}>
					<ArrowUp size={14} />
				</button>
				<button type="button" aria-label={`Lower ${layer.name}`} disabled={index === 0} onClick={() => apply((c, s) => moveLayer(c, s, layer.id, index - 1))}>
					<ArrowDown size={14} />
				</button>
				<button type="button" aria-label={`Delete ${layer.name}`} onClick={() => apply((c, s) => deleteLayer(c, s, layer.id))}>
					<Trash2 size={14} />
				</button>
			</div>
		</li>
	);
}

/** The Scenes panel; mounted by the Go Live view when its video source is "Scenes". */
export function ScenesPanel() {
	const { collection, editingId, transition, program, error, loaded } = useScenes();
	useScenes((s) => s.tick);
	const preset = useGoLive((s) => selectedPreset(s.form));
	const live = useGoLive((s) => s.live !== null);
	const [kind, setKind] = useState<NewKind>("colour");
	const [problem, setProblem] = useState<string | null>(null);
	const [remote, setRemote] = useState<LayerSource | null>(null);
	const { width, height, framerate } = preset;
	const renderer = useScenes((s) => s.renderer);
	const studioMode = usePreferences((s) => s.studioMode);

	useEffect(() => {
		if (!useScenes.getState().loaded) void useScenes.getState().load();
	}, []);
	useEffect(() => {
		// The program keeps its format while live; it follows the quality chosen before.
		if (!useGoLive.getState().live) useScenes.getState().openProgram({ width, height, framerate, renderer });
	}, [width, height, framerate, renderer]);
	useEffect(() => {
		mounted++;
		return () => {
			mounted--;
			// Live, the program keeps feeding the encoder: it closes when the broadcast ends, unless the panel is back.
			if (!useGoLive.getState().live) return useScenes.getState().closeProgram();
			const stop = useGoLive.subscribe((s) => {
				if (s.live) return;
				stop();
				if (mounted === 0) useScenes.getState().closeProgram();
			});
		};
	}, []);

	useEffect(() => {
		// Studio mode: the compositor also paints the scene being edited, as the preview.
		program?.setPreview(studioMode ? editingId : null);
		return () => program?.setPreview(null);
	}, [program, studioMode, editingId]);

	const commit = useScenes((s) => s.commit);
	const run = (edit: () => SceneCollection) => {
		try {
			setProblem(null);
			commit(edit());
		} catch (err) {
			setProblem(errorText(err));
		}
	};
	const editing = collection.scenes.find((s) => s.id === editingId) ?? collection.scenes[0]!;
	const applyToEditing = (edit: (c: SceneCollection, sceneId: string) => SceneCollection) => run(() => edit(useScenes.getState().collection, editing.id));

	const add = async (file?: File) => {
		try {
			const image = file ? await readDataUrl(file) : null;
			const source = sourceFor(kind, image, remote);
			if (!source) return setProblem(kind === "broadcast" ? "Choose an announced broadcast to add." : kind === "file" ? "Choose a media file to add." : "Choose an image file to add an image layer.");
			applyToEditing((c, s) => addLayer(c, s, newLayer(source)));
		} catch (err) {
			setProblem(errorText(err));
		}
	};

	return (
		<section className="scenes-panel" aria-label="Scenes">
			<div className="scenes-column">
				<h2>Scenes</h2>
				<ul className="scene-list" aria-label="Scene list">
					{collection.scenes.map((s, i) => (
						<li key={s.id} data-scene={s.id} className={s.id === editing.id ? "editing" : undefined}>
							<button type="button" aria-pressed={s.id === editing.id} onClick={() => useScenes.getState().edit(s.id)}>
								{s.name}
							</button>
							{s.id === collection.programId ? (
								<span className="badge" aria-label={`${s.name} is on program`}>
									Program
								</span>
							) : studioMode ? (
								// Studio mode: the program changes only with Take (beside the preview).
								s.id === editing.id && (
									<span className="badge" aria-label={`${s.name} is on preview`}>
										Preview
									</span>
								)
							) : (
								<button type="button" aria-label={`Take ${s.name}`} onClick={() => run(() => ({ ...useScenes.getState().collection, programId: s.id }))}>
									Take
								</button>
							)}
							<button type="button" aria-label={`Move ${s.name} up`} disabled={i === 0} onClick={() => run(() => moveScene(useScenes.getState().collection, s.id, i - 1))}>
								<ArrowUp size={14} />
							</button>
							<button type="button" aria-label={`Duplicate ${s.name}`} onClick={() => run(() => duplicateScene(useScenes.getState().collection, s.id).collection)}>
								<Copy size={14} />
							</button>
							<button type="button" aria-label={`Delete ${s.name}`} disabled={collection.scenes.length === 1} onClick={() => run(() => deleteScene(useScenes.getState().collection, s.id))}>
								<Trash2 size={14} />
							</button>
						</li>
					))}
				</ul>
				<button type="button" onClick={() => run(() => addScene(useScenes.getState().collection, `Scene ${collection.scenes.length + 1}`).collection)}>
					<Plus size={14} /> Add scene
				</button>
				<label className="checkbox-row">
					<input type="checkbox" checked={studioMode} onChange={(e) => usePreferences.getState().set("studioMode", e.target.checked)} /> Studio mode
				</label>
				<label>
					Transition
					<select
						aria-label="Transition"
						value={transition.kind}
						onChange={(e) => useScenes.getState().setTransition(e.target.value === "fade" ? { kind: "fade", ms: 500 } : { kind: "cut" })}
					>
						<option value="cut">Cut</option>
						<option value="fade">Fade (0.5 s)</option>
					</select>
				</label>
			</div>
			<div className="scenes-column">
				<label>
					Scene name
					<input aria-label="Scene name" key={editing.id} defaultValue={editing.name} onBlur={(e) => e.target.value !== editing.name && run(() => renameScene(useScenes.getState().collection, editing.id, e.target.value))} />
				</label>
				<h3>Layers (top first)</h3>
				<ul className="layer-list" aria-label="Layers">
					{editing.layers
						.map((layer, index) => ({ layer, index }))
						.reverse()
						.map(({ layer, index }) => (
							<LayerRow key={layer.id} layer={layer} index={index} count={editing.layers.length} apply={applyToEditing} />
						))}
				</ul>
				<div className="scene-add-layer">
					<select aria-label="New layer source" value={kind} onChange={(e) => setKind(e.target.value as NewKind)}>
						<option value="camera">Camera</option>
						<option value="screen">Screen or window</option>
						<option value="image">Image</option>
						<option value="colour">Solid colour</option>
						<option value="lower-third">Lower third</option>
						<option value="clock">Clock</option>
						<option value="broadcast">Announced broadcast</option>
						<option value="file">Media file (recordings folder)</option>
					</select>
					{(kind === "broadcast" || kind === "file") && <SceneSourcePicker kind={kind} onChange={setRemote} />}
					{kind === "image" ? (
						<input type="file" accept="image/*" aria-label="Image file" onChange={(e) => e.target.files?.[0] && void add(e.target.files[0])} />
					) : (
						<button type="button" onClick={() => void add()}>
							<Plus size={14} /> Add layer
						</button>
					)}
				</div>
				<label>
					Drawing
					<select aria-label="Compositor drawing" value={renderer} disabled={live} onChange={(e) => useScenes.getState().setRenderer(e.target.value as "auto" | "webgl2" | "2d", live)}>
						<option value="auto">Automatic (WebGL2 on a GPU)</option>
						<option value="webgl2">WebGL2 (2D canvas without it)</option>
						<option value="2d">2D canvas</option>
					</select>
				</label>
				{(problem || error) && <p role="alert">{problem ?? error}</p>}
				{program && (
					<p
						className="muted"
						aria-label="Compositor"
						data-renderer={program.renderer?.renderer}
						data-webgl2={program.renderer?.webgl2 ? "yes" : "no"}
						data-device={program.renderer?.device}
						data-drawn={program.stats?.drawn}
						data-late={program.stats?.late}
						data-sent={program.stats?.sent}
						data-draw-p50={program.stats?.drawP50Ms}
						data-draw-p99={program.stats?.drawP99Ms}
					>
						Program {program.format.width}×{program.format.height} at {program.format.framerate} fps
						{program.renderer && ` · ${program.renderer.renderer} canvas${program.renderer.webgl2 ? ` (WebGL2 available${program.renderer.device ? `: ${program.renderer.device}` : ""})` : " (no WebGL2)"}`}
						{program.stats && ` · draw p50 ${program.stats.drawP50Ms.toFixed(1)} ms, p99 ${program.stats.drawP99Ms.toFixed(1)} ms · late ${program.stats.late}`}
						{live && " · live"}
						{[...program.problems.values()].map((p) => ` · ${p}`).join("")}
					</p>
				)}
				{!loaded && <p className="muted">Loading scenes…</p>}
			</div>
		</section>
	);
}
