/**
 * Receiving a media file into the recordings folder (the web host's upload, for a browser that
 * cannot hand the engine a path on its machine). The bytes go to a hidden partial file, the
 * file is probed, and only a file the studio can publish appears under its own name: a refused
 * or broken upload leaves nothing in the folder.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { StudioError } from "../../../shared/errors";
import { MEDIA_FILE_EXTENSIONS, type UploadedMediaFile } from "../../../shared/media-file";
import { probeMediaFile } from "./probe";

/** What {@link receiveMediaUpload} needs. */
export interface MediaUpload {
	/** The folder the file lands in (created when missing). */
	folder: string;
	/** The file name the user chose (a name, never a path). */
	name: string;
	/** The bytes, in order (an HTTP request body). */
	body: AsyncIterable<Uint8Array>;
	/** The size the sender announced (Content-Length), checked before reading when present. */
	declaredBytes?: number;
	/** The most bytes accepted. */
	maxBytes: number;
}

const NAME_MAX = 255;

/**
 * Checks an upload's file name: a plain name (no folder, no leading dot, no control characters)
 * with one of {@link MEDIA_FILE_EXTENSIONS}. INVALID_ARGUMENT for a bad name, MEDIA for a name
 * that is not a media file's.
 */
export function checkUploadName(name: string): string {
	const trimmed = name.trim();
	// eslint-disable-next-line no-control-regex
	if (!trimmed || trimmed.length > NAME_MAX || /[/\\\x00-\x1f]/.test(trimmed) || trimmed.startsWith(".")) {
		throw new StudioError("INVALID_ARGUMENT", `${JSON.stringify(name.slice(0, 80))} is not a usable file name`);
	}
	const ext = extname(trimmed).slice(1).toLowerCase();
	if (!(MEDIA_FILE_EXTENSIONS as readonly string[]).includes(ext)) {
		throw new StudioError("MEDIA", `${JSON.stringify(trimmed)} is not a media file the studio can publish: choose an MP4, MKV or WebM file`);
	}
	return trimmed;
}

function tooBig(maxBytes: number): StudioError {
	return new StudioError("LIMIT", `the file is larger than the ${formatBytes(maxBytes)} an upload may be`);
}

function formatBytes(n: number): string {
	if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GiB`;
	if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MiB`;
	return `${+(n / 1024).toFixed(1)} KiB`;
}

/** `name`, or `name (2).ext`, `name (3).ext`…: the first one not taken in `folder`. */
async function freeTarget(folder: string, name: string, tmp: string): Promise<string> {
	const ext = extname(name);
	const stem = name.slice(0, name.length - ext.length);
	for (let n = 1; n < 1000; n++) {
		const candidate = n === 1 ? name : `${stem} (${n})${ext}`;
		const target = join(folder, candidate);
		try {
			// A hard link fails when the name exists, so a file that appears meanwhile is never replaced.
			await link(tmp, target);
			await rm(tmp, { force: true });
			return candidate;
		} catch (err) {
			const code = (err as NodeJS.ErrnoException).code;
			if (code === "EEXIST") continue;
			// A filesystem without hard links (FAT, some network shares): check, then rename.
			if (await stat(target).then(() => true, () => false)) continue;
			await rename(tmp, target);
			return candidate;
		}
	}
	throw new StudioError("ALREADY_EXISTS", `too many files named like ${JSON.stringify(name)} in the recordings folder`);
}

/**
 * Writes the upload, probes it and gives it a free name in the folder. Rejects with LIMIT (larger
 * than `maxBytes`, before reading a byte when the declared size says so), MEDIA (not a media file
 * name, or content the probe refuses), INVALID_ARGUMENT (a name with a folder in it), IO (the
 * folder is not writable, the body broke off); in every case the partial file is removed.
 */
export async function receiveMediaUpload(upload: MediaUpload): Promise<UploadedMediaFile> {
	const name = checkUploadName(upload.name);
	if (upload.declaredBytes !== undefined && upload.declaredBytes > upload.maxBytes) throw tooBig(upload.maxBytes);
	await mkdir(upload.folder, { recursive: true }).catch((err: unknown) => {
		throw StudioError.from(err, "IO");
	});
	const tmp = join(upload.folder, `.upload-${randomBytes(6).toString("hex")}.part`);
	let bytes = 0;
	try {
		const handle = await open(tmp, "wx", 0o600);
		try {
			for await (const chunk of upload.body) {
				bytes += chunk.byteLength;
				if (bytes > upload.maxBytes) throw tooBig(upload.maxBytes);
				await handle.write(chunk);
			}
		} finally {
			await handle.close();
		}
		if (upload.declaredBytes !== undefined && bytes !== upload.declaredBytes) {
			throw new StudioError("IO", `the upload broke off after ${bytes} of ${upload.declaredBytes} bytes`);
		}
		const probed = await probeMediaFile(tmp).catch((err: unknown) => {
			const e = StudioError.from(err, "MEDIA");
			// The probe names the hidden partial file; the person knows the file by its own name.
			throw new StudioError(e.codeName, e.message.split(tmp).join(JSON.stringify(name)));
		});
		const finalName = await freeTarget(upload.folder, name, tmp);
		const file = join(upload.folder, finalName);
		return { name: finalName, file, bytes, probe: { ...probed, file } };
	} catch (err) {
		await rm(tmp, { force: true });
		throw err instanceof StudioError ? err : StudioError.from(err, "IO");
	}
}
