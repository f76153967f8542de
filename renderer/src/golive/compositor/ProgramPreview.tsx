/**
 * The program preview (issue 16): the compositor paints the program into this canvas, scaled,
 * every frame, before and while live. The canvas belongs to the program; this only shows it and
 * lets the user drag the program scene's layers: the topmost visible layer under the pointer
 * moves, or resizes when grabbed by its bottom-right corner. In studio mode a second one shows
 * the preview scene (the scene being edited), and dragging there moves that scene's layers.
 */
import { useEffect, useRef } from "react";
import { updateLayer, type Layer } from "../../../../shared/scenes";
import { usePreferences } from "../../stores/preferences";
import { useScenes } from "./scenes-store";

/** How near the bottom-right corner (fraction of the program) a grab resizes instead of moving. */
const CORNER = 0.03;

/** Which scene a preview pane shows: the one on program, or studio mode's preview (the one being edited). */
export type PreviewPane = "program" | "preview";

function paneSceneId(pane: PreviewPane): string {
	const { collection, editingId } = useScenes.getState();
	return pane === "program" ? collection.programId : editingId;
}

/** The topmost visible layer of the pane's scene at (fx, fy), fractions of the program. */
function layerAt(pane: PreviewPane, fx: number, fy: number): Layer | undefined {
	const { collection } = useScenes.getState();
	const id = paneSceneId(pane);
	const scene = collection.scenes.find((s) => s.id === id);
	return scene?.layers.findLast((l) => l.visible && fx >= l.x && fx <= l.x + l.width && fy >= l.y && fy <= l.y + l.height);
}

/** Attaches move/resize dragging to the preview canvas; returns the detacher. */
function dragLayers(canvas: HTMLCanvasElement, pane: PreviewPane): () => void {
	let drag: { layer: Layer; sceneId: string; fx: number; fy: number; resize: boolean; pointer: number } | undefined;
	const at = (ev: PointerEvent) => {
		const r = canvas.getBoundingClientRect();
		return { fx: (ev.clientX - r.left) / r.width, fy: (ev.clientY - r.top) / r.height };
	};
	const down = (ev: PointerEvent) => {
		const { fx, fy } = at(ev);
		const layer = layerAt(pane, fx, fy);
		if (!layer) return;
		const resize = Math.abs(fx - (layer.x + layer.width)) < CORNER && Math.abs(fy - (layer.y + layer.height)) < CORNER;
		drag = { layer, sceneId: paneSceneId(pane), fx, fy, resize, pointer: ev.pointerId };
		canvas.setPointerCapture(ev.pointerId);
	};
	const move = (ev: PointerEvent) => {
		if (!drag || ev.pointerId !== drag.pointer) return;
		const { fx, fy } = at(ev);
		const dx = fx - drag.fx;
		const dy = fy - drag.fy;
		const { layer } = drag;
		const round = (v: number) => Math.round(v * 1000) / 1000;
		const patch = drag.resize
			? { width: round(Math.max(0.02, layer.width + dx)), height: round(Math.max(0.02, layer.height + dy)) }
			: { x: round(Math.min(1, Math.max(-layer.width + 0.02, layer.x + dx))), y: round(Math.min(1, Math.max(-layer.height + 0.02, layer.y + dy))) };
		try {
			const { collection, commit } = useScenes.getState();
			commit(updateLayer(collection, drag.sceneId, layer.id, patch));
		} catch {
			// A drag beyond what a layer may be (off the allowed range) stops at the last valid place.
		}
	};
	const up = (ev: PointerEvent) => {
		if (drag && ev.pointerId === drag.pointer) drag = undefined;
	};
	canvas.addEventListener("pointerdown", down);
	canvas.addEventListener("pointermove", move);
	canvas.addEventListener("pointerup", up);
	canvas.addEventListener("pointercancel", up);
	return () => {
		canvas.removeEventListener("pointerdown", down);
		canvas.removeEventListener("pointermove", move);
		canvas.removeEventListener("pointerup", up);
		canvas.removeEventListener("pointercancel", up);
	};
}

/** The key that takes the preview to program in studio mode, as shown in the Take button's title. */
export const TAKE_SHORTCUT = "Ctrl/Cmd+Enter";

/**
 * The program's preview; in studio mode (a preference) the preview scene and the program side
 * by side with the Take button between them.
 */
export function ProgramPreview() {
	const studioMode = usePreferences((s) => s.studioMode);
	const transition = useScenes((s) => s.transition);
	const same = useScenes((s) => s.editingId === s.collection.programId);
	if (!studioMode) return <PreviewCanvas pane="program" />;
	return (
		<div className="studio-panes" role="group" aria-label="Studio mode">
			<figure>
				<figcaption>Preview</figcaption>
				<PreviewCanvas pane="preview" />
			</figure>
			<button
				type="button"
				className="button primary studio-take"
				disabled={same}
				title={`Put the preview scene on program with a ${transition.kind} (${TAKE_SHORTCUT}); the program scene comes to preview`}
				onClick={() => useScenes.getState().takePreview()}
			>
				Take
			</button>
			<figure>
				<figcaption>Program</figcaption>
				<PreviewCanvas pane="program" />
			</figure>
		</div>
	);
}

/**
 * Shows the running program's preview canvas (`pane` "program"), or studio mode's preview scene
 * ("preview"), or a note while the program starts.
 */
function PreviewCanvas({ pane }: { pane: PreviewPane }) {
	const program = useScenes((s) => s.program);
	const holder = useRef<HTMLDivElement>(null);
	useEffect(() => {
		if (!program || !holder.current) return;
		const canvas = pane === "program" ? program.preview : program.studio;
		canvas.classList.add("preview");
		canvas.setAttribute("role", "img");
		canvas.setAttribute("aria-label", pane === "program" ? "Program preview" : "Preview scene");
		holder.current.append(canvas);
		const detach = dragLayers(canvas, pane);
		return () => {
			detach();
			canvas.remove();
		};
	}, [program, pane]);
	return (
		<div className="preview-pane" data-preview={program ? pane : "none"}>
			<div ref={holder} className="preview-holder" />
			{!program && <div className="preview-empty">Starting the program…</div>}
		</div>
	);
}
