/**
 * Preferences the engine persists for the UI (`preferences.get` / `preferences.set`): the theme
 * override, the log level shown, the Broadcasts filter. Changes apply at once and are saved
 * shortly after, in one call for a burst of changes (typing in a filter box).
 */
import { create } from "zustand";
import type { LogLevel } from "../../../shared/models";
import type { Preferences } from "../../../shared/sessions";
import { requireApi } from "./host";
import { useNotifications } from "./notifications";

/** The theme: follow the OS, or force one. */
export type ThemeChoice = "system" | "dark" | "light";

/** The preference keys the UI uses, with their types and defaults. */
export interface UiPreferences {
	theme: ThemeChoice;
	logLevel: LogLevel;
	broadcastsPrefix: string;
	broadcastsSearch: string;
	logOpen: boolean;
}

/** What a fresh install shows. */
export const DEFAULT_PREFERENCES: UiPreferences = {
	theme: "system",
	logLevel: "info",
	broadcastsPrefix: "",
	broadcastsSearch: "",
	logOpen: false,
};

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
			const changed = Object.keys(pending).map((k) => k.replace(/^ui\./, ""));
			const loaded = fromRecord(record);
			for (const k of changed) delete (loaded as Partial<UiPreferences>)[k as keyof UiPreferences];
			set({ ...loaded, loaded: true });
		} catch {
			set({ loaded: true });
		}
	},
	set(key, value) {
		set({ [key]: value } as Partial<PreferencesState>);
		pending[`ui.${key}`] = value;
		if (timer) clearTimeout(timer);
		timer = setTimeout(save, 400);
	},
}));
