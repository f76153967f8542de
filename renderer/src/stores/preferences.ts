/**
 * Preferences the engine persists for the UI (`preferences.get` / `preferences.set`): the theme
 * override, the log level shown, the Broadcasts filter, the Monitor's multiview (layout and the
 * broadcast of each tile), Go Live's default quality and origin. Changes apply at once and are
 * saved shortly after, in one call for a burst of changes (typing in a filter box).
 */
import { create } from "zustand";
import type { LogLevel } from "../../../shared/models";
import type { Preferences } from "../../../shared/sessions";
import { requireApi } from "./host";
import { useNotifications } from "./notifications";

/** The multiview layouts: tiles in a square grid. */
export const MULTIVIEW_LAYOUTS = [1, 4, 9, 16] as const;
/** One of {@link MULTIVIEW_LAYOUTS}. */
export type MultiviewLayout = (typeof MULTIVIEW_LAYOUTS)[number];
/** The most tiles a layout has; the tile list always has this many entries. */
export const MULTIVIEW_MAX_TILES = 16;

/** The broadcast a multiview tile shows. */
export interface MultiviewTile {
	originId: string;
	path: string;
}

/** The theme: follow the OS, or force one. */
export type ThemeChoice = "system" | "dark" | "light";

/** The preference keys the UI uses, with their types and defaults. */
export interface UiPreferences {
	theme: ThemeChoice;
	logLevel: LogLevel;
	broadcastsPrefix: string;
	broadcastsSearch: string;
	logOpen: boolean;
	multiviewLayout: MultiviewLayout;
	/** {@link MULTIVIEW_MAX_TILES} entries, a broadcast or null (empty); tiles beyond the layout are remembered. */
	multiviewTiles: readonly (MultiviewTile | null)[];
	/** The quality preset Go Live starts with (a preset id of `golive/presets.ts`). */
	goLivePreset: string;
	/** The origin Go Live starts with (an origin id; empty: the "studio" origin, else the first). */
	goLiveOrigin: string;
	/** Scenes' studio mode (issue 16): edit a preview scene beside the program, then take it. */
	studioMode: boolean;
}

/** What a fresh install shows. */
export const DEFAULT_PREFERENCES: UiPreferences = {
	theme: "system",
	logLevel: "info",
	broadcastsPrefix: "",
	broadcastsSearch: "",
	logOpen: false,
	multiviewLayout: 1,
	multiviewTiles: Array.from({ length: MULTIVIEW_MAX_TILES }, () => null),
	goLivePreset: "720p30",
	goLiveOrigin: "",
	studioMode: false,
};

/**
 * The engine keeps flat values (strings up to 1,000 characters), so each tile is its own key
 * (`ui.multiviewTile.N`, JSON or null): 16 tiles with long paths would not fit in one.
 */
const TILE_KEY = "ui.multiviewTile.";

function parseTile(value: unknown): MultiviewTile | null {
	if (typeof value !== "string") return null;
	try {
		const t = JSON.parse(value) as Partial<MultiviewTile>;
		return typeof t.originId === "string" && typeof t.path === "string" && t.path !== "" ? { originId: t.originId, path: t.path } : null;
	} catch {
		return null;
	}
}

/** The record entries of one preference (the tiles take one key each). */
function toRecord<K extends keyof UiPreferences>(key: K, value: UiPreferences[K]): Preferences {
	if (key !== "multiviewTiles") return { [`ui.${key}`]: value as string | number | boolean };
	const out: Preferences = {};
	(value as UiPreferences["multiviewTiles"]).forEach((tile, i) => {
		const json = tile ? JSON.stringify({ originId: tile.originId, path: tile.path }) : null;
		// A path too long for one value is not remembered rather than refused as a whole.
		out[`${TILE_KEY}${i}`] = json && json.length <= 1000 ? json : null;
	});
	return out;
}

/** The preference a record key belongs to. */
function keyOf(recordKey: string): keyof UiPreferences {
	return (recordKey.startsWith(TILE_KEY) ? "multiviewTiles" : recordKey.replace(/^ui\./, "")) as keyof UiPreferences;
}

const LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug", "trace"];

/** Reads the engine's loose record into typed preferences, ignoring values of the wrong shape. */
export function fromRecord(record: Preferences): UiPreferences {
	const p = { ...DEFAULT_PREFERENCES };
	const theme = record["ui.theme"];
	if (theme === "system" || theme === "dark" || theme === "light") p.theme = theme;
	const level = record["ui.logLevel"];
	if (typeof level === "string" && (LEVELS as string[]).includes(level)) p.logLevel = level as LogLevel;
	if (typeof record["ui.broadcastsPrefix"] === "string") p.broadcastsPrefix = record["ui.broadcastsPrefix"];
	if (typeof record["ui.broadcastsSearch"] === "string") p.broadcastsSearch = record["ui.broadcastsSearch"];
	if (typeof record["ui.logOpen"] === "boolean") p.logOpen = record["ui.logOpen"];
	const layout = record["ui.multiviewLayout"];
	if ((MULTIVIEW_LAYOUTS as readonly unknown[]).includes(layout)) p.multiviewLayout = layout as MultiviewLayout;
	p.multiviewTiles = Array.from({ length: MULTIVIEW_MAX_TILES }, (_, i) => parseTile(record[`${TILE_KEY}${i}`]));
	if (typeof record["ui.goLivePreset"] === "string" && record["ui.goLivePreset"]) p.goLivePreset = record["ui.goLivePreset"];
	if (typeof record["ui.goLiveOrigin"] === "string") p.goLiveOrigin = record["ui.goLiveOrigin"];
	if (typeof record["ui.studioMode"] === "boolean") p.studioMode = record["ui.studioMode"];
	return p;
}

/** State of the preferences. */
export interface PreferencesState extends UiPreferences {
	loaded: boolean;
	/** Loads the saved preferences once the host is known. */
	load(): Promise<void>;
	/** Changes one preference now and saves it soon. */
	set<K extends keyof UiPreferences>(key: K, value: UiPreferences[K]): void;
}

let pending: Preferences = {};
let timer: ReturnType<typeof setTimeout> | undefined;

function save(): void {
	timer = undefined;
	const preferences = pending;
	pending = {};
	requireApi()
		.invoke("preferences.set", { preferences })
		.catch((err: unknown) => useNotifications.getState().error("Could not save preferences", err));
}

/** The preferences store. */
export const usePreferences = create<PreferencesState>()((set) => ({
	...DEFAULT_PREFERENCES,
	loaded: false,
	async load() {
		try {
			const record = await requireApi().invoke("preferences.get", {});
			// Keep anything changed while loading.
			const changed = Object.keys(pending).map(keyOf);
			const loaded = fromRecord(record);
			for (const k of changed) delete (loaded as Partial<UiPreferences>)[k as keyof UiPreferences];
			set({ ...loaded, loaded: true });
		} catch {
			set({ loaded: true });
		}
	},
	set(key, value) {
		set({ [key]: value } as Partial<PreferencesState>);
		Object.assign(pending, toRecord(key, value));
		if (timer) clearTimeout(timer);
		timer = setTimeout(save, 400);
	},
}));
