/**
 * Where recordings go: file names derived from the broadcast path and start time, always inside
 * the configured recordings folder.
 */
import { mkdir, realpath, stat } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { StudioError } from "../../../shared/errors";

/** Longest file stem this module produces, to stay well below filesystem name limits (255 bytes). */
const MAX_STEM = 120;

/**
 * A file-name-safe stem for a broadcast path: `demo/show.hang` → `demo_show`.
 * Only `[A-Za-z0-9._-]` survive; the `.hang` suffix is dropped; never empty, never starts with a dot.
 */
export function broadcastStem(broadcast: string): string {
	const withoutSuffix = broadcast.replace(/\.hang$/i, "");
	let stem = withoutSuffix
		.replace(/[^A-Za-z0-9._-]+/g, "_")
		.replace(/^[._]+/, "")
		.replace(/_+$/, "");
	if (stem.length > MAX_STEM) stem = stem.slice(0, MAX_STEM);
	return stem || "broadcast";
}

/** `YYYYMMDD-HHMMSS` in UTC, sortable and free of characters Windows rejects. */
export function timestampStem(at: Date): string {
	const p = (n: number) => String(n).padStart(2, "0");
	return `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
}

/** The default recording file name: `<broadcast>-<YYYYMMDD-HHMMSS><ext>`. */
export function recordingFileName(broadcast: string, startedAt: Date, ext: string): string {
	return `${broadcastStem(broadcast)}-${timestampStem(startedAt)}${ext}`;
}

/**
 * Checks a caller-supplied file name: a single path component, no traversal. Throws FORBIDDEN for
 * anything that could leave the folder (`..`, separators, absolute paths), INVALID_ARGUMENT for
 * an empty name or one with control characters.
 */
export function checkFileName(fileName: string): string {
	if (fileName.length === 0 || fileName.length > 255) throw new StudioError("INVALID_ARGUMENT", "recording file name must be 1-255 characters");
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f]/.test(fileName)) throw new StudioError("INVALID_ARGUMENT", "recording file name contains control characters");
	if (isAbsolute(fileName) || /[\\/]/.test(fileName) || fileName === "." || fileName === ".." || basename(fileName) !== fileName) {
		throw new StudioError("FORBIDDEN", `recording file name ${JSON.stringify(fileName)} escapes the recordings folder`);
	}
	return fileName;
}

/**
 * Resolves `fileName` inside `folder` (created if missing) and proves the result stays inside the
 * folder's real path. Throws FORBIDDEN on escape, IO when the folder cannot be created or is not a
 * directory.
 */
export async function resolveInFolder(folder: string, fileName: string): Promise<string> {
	checkFileName(fileName);
	let root: string;
	try {
		await mkdir(folder, { recursive: true });
		root = await realpath(folder);
		if (!(await stat(root)).isDirectory()) throw new StudioError("IO", `recordings folder ${folder} is not a directory`);
	} catch (err) {
		if (err instanceof StudioError) throw err;
		throw new StudioError("IO", `cannot use recordings folder ${folder}: ${(err as Error).message}`, { cause: err });
	}
	const target = resolve(root, fileName);
	const rel = relative(root, target);
	if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
		throw new StudioError("FORBIDDEN", `recording path ${JSON.stringify(fileName)} escapes the recordings folder`);
	}
	return join(root, rel);
}

/** `name.ext` → `name-1.ext`, `name-2.ext`, ... for picking a free name without overwriting. */
export function numbered(fileName: string, n: number): string {
	if (n === 0) return fileName;
	const dot = fileName.lastIndexOf(".");
	return dot > 0 ? `${fileName.slice(0, dot)}-${n}${fileName.slice(dot)}` : `${fileName}-${n}`;
}
