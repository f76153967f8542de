/**
 * The recordings library: every media file in the recordings folder, whoever wrote it and
 * whenever (before a restart, cut by a crash), with what it holds and whether it is complete;
 * and renaming and deleting them without ever leaving the folder.
 *
 * Next to each recording this engine makes sits a small sidecar, `<file>.json`, saying what was
 * recorded (origin, broadcast path, relay without credentials, start time): the media file itself
 * has no place for it that every player leaves alone. Files without one are listed all the same.
 */
import { type FileHandle, link, lstat, open, readdir, readFile, realpath, rename, unlink, writeFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { ALL_FORMATS, FilePathSource, Input, type InputVideoTrack } from "mediabunny";
import { StudioError } from "../../../shared/errors";
import type { DiskSpace, LibraryFile, LibraryListing, LibrarySource, LibraryTrack } from "../../../shared/recordings";
import type { Log } from "../log/logger";
import { checkFileName, numbered } from "../record/paths";
import { formatMB } from "./disk-space";
import { remuxToMp4 } from "./finalize";

/** The extensions the library lists, and the format each names. */
const FORMATS: Record<string, LibraryFile["format"]> = { ".mp4": "mp4", ".mkv": "mkv", ".webm": "webm" };

/** The sidecar's file name for a media file. */
export function sidecarName(fileName: string): string {
	return `${fileName}.json`;
}

/** What the sidecar holds (version 1). */
export interface Sidecar extends LibrarySource {
	version: 1;
	/** When the recording started, ms since the epoch. */
	startedAt: number;
}

/** Writes the sidecar of a recording next to its file (`file` is the media file's absolute path). */
export async function writeSidecar(file: string, sidecar: Omit<Sidecar, "version">): Promise<void> {
	const body: Sidecar = { version: 1, ...sidecar };
	await writeFile(`${file}.json`, `${JSON.stringify(body, null, "\t")}\n`, { mode: 0o644 });
}

/** Reads a sidecar; null when there is none or it is not one of ours (a file from elsewhere). */
async function readSidecar(path: string): Promise<Sidecar | null> {
	let text: string;
	try {
		text = await readFile(path, "utf8");
	} catch {
		return null;
	}
	try {
		const v = JSON.parse(text) as Partial<Sidecar> | null;
		if (!v || v.version !== 1 || typeof v.originId !== "string" || typeof v.path !== "string" || typeof v.startedAt !== "number") return null;
		return {
			version: 1,
			originId: v.originId,
			originName: typeof v.originName === "string" ? v.originName : null,
			path: v.path,
			relay: typeof v.relay === "string" ? v.relay : null,
			startedAt: v.startedAt,
		};
	} catch {
		return null;
	}
}

/** What the container says, cached per file by size and modification time. */
interface Probe {
	size: number;
	mtimeMs: number;
	durationS: number | null;
	tracks: LibraryTrack[];
	/** Why the file is not complete (null when it is). */
	problem: string | null;
	/** A whole file holding no media (a recording that got nothing): complete, nothing to finalize. */
	empty?: boolean;
}

/**
 * Reads the top-level boxes of an MP4 (headers only, a few reads however long the file) and says
 * why it is not complete: a fragmented file (`moof`) ends with its `mfra` index once finalized; a
 * box that runs past the end of the file was cut mid-write. Null for a complete file (fragmented
 * or not).
 */
export async function mp4Problem(path: string, size: number): Promise<string | null> {
	let handle: FileHandle | undefined;
	try {
		handle = await open(path, "r");
		const header = Buffer.alloc(16);
		let off = 0;
		let fragmented = false;
		let last = "";
		let moov = false;
		while (off < size) {
			if (size - off < 8) return "the file ends inside a box header";
			const { bytesRead } = await handle.read(header, 0, 16, off);
			if (bytesRead < 8) return "the file ends inside a box header";
			let boxSize = header.readUInt32BE(0);
			const type = header.toString("latin1", 4, 8);
			if (boxSize === 1) {
				if (bytesRead < 16) return "the file ends inside a box header";
				boxSize = Number(header.readBigUInt64BE(8));
			} else if (boxSize === 0) boxSize = size - off; // "to the end of the file"
			if (boxSize < 8) return `a ${JSON.stringify(type)} box has an impossible size`;
			if (off + boxSize > size) return type === "mdat" || type === "moof" ? "the file ends mid-fragment" : `the file ends inside its ${type} box`;
			if (type === "moov") moov = true;
			if (type === "moof") fragmented = true;
			last = type;
			off += boxSize;
		}
		if (!moov) return "the file has no track headers (moov)";
		if (fragmented && last !== "mfra") return "the recording was not finished: the file has no final index";
		return null;
	} finally {
		await handle?.close();
	}
}

/** An EBML variable-length integer at `at`: its value (marker bit removed), length, and whether it says "unknown". */
function readVint(b: Buffer, at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } | null {
	const first = b[at];
	if (first === undefined || first === 0) return null;
	const length = Math.clz32(first) - 23;
	if (at + length > b.length) return null;
	let value = keepMarker ? first : first & (0xff >> length);
	let allOnes = value === 0xff >> length;
	for (let i = 1; i < length; i++) {
		value = value * 256 + b[at + i]!;
		if (b[at + i] !== 0xff) allOnes = false;
	}
	return { value, length, unknown: !keepMarker && allOnes };
}

/**
 * Says why a Matroska/WebM file is not complete, from its first bytes: mediabunny writes the
 * Segment's size (and its Cues) only when a recording is finalized, so a file cut by a crash
 * carries the size of the Segment's head alone, far short of the file; a copy cut short ends
 * before its Segment does. A Segment of unknown size (a live stream's) tells nothing: null.
 */
export async function matroskaProblem(path: string, size: number): Promise<string | null> {
	let handle: FileHandle | undefined;
	try {
		handle = await open(path, "r");
		const b = Buffer.alloc(Math.min(size, 4096));
		const { bytesRead } = await handle.read(b, 0, b.length, 0);
		const head = b.subarray(0, bytesRead);
		const ebmlId = readVint(head, 0, true);
		const ebmlSize = ebmlId && readVint(head, ebmlId.length, false);
		if (!ebmlId || ebmlId.value !== 0x1a45dfa3 || !ebmlSize || ebmlSize.unknown) return "the file does not start with a Matroska header";
		const segmentAt = ebmlId.length + ebmlSize.length + ebmlSize.value;
		const segmentId = readVint(head, segmentAt, true);
		const segmentSize = segmentId && readVint(head, segmentAt + segmentId.length, false);
		if (!segmentId || !segmentSize) return "the file ends inside its header";
		if (segmentId.value !== 0x18538067) return "the file has no Matroska segment after its header";
		if (segmentSize.unknown) return null;
		const end = segmentAt + segmentId.length + segmentSize.length + segmentSize.value;
		if (end > size) return "the file ends before its segment does";
		if (end < size) return "the recording was not finished: the file has no final index";
		return null;
	} finally {
		await handle?.close();
	}
}

/** Reads duration and tracks with mediabunny; the error's words when it cannot. */
async function readMedia(path: string): Promise<{ durationS: number | null; tracks: LibraryTrack[]; error: string | null }> {
	const input = new Input({ source: new FilePathSource(path), formats: ALL_FORMATS });
	try {
		if (!(await input.canRead())) return { durationS: null, tracks: [], error: "not a media file mediabunny can read" };
		const tracks: LibraryTrack[] = [];
		for (const track of await input.getTracks()) {
			if (track.type === "video") {
				const video = track as InputVideoTrack;
				tracks.push({ kind: "video", codec: (await video.getCodec()) ?? "unknown", width: await video.getDisplayWidth(), height: await video.getDisplayHeight() });
			} else if (track.type === "audio") {
				tracks.push({ kind: "audio", codec: (await track.getCodec()) ?? "unknown", width: null, height: null });
			}
		}
		// Videos first, like the recorder and the publisher order them.
		tracks.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "video" ? -1 : 1));
		const durationS = await input.computeDuration();
		return { durationS: Number.isFinite(durationS) ? durationS : null, tracks, error: null };
	} catch (err) {
		return { durationS: null, tracks: [], error: err instanceof Error ? err.message : String(err) };
	} finally {
		input.dispose();
	}
}

/** True when two paths name the same file (same device and inode). */
async function sameFile(a: string, b: string): Promise<boolean> {
	const [x, y] = await Promise.all([lstat(a).catch(() => null), lstat(b).catch(() => null)]);
	return x !== null && y !== null && x.dev === y.dev && x.ino === y.ino;
}

/**
 * Renames `from` to `to` without ever replacing a file at `to` (rename(2) would, silently, on
 * POSIX): a hard link (fails when `to` exists) then unlinking the old name. ALREADY_EXISTS when
 * the name is taken, IO for anything else.
 */
async function moveNoReplace(from: string, to: string, name: string, target: string): Promise<void> {
	const taken = () => new StudioError("ALREADY_EXISTS", `a file named ${JSON.stringify(target)} already exists in the recordings folder`);
	const plainRename = () =>
		rename(from, to).catch((e: unknown) => {
			throw new StudioError("IO", `cannot rename ${name}: ${(e as Error).message}`, { cause: e });
		});
	try {
		await link(from, to);
	} catch (err) {
		const code = (err as { code?: unknown }).code;
		if (code === "EEXIST") {
			// On a case-insensitive disk (macOS, Windows) "show.mp4" → "Show.mp4" names the same
			// file: a change of case, not a clash.
			if (await sameFile(from, to)) return plainRename();
			throw taken();
		}
		// A filesystem without hard links (FAT, some network shares): check, then rename.
		if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "EXDEV" || code === "ENOSYS") {
			if (await lstat(to).catch(() => null)) throw taken();
			return plainRename();
		}
		throw new StudioError("IO", `cannot rename ${name}: ${(err as Error).message}`, { cause: err });
	}
	try {
		await unlink(from);
	} catch (err) {
		// Both names now point at the file: drop the new one so nothing looks duplicated.
		await unlink(to).catch(() => undefined);
		throw new StudioError("IO", `cannot rename ${name}: ${(err as Error).message}`, { cause: err });
	}
}

/** What the library works with. */
export interface RecordingLibraryDeps {
	/** The recordings folder. */
	folder: () => string;
	/** Files being written by this engine's running recordings: absolute path → recording id. */
	activeFiles: () => ReadonlyMap<string, string>;
	/**
	 * Removes a file for good or to the OS trash (the desktop host passes `shell.trashItem`);
	 * `unlink` when absent.
	 */
	removeFile?: (path: string) => Promise<void>;
	/** Shows a file in the system's file manager (the desktop host passes `shell.showItemInFolder`); absent elsewhere. */
	revealFile?: (path: string) => void | Promise<void>;
	/** Tells the hosts the folder changed. */
	changed: (name: string | null) => void;
	log: Log;
	/** Free space of the folder now (recordings/disk-space.ts): finalizing refuses to eat into the minimum. */
	diskSpace?: () => DiskSpace;
}

/** Lists, renames and deletes the files of the recordings folder. */
export class RecordingLibrary {
	readonly #deps: RecordingLibraryDeps;
	readonly #cache = new Map<string, Probe>();

	constructor(deps: RecordingLibraryDeps) {
		this.#deps = deps;
	}

	/** The folder's real path, or null when it does not exist yet (nothing recorded). */
	async #root(): Promise<string | null> {
		try {
			return await realpath(this.#deps.folder());
		} catch (err) {
			if ((err as { code?: unknown }).code === "ENOENT") return null;
			throw new StudioError("IO", `cannot read the recordings folder ${this.#deps.folder()}: ${(err as Error).message}`, { cause: err });
		}
	}

	/** Every media file of the folder, newest first. Symbolic links and sub-folders are left out: nothing listed lies outside. */
	async list(): Promise<LibraryListing> {
		const root = await this.#root();
		if (!root) return { folder: this.#deps.folder(), files: [] };
		let names: string[];
		try {
			names = await readdir(root);
		} catch (err) {
			throw new StudioError("IO", `cannot read the recordings folder ${root}: ${(err as Error).message}`, { cause: err });
		}
		const media = names.filter((n) => FORMATS[extname(n).toLowerCase()] !== undefined);
		const files: LibraryFile[] = [];
		// One at a time: a folder of hundreds of files must not open hundreds of files at once.
		for (const name of media) {
			const entry = await this.#describe(root, name).catch((err: unknown) => {
				this.#deps.log.warn(`library: skipped ${name}: ${(err as Error).message}`);
				return null;
			});
			if (entry) files.push(entry);
		}
		const present = new Set(media);
		for (const cached of [...this.#cache.keys()]) if (!present.has(cached)) this.#cache.delete(cached);
		files.sort((a, b) => (b.startedAt ?? b.modifiedAt) - (a.startedAt ?? a.modifiedAt) || a.name.localeCompare(b.name));
		return { folder: root, files };
	}

	/** One file's entry; null when it is not a regular file (a link, a folder) or vanished. */
	async #describe(root: string, name: string): Promise<LibraryFile | null> {
		const file = join(root, name);
		let info;
		try {
			info = await lstat(file);
		} catch {
			return null;
		}
		if (!info.isFile()) return null;
		const recordingId = this.#deps.activeFiles().get(file) ?? null;
		const sidecar = await readSidecar(join(root, sidecarName(name)));
		const format = FORMATS[extname(name).toLowerCase()]!;
		let probe = this.#cache.get(name);
		if (!probe || probe.size !== info.size || probe.mtimeMs !== info.mtimeMs) {
			probe = await this.#probe(file, format, info.size, info.mtimeMs);
			// A file being written changes under us: caching it would only miss next time.
			if (recordingId === null) this.#cache.set(name, probe);
		}
		const birth = info.birthtimeMs > 0 ? info.birthtimeMs : null;
		return {
			name,
			file,
			format,
			bytes: info.size,
			modifiedAt: info.mtimeMs,
			durationS: probe.durationS,
			startedAt: sidecar?.startedAt ?? birth,
			state: recordingId !== null ? "recording" : probe.problem && !probe.empty ? "interrupted" : "complete",
			tracks: probe.tracks,
			source: sidecar ? { originId: sidecar.originId, originName: sidecar.originName, path: sidecar.path, relay: sidecar.relay } : null,
			recordingId,
			problem: recordingId !== null ? null : probe.problem,
		};
	}

	async #probe(file: string, format: LibraryFile["format"], size: number, mtimeMs: number): Promise<Probe> {
		if (size === 0) return { size, mtimeMs, durationS: null, tracks: [], problem: "the file is empty" };
		const structural = format === "mp4" ? await mp4Problem(file, size) : await matroskaProblem(file, size);
		const media = await readMedia(file);
		// A recording that ended before its first packet (the publisher left first) is only a header:
		// listed, so the user sees the recording ran, but marked empty rather than a 0 s video.
		const empty = media.error === null && (media.tracks.length === 0 || media.durationS === 0);
		const problem = structural ?? (media.error ? `unreadable: ${media.error}` : empty ? "no media: nothing arrived before the recording ended" : null);
		return { size, mtimeMs, durationS: media.durationS, tracks: media.tracks, problem, ...(structural === null && empty ? { empty } : {}) };
	}

	/**
	 * Resolves a caller's file name to a media file of the folder: FORBIDDEN when the name could
	 * leave the folder, INVALID_ARGUMENT for a file the library does not list, NOT_FOUND when absent.
	 */
	async #existing(name: string): Promise<{ root: string; file: string }> {
		checkFileName(name);
		if (FORMATS[extname(name).toLowerCase()] === undefined) throw new StudioError("INVALID_ARGUMENT", `${JSON.stringify(name)} is not a recording (.mp4, .mkv or .webm)`);
		const root = await this.#root();
		const file = root ? join(root, name) : null;
		const info = file ? await lstat(file).catch(() => null) : null;
		if (!root || !file || !info?.isFile()) throw new StudioError("NOT_FOUND", `no recording named ${JSON.stringify(name)} in the recordings folder`);
		return { root, file };
	}

	#refuseActive(file: string, name: string, what: string): void {
		if (this.#deps.activeFiles().has(file)) {
			throw new StudioError("INVALID_ARGUMENT", `cannot ${what} ${JSON.stringify(name)} while it is being recorded: stop the recording first`);
		}
	}

	/**
	 * Renames a file inside the folder, keeping its extension (added when `newName` leaves it out)
	 * and moving its sidecar along. Never overwrites: ALREADY_EXISTS when the name is taken.
	 */
	async rename(name: string, newName: string): Promise<LibraryFile> {
		const { root, file } = await this.#existing(name);
		this.#refuseActive(file, name, "rename");
		const ext = extname(name);
		checkFileName(newName);
		const given = extname(newName);
		let target = newName;
		if (given.toLowerCase() !== ext.toLowerCase()) {
			if (FORMATS[given.toLowerCase()] !== undefined) throw new StudioError("INVALID_ARGUMENT", `a rename keeps the file's format: ${JSON.stringify(newName)} is not a ${ext} name`);
			target = `${newName}${ext}`;
		}
		checkFileName(target);
		if (target.startsWith(".") || target.trim() !== target || target.length === ext.length) {
			throw new StudioError("INVALID_ARGUMENT", `${JSON.stringify(newName)} is not a usable file name`);
		}
		if (target === name) return (await this.#describe(root, name))!;
		const to = join(root, target);
		await moveNoReplace(file, to, name, target);
		const oldSidecar = join(root, sidecarName(name));
		if (await lstat(oldSidecar).catch(() => null)) {
			await rename(oldSidecar, join(root, sidecarName(target))).catch((err: unknown) => {
				// The media file moved; a sidecar left behind only loses the "source" line.
				this.#deps.log.warn(`library: sidecar of ${name} not renamed: ${(err as Error).message}`);
			});
		}
		const cached = this.#cache.get(name);
		this.#cache.delete(name);
		if (cached) this.#cache.set(target, cached);
		this.#deps.log.info(`renamed recording ${name} to ${target}`);
		this.#deps.changed(target);
		return (await this.#describe(root, target))!;
	}

	/** Shows a file of the folder in the file manager; UNSUPPORTED where the host has none (the web host). */
	async reveal(name: string): Promise<null> {
		const reveal = this.#deps.revealFile;
		if (!reveal) throw new StudioError("UNSUPPORTED", "this host cannot open the file manager: copy the file's path instead");
		const { file } = await this.#existing(name);
		await reveal(file);
		return null;
	}

	/**
	 * Writes an interrupted file again as a regular MP4 next to it, `<name>-finalized.mp4` (numbered
	 * when taken), with the same packets and its sidecar; the interrupted file stays untouched.
	 * INVALID_ARGUMENT for a file being recorded or one that is complete, IO when the copy would
	 * leave less free space than the recordings minimum, MEDIA when nothing in it can be read.
	 */
	async finalize(name: string): Promise<LibraryFile> {
		const { root, file } = await this.#existing(name);
		this.#refuseActive(file, name, "finalize");
		const entry = await this.#describe(root, name);
		if (!entry) throw new StudioError("NOT_FOUND", `no recording named ${JSON.stringify(name)} in the recordings folder`);
		if (entry.state !== "interrupted") throw new StudioError("INVALID_ARGUMENT", `${JSON.stringify(name)} is complete already: only an interrupted recording needs finalizing`);
		const space = this.#deps.diskSpace?.();
		if (space && space.freeBytes !== null && space.freeBytes - entry.bytes < space.minFreeBytes) {
			throw new StudioError(
				"IO",
				`not enough free space to finalize ${name}: it needs about ${formatMB(entry.bytes)} and ${formatMB(space.freeBytes)} are free in ${space.folder}, with a ${formatMB(space.minFreeBytes)} minimum`,
			);
		}
		const stem = name.slice(0, name.length - extname(name).length);
		// Written under a name the library does not list, then given its real name (never replacing one).
		const partial = join(root, `.${stem}.finalizing-${process.pid}-${Date.now()}`);
		const { bytes, tracks } = await remuxToMp4(file, partial);
		let target: string | undefined;
		try {
			for (let n = 0; n < 1000 && target === undefined; n++) {
				const candidate = numbered(`${stem}-finalized.mp4`, n);
				checkFileName(candidate);
				try {
					await moveNoReplace(partial, join(root, candidate), name, candidate);
					target = candidate;
				} catch (err) {
					if (!(err instanceof StudioError && err.codeName === "ALREADY_EXISTS")) throw err;
				}
			}
			if (target === undefined) throw new StudioError("IO", `no free name for the finalized copy of ${name}`);
		} finally {
			if (target === undefined) await unlink(partial).catch(() => undefined);
		}
		const sidecar = await readSidecar(join(root, sidecarName(name)));
		if (sidecar) {
			const { version: _v, ...rest } = sidecar;
			await writeSidecar(join(root, target), rest).catch((err: unknown) => this.#deps.log.warn(`library: sidecar of ${target} not written: ${(err as Error).message}`));
		}
		this.#deps.log.info(`finalized ${name} into ${target} (${tracks} track${tracks === 1 ? "" : "s"}, ${bytes} bytes)`);
		this.#deps.changed(target);
		return (await this.#describe(root, target))!;
	}

	/** Deletes a file and its sidecar (to the OS trash where the host provides one); refused while it is recorded. */
	async delete(name: string): Promise<{ name: string }> {
		const { root, file } = await this.#existing(name);
		this.#refuseActive(file, name, "delete");
		const remove = this.#deps.removeFile ?? unlink;
		try {
			await remove(file);
		} catch (err) {
			throw new StudioError("IO", `cannot delete ${name}: ${(err as Error).message}`, { cause: err });
		}
		const side = join(root, sidecarName(name));
		if (await lstat(side).catch(() => null)) {
			await remove(side).catch((err: unknown) => this.#deps.log.warn(`library: sidecar of ${name} not deleted: ${(err as Error).message}`));
		}
		this.#cache.delete(name);
		this.#deps.log.info(`deleted recording ${name}`);
		this.#deps.changed(name);
		return { name };
	}
}
