/**
 * The tray / menu-bar icon: shows the studio's state (idle, live, recording, a session failed) in
 * its image and tooltip, and offers the actions that matter while the window is hidden: show the
 * window, stop going live, stop all recordings, quit.
 */
import type { BusyLevel, BusySummary } from "../engine/busy";
import type { BusyObservable, MenuFactory, MenuItemTemplate } from "./electron-like";

/** The part of Electron's `Tray` used here (`I` is a `NativeImage`, `M` a `Menu`). */
export interface TrayLike<I, M> {
	setImage(image: I): void;
	setToolTip(toolTip: string): void;
	setContextMenu(menu: M | null): void;
	on(event: "click", listener: () => void): unknown;
	destroy(): void;
}

/** What the tray's items do. */
export interface TrayActions {
	showWindow(): void;
	/** Ends every live broadcast (Go Live and file publications). */
	stopLive(): Promise<void>;
	stopRecordings(): Promise<void>;
	quit(): void;
}

/** The tooltip for a summary, e.g. `MoQ Studio: live (1), recording (2)`. */
export function trayToolTip(summary: BusySummary): string {
	const parts: string[] = [];
	if (summary.failedSessions.length > 0) parts.push(`${summary.failedSessions.length} session${summary.failedSessions.length > 1 ? "s" : ""} failed`);
	if (summary.live.length > 0) parts.push(`live (${summary.live.length})`);
	if (summary.recordings.length > 0) parts.push(`recording (${summary.recordings.length})`);
	return `MoQ Studio: ${parts.length > 0 ? parts.join(", ") : "idle"}`;
}

/** The tray's context menu for a summary. */
export function trayMenu(summary: BusySummary, actions: TrayActions, onError: (what: string, err: unknown) => void): MenuItemTemplate[] {
	const run = (what: string, action: () => Promise<void>) => () => void action().catch((err: unknown) => onError(what, err));
	return [
		{ label: trayToolTip(summary).replace(/^MoQ Studio: /, "Status: "), enabled: false },
		{ type: "separator" },
		{ label: "Show MoQ Studio", click: () => actions.showWindow() },
		{ label: "Stop going live", enabled: summary.live.length > 0, click: run("stop going live", () => actions.stopLive()) },
		{ label: "Stop all recordings", enabled: summary.recordings.length > 0, click: run("stop all recordings", () => actions.stopRecordings()) },
		{ type: "separator" },
		{ label: "Quit MoQ Studio", click: () => actions.quit() },
	];
}

/**
 * Keeps a tray in step with the busy state. `icon(level)` gives the image for a state.
 * Returns the function that removes the tray.
 */
export function followInTray<I, M>(
	tray: TrayLike<I, M>,
	options: { busy: BusyObservable; menu: MenuFactory<M>; icon: (level: BusyLevel) => I; actions: TrayActions; onError: (what: string, err: unknown) => void },
): () => void {
	let shownLevel: BusyLevel | undefined;
	const render = (summary: BusySummary) => {
		if (summary.level !== shownLevel) {
			tray.setImage(options.icon(summary.level));
			shownLevel = summary.level;
		}
		tray.setToolTip(trayToolTip(summary));
		tray.setContextMenu(options.menu.buildFromTemplate(trayMenu(summary, options.actions, options.onError)));
	};
	render(options.busy.current);
	const unsubscribe = options.busy.subscribe((now) => render(now));
	// A click shows the window (Windows and most Linux trays; macOS opens the menu instead).
	tray.on("click", () => options.actions.showWindow());
	return () => {
		unsubscribe();
		tray.destroy();
	};
}

/** The engine slices the tray's stop actions use; a `Studio` satisfies it. */
export interface StoppableStudio {
	golive: { stopAll(): Promise<void> };
	publishing: { list(): { id: string; state: string }[]; stop(id: string): Promise<unknown> };
	recordings: { stopAll(): Promise<void> };
}

/** The tray's stop actions over a studio. */
export function studioStopActions(studio: StoppableStudio): Pick<TrayActions, "stopLive" | "stopRecordings"> {
	return {
		stopLive: async () => {
			const publishing = studio.publishing.list().filter((p) => p.state === "publishing");
			await Promise.all([studio.golive.stopAll(), ...publishing.map((p) => studio.publishing.stop(p.id))]);
		},
		stopRecordings: () => studio.recordings.stopAll(),
	};
}

/** The colour of each state's dot (RGB). */
export const TRAY_COLOURS: Record<BusyLevel, [number, number, number]> = {
	idle: [0x8a, 0x93, 0xa3],
	live: [0xe5, 0x39, 0x35],
	recording: [0xfb, 0x8c, 0x00],
	failed: [0xfd, 0xd8, 0x35],
};

/**
 * A tray image for `level` as raw BGRA pixels (`nativeImage.createFromBitmap`): a filled dot in
 * the state's colour; `failed` gets a dark bar (an exclamation) so it reads without colour.
 * Drawn in code: no image files to ship per state and size.
 */
export function trayIconBitmap(level: BusyLevel, size = 16): Buffer {
	const pixels = Buffer.alloc(size * size * 4);
	const [r, g, b] = TRAY_COLOURS[level];
	const c = (size - 1) / 2;
	const radius = size / 2 - 0.5;
	for (let y = 0; y < size; y++) {
		for (let x = 0; x < size; x++) {
			const d = Math.hypot(x - c, y - c);
			// One pixel of soft edge, so the dot is not jagged.
			const alpha = Math.max(0, Math.min(1, radius - d + 0.5));
			if (alpha === 0) continue;
			let [pr, pg, pb] = [r, g, b];
			const bar = Math.abs(x - c) <= size / 16 + 0.5 && ((y >= size * 0.22 && y <= size * 0.6) || (y >= size * 0.7 && y <= size * 0.8));
			if (level === "failed" && bar) [pr, pg, pb] = [0x20, 0x20, 0x20];
			const i = (y * size + x) * 4;
			// Premultiplied, as Skia's N32 bitmaps (what createFromBitmap takes) are.
			pixels[i] = Math.round(pb * alpha);
			pixels[i + 1] = Math.round(pg * alpha);
			pixels[i + 2] = Math.round(pr * alpha);
			pixels[i + 3] = Math.round(alpha * 255);
		}
	}
	return pixels;
}
