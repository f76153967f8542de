/**
 * The engine's recording settings — where new recordings go and the free space they need —
 * kept with the studio's other preferences (so both hosts and every restart see the same), read
 * through one typed gate that ignores values of the wrong shape.
 */
import { constants } from "node:fs";
import { access, mkdir, realpath, stat } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { StudioError } from "../../../shared/errors";
import { DEFAULT_MIN_FREE_MB, type RecordingSettings, type RecordingSettingsPatch } from "../../../shared/recordings";
import type { Preferences } from "../../../shared/sessions";

/** Preference keys of the recording settings. */
export const RecordingPreference = {
	/** An absolute folder chosen for new recordings. */
	folder: "recordings.folder",
	/** Minimum free space in MB (0: no check). */
	minFreeMB: "recordings.minFreeMB",
} as const;

/** How the settings reach the studio's preferences. */
export interface PreferenceAccess {
	get(): Preferences;
	/** Merges `patch` into the preferences and saves them. */
	set(patch: Preferences): Promise<unknown>;
}

/** Reads and changes the recording settings. */
export class RecordingSettingsStore {
	readonly #prefs: PreferenceAccess;
	readonly #defaultFolder: () => string;

	/** `defaultFolder` is the engine's own folder, used while none is chosen. */
	constructor(prefs: PreferenceAccess, defaultFolder: () => string) {
		this.#prefs = prefs;
		this.#defaultFolder = defaultFolder;
	}

	/** The chosen folder when it is a usable absolute path, else null. */
	#chosen(): string | null {
		const v = this.#prefs.get()[RecordingPreference.folder];
		return typeof v === "string" && isAbsolute(v) ? v : null;
	}

	/** Where new recordings go. */
	folder(): string {
		return this.#chosen() ?? this.#defaultFolder();
	}

	/** The minimum free space in bytes; the default (500 MB) for a missing or malformed value. */
	minFreeBytes(): number {
		const v = this.#prefs.get()[RecordingPreference.minFreeMB];
		const mb = typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : DEFAULT_MIN_FREE_MB;
		return mb * 1e6;
	}

	/** The settings as the contract reports them. */
	read(): RecordingSettings {
		const chosen = this.#chosen();
		return { folder: chosen ?? this.#defaultFolder(), defaultFolder: this.#defaultFolder(), custom: chosen !== null, minFreeMB: this.minFreeBytes() / 1e6 };
	}

	/**
	 * Changes the settings. A folder must be absolute; it is created when missing and must be a
	 * writable directory (INVALID_ARGUMENT for a relative path, IO when it cannot be used), so a
	 * recording never learns of a bad folder only when its broadcast arrives. Recordings already
	 * running keep their files where they are.
	 */
	async configure(patch: RecordingSettingsPatch): Promise<RecordingSettings> {
		const next: Preferences = {};
		if (patch.folder !== undefined) {
			if (patch.folder === null) next[RecordingPreference.folder] = null;
			else next[RecordingPreference.folder] = await usableFolder(patch.folder);
		}
		if (patch.minFreeMB !== undefined) next[RecordingPreference.minFreeMB] = patch.minFreeMB;
		if (Object.keys(next).length > 0) await this.#prefs.set(next);
		return this.read();
	}
}

/** The real path of `folder`, created when missing; throws when it is not a writable directory. */
async function usableFolder(folder: string): Promise<string> {
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f]/.test(folder)) throw new StudioError("INVALID_ARGUMENT", "the recordings folder contains control characters");
	if (!isAbsolute(folder)) throw new StudioError("INVALID_ARGUMENT", `the recordings folder must be an absolute path, got ${JSON.stringify(folder)}`);
	try {
		await mkdir(folder, { recursive: true });
		const real = await realpath(folder);
		if (!(await stat(real)).isDirectory()) throw new StudioError("IO", `${folder} is not a folder`);
		await access(real, constants.W_OK);
		if (real.length > 1000) throw new StudioError("INVALID_ARGUMENT", "the recordings folder's path is too long");
		return real;
	} catch (err) {
		if (err instanceof StudioError) throw err;
		throw new StudioError("IO", `cannot record into ${folder}: ${(err as Error).message}`, { cause: err });
	}
}
