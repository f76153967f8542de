/**
 * The engine's log as the log panel shows it: `log.recent` then `log.entries` batches, kept to
 * the last {@link LOG_CAPACITY} lines. Messages arrive already redacted by the engine.
 */
import { create } from "zustand";
import type { LogEntry, LogLevel } from "../../../shared/models";
import { requireApi } from "./host";

/** How many lines the panel keeps. */
export const LOG_CAPACITY = 2000;

/** Levels from most to least severe, as the filter lists them. */
export const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug", "trace"];

const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

/** True when `level` is at least as severe as `threshold`. */
export function atLeast(level: LogLevel, threshold: LogLevel): boolean {
	return rank[level] <= rank[threshold];
}

/** State of the log. */
export interface LogState {
	entries: LogEntry[];
	/** Errors that arrived since the panel was last opened. */
	unseenErrors: number;
	follow(): () => void;
	markSeen(): void;
	/**
	 * Adds a line from this window (scope `ui`), e.g. the code of an error a toast explained in
	 * words. It does not raise the red badge: the person has already seen the toast.
	 */
	addLocal(level: LogLevel, message: string): void;
}

/** The scope of lines the renderer adds itself. */
export const LOCAL_SCOPE = "ui";

/** The log store. */
export const useLog = create<LogState>()((set, get) => ({
	entries: [],
	unseenErrors: 0,
	follow() {
		const api = requireApi();
		let early: LogEntry[] | null = [];
		const off = api.on("log.entries", ({ entries }) => {
			if (early) {
				early.push(...entries);
				return;
			}
			const all = get().entries.concat(entries);
			const errors = entries.filter((e) => e.level === "error").length;
			set({ entries: all.length > LOG_CAPACITY ? all.slice(all.length - LOG_CAPACITY) : all, unseenErrors: get().unseenErrors + errors });
		});
		api.invoke("log.recent", { limit: LOG_CAPACITY }).then(
			(recent) => {
				const last = recent.at(-1)?.at ?? 0;
				// Batches that raced the list: keep what is newer than its last line.
				const later = (early ?? []).filter((e) => e.at > last);
				early = null;
				// Lines this window added before the list arrived stay, in time order.
				const local = get().entries.filter((e) => e.scope === LOCAL_SCOPE);
				const merged = recent.concat(later, local).sort((a, b) => a.at - b.at);
				set({ entries: merged.slice(-LOG_CAPACITY) });
			},
			() => {
				early = null;
			},
		);
		return off;
	},
	markSeen: () => set({ unseenErrors: 0 }),
	addLocal(level, message) {
		const all = get().entries.concat({ at: Date.now(), level, scope: LOCAL_SCOPE, message });
		set({ entries: all.length > LOG_CAPACITY ? all.slice(all.length - LOG_CAPACITY) : all });
	},
}));
