/**
 * Finds a file of the recordings folder by the name the library lists, for replay and playback:
 * never a path outside the folder, never a file a running recording is still writing.
 */
import { lstat, realpath } from "node:fs/promises";
import { extname, join } from "node:path";
import { StudioError } from "../../../shared/errors";
import { checkFileName } from "../record/paths";

const MEDIA_EXTENSIONS = new Set([".mp4", ".mkv", ".webm"]);

/**
 * The absolute path of `name` inside `folder`. FORBIDDEN when the name could leave the folder,
 * INVALID_ARGUMENT for a name that is not a recording or a file still being recorded (its end
 * is not written yet), NOT_FOUND when there is no such regular file.
 */
export async function resolveRecording(folder: string, name: string, activeFiles: ReadonlyMap<string, string>): Promise<string> {
	checkFileName(name);
	if (!MEDIA_EXTENSIONS.has(extname(name).toLowerCase())) {
		throw new StudioError("INVALID_ARGUMENT", `${JSON.stringify(name)} is not a recording (.mp4, .mkv or .webm)`);
	}
	const root = await realpath(folder).catch(() => null);
	const file = root ? join(root, name) : null;
	const info = file ? await lstat(file).catch(() => null) : null;
	if (!file || !info?.isFile()) throw new StudioError("NOT_FOUND", `no recording named ${JSON.stringify(name)} in the recordings folder`);
	if (activeFiles.has(file)) {
		throw new StudioError("INVALID_ARGUMENT", `${JSON.stringify(name)} is still being recorded: stop the recording first`);
	}
	return file;
}
