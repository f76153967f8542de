/**
 * Help's destinations: the README and the log folder, opened with the system's default apps.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * The README file to open: beside the app when packaged (`extraResources`), at the project root
 * when run from source; undefined when neither exists.
 */
export function findReadme(where: { resourcesPath?: string; appPath: string }, exists: (path: string) => boolean = existsSync): string | undefined {
	const paths = [where.resourcesPath ? join(where.resourcesPath, "README.md") : undefined, join(where.appPath, "README.md")];
	return paths.find((p): p is string => p !== undefined && exists(p));
}

/** The part of Electron's `shell` used here. */
export interface ShellLike {
	/** Resolves with an error message, or "" on success (Electron's convention). */
	openPath(path: string): Promise<string>;
}

/** Opens `path` (a file or folder) with the system; resolves with an error message, "" on success. */
export async function openWithSystem(shell: ShellLike, path: string | undefined, what: string): Promise<string> {
	if (!path) return `no ${what} to open`;
	try {
		return await shell.openPath(path);
	} catch (err) {
		return err instanceof Error ? err.message : String(err);
	}
}
