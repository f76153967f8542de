/**
 * The shell's settings, kept in the engine's preferences (so the renderer's settings page and
 * the web host see the same values). Missing values take their defaults.
 *
 * Reads are synchronous because some decisions cannot wait (a window's `close` handler must call
 * `preventDefault` before it returns); the Studio's `preferences.get` handler answers at once,
 * and an asynchronous source falls back to the last value it gave.
 */
import type { Preferences } from "../../shared/sessions";

/** Preference keys of the shell (booleans). */
export const ShellPreference = {
	/** Closing the window while live or recording keeps the app in the tray. Default on. */
	closeToTray: "shell.closeToTray",
	/** The "still running in the tray" notice was shown once. */
	trayNoticeShown: "shell.trayNoticeShown",
	/** Notifications, one switch per kind. Default on. */
	notifySessionFailed: "notify.sessionFailed",
	notifySessionReconnected: "notify.sessionReconnected",
	notifyRecording: "notify.recording",
	notifyLive: "notify.live",
} as const;

/** One of {@link ShellPreference}'s keys. */
export type ShellPreferenceKey = (typeof ShellPreference)[keyof typeof ShellPreference];

const DEFAULTS: Record<ShellPreferenceKey, boolean> = {
	"shell.closeToTray": true,
	"shell.trayNoticeShown": false,
	"notify.sessionFailed": true,
	"notify.sessionReconnected": true,
	"notify.recording": true,
	"notify.live": true,
};

/** Where preferences come from: the Studio's `preferences.get` / `preferences.set` handlers. */
export interface PreferenceSource {
	get(): Preferences | Promise<Preferences>;
	set(preferences: Preferences): unknown;
}

/** Reads and writes the shell's boolean settings. */
export class ShellSettings {
	readonly #source: PreferenceSource | undefined;
	#last: Preferences = {};

	/** Without a source every setting keeps its default (and writes stay in memory). */
	constructor(source?: PreferenceSource) {
		this.#source = source;
	}

	/** The current value of `key`. */
	get(key: ShellPreferenceKey): boolean {
		this.#read();
		const value = this.#last[key];
		return typeof value === "boolean" ? value : DEFAULTS[key];
	}

	/** Stores `value` for `key` (persisted by the engine with the other preferences). */
	set(key: ShellPreferenceKey, value: boolean): void {
		this.#last = { ...this.#last, [key]: value };
		try {
			const done = this.#source?.set({ [key]: value });
			if (done instanceof Promise) done.catch(() => undefined);
		} catch {
			// A setting that cannot be saved still holds for this run.
		}
	}

	#read(): void {
		if (!this.#source) return;
		try {
			const got = this.#source.get();
			if (got instanceof Promise) {
				got.then(
					(p) => (this.#last = { ...this.#last, ...p }),
					() => undefined,
				);
			} else {
				this.#last = { ...this.#last, ...got };
			}
		} catch {
			// Keep the last known values.
		}
	}
}
