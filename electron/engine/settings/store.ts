/**
 * The studio's persisted settings: origins, sessions and preferences, in one JSON file written
 * atomically (temp file + rename) with mode 0600, so a crash mid-write never leaves half a file.
 */
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { StudioError } from "../../../shared/errors";
import { BackoffInput, TransportChoice } from "../../../shared/sessions";

/** A saved session: the connect arguments, with the token sealed by the secret store. */
export const SavedSession = z.object({
	id: z.string(),
	url: z.string(),
	publishOrigin: z.string().optional(),
	consumeOrigin: z.string().optional(),
	prefix: z.string().optional(),
	certificateSha256: z.string().optional(),
	transport: TransportChoice.optional(),
	backoff: BackoffInput.optional(),
	sealedToken: z.string().optional(),
	/** Reconnect at start-up (false after the user disconnected it). */
	enabled: z.boolean().default(true),
});
/** @see SavedSession */
export type SavedSession = z.infer<typeof SavedSession>;

/** The settings file's content. */
export const Settings = z.object({
	version: z.literal(1),
	origins: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.number() })).default([]),
	sessions: z.array(SavedSession).default([]),
	preferences: z.record(z.string(), z.unknown()).default({}),
	/** Auto-record rules (recordings/auto-record.ts parses each one, so one bad rule loses nothing else). */
	autoRecordRules: z.array(z.unknown()).default([]),
});
/** @see Settings */
export type Settings = z.infer<typeof Settings>;

const EMPTY: Settings = { version: 1, origins: [], sessions: [], preferences: {}, autoRecordRules: [] };

/** Loads and saves {@link Settings} in `dir/settings.json`. */
export class SettingsStore {
	readonly path: string;
	#pending: Promise<void> = Promise.resolve();

	constructor(readonly dir: string) {
		this.path = join(dir, "settings.json");
	}

	/** The saved settings; defaults when there is no file; IO error when the file is unreadable or corrupt. */
	async load(): Promise<Settings> {
		let text: string;
		try {
			text = await readFile(this.path, "utf8");
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code === "ENOENT") return structuredClone(EMPTY);
			throw new StudioError("IO", `cannot read settings: ${(err as Error).message}`);
		}
		const parsed = Settings.safeParse(safeJson(text));
		if (!parsed.success) {
			// Keep the unreadable file for the user instead of overwriting it silently.
			await rename(this.path, `${this.path}.corrupt-${Date.now()}`).catch(() => {});
			return structuredClone(EMPTY);
		}
		return parsed.data;
	}

	/** Writes atomically; saves are serialised so the last one wins. */
	save(settings: Settings): Promise<void> {
		const text = `${JSON.stringify(settings, null, 2)}\n`;
		this.#pending = this.#pending.catch(() => {}).then(async () => {
			await mkdir(this.dir, { recursive: true, mode: 0o700 });
			const tmp = `${this.path}.${process.pid}.tmp`;
			await writeFile(tmp, text, { mode: 0o600 });
			await chmod(tmp, 0o600);
			await rename(tmp, this.path);
		});
		return this.#pending.catch((err: unknown) => {
			throw new StudioError("IO", `cannot save settings: ${(err as Error).message}`);
		});
	}
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}
