/**
 * The byte sink under a recording: positioned writes straight to a file descriptor, so whatever
 * the muxer has flushed is in the kernel's page cache and survives the process being killed.
 * (mediabunny's default chunked target buffers 16 MiB in memory and loses it all on a crash.)
 */
import { type FileHandle, open } from "node:fs/promises";
import { StudioError } from "../../../shared/errors";

/** Where a recording's bytes go. Errors are StudioErrors with code IO. */
export interface RecordingSink {
	/** Writes `data` at byte `position`. Resolves once the OS accepted every byte. */
	write(data: Uint8Array, position: number): Promise<void>;
	/** Writes `buffers` one after the other from byte `position` (one system call where it can). Optional. */
	writev?(buffers: Uint8Array[], position: number): Promise<void>;
	/**
	 * Cuts the file back to `length` bytes (after a failed write: to the end of its last complete
	 * fragment). Optional: a sink that cannot truncate keeps what it has.
	 */
	truncate?(length: number): Promise<void>;
	/** Flushes to stable storage (best effort) and releases the file. Idempotent. */
	close(): Promise<void>;
	/** Highest byte offset written so far (the file's size). */
	readonly bytes: number;
}

/** Maps a filesystem error to IO with a plain message (disk full gets its own words). */
export function ioError(err: unknown, path: string): StudioError {
	if (err instanceof StudioError) return err;
	const code = (err as { code?: unknown } | null)?.code;
	if (code === "ENOSPC" || code === "EDQUOT") return new StudioError("IO", `disk full while writing ${path}`, { cause: err });
	return new StudioError("IO", `cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** How often (ms) written data is pushed to stable storage, bounding loss on power failure. */
const SYNC_INTERVAL_MS = 2000;

/** A {@link RecordingSink} on a file opened with O_CREAT|O_EXCL (never overwrites, never follows a planted symlink). */
export class FileRecordingSink implements RecordingSink {
	readonly path: string;
	#handle: FileHandle | undefined;
	#bytes = 0;
	#lastSync = Date.now();

	private constructor(path: string, handle: FileHandle) {
		this.path = path;
		this.#handle = handle;
	}

	/**
	 * Creates `path` exclusively. Throws ALREADY_EXISTS when it exists, IO for any other failure.
	 * `flags` exists for tests (e.g. `"w"` on `/dev/full` to simulate a full disk).
	 */
	static async create(path: string, flags = "wx"): Promise<FileRecordingSink> {
		try {
			return new FileRecordingSink(path, await open(path, flags, 0o644));
		} catch (err) {
			if ((err as { code?: unknown }).code === "EEXIST") throw new StudioError("ALREADY_EXISTS", `${path} already exists`, { cause: err });
			throw ioError(err, path);
		}
	}

	get bytes(): number {
		return this.#bytes;
	}

	async write(data: Uint8Array, position: number): Promise<void> {
		const handle = this.#handle;
		if (!handle) throw new StudioError("CLOSED", `${this.path} is closed`);
		try {
			let done = 0;
			while (done < data.byteLength) {
				const { bytesWritten } = await handle.write(data, done, data.byteLength - done, position + done);
				if (bytesWritten === 0) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
				done += bytesWritten;
			}
			this.#bytes = Math.max(this.#bytes, position + data.byteLength);
			if (Date.now() - this.#lastSync >= SYNC_INTERVAL_MS) {
				this.#lastSync = Date.now();
				await handle.datasync();
			}
		} catch (err) {
			throw ioError(err, this.path);
		}
	}

	async writev(buffers: Uint8Array[], position: number): Promise<void> {
		const handle = this.#handle;
		if (!handle) throw new StudioError("CLOSED", `${this.path} is closed`);
		const total = buffers.reduce((n, b) => n + b.byteLength, 0);
		let done: number;
		try {
			({ bytesWritten: done } = await handle.writev(buffers, position));
		} catch (err) {
			throw ioError(err, this.path);
		}
		this.#bytes = Math.max(this.#bytes, position + done);
		if (done === total) return this.#maybeSync();
		// A short write (a full disk, a signal): the rest through write(), which says why it stops.
		let skip = done;
		for (const b of buffers) {
			if (skip >= b.byteLength) {
				skip -= b.byteLength;
				continue;
			}
			await this.write(b.subarray(skip), position + done);
			done += b.byteLength - skip;
			skip = 0;
		}
	}

	async #maybeSync(): Promise<void> {
		if (Date.now() - this.#lastSync < SYNC_INTERVAL_MS) return;
		this.#lastSync = Date.now();
		try {
			await this.#handle?.datasync();
		} catch (err) {
			throw ioError(err, this.path);
		}
	}

	/** Shrinking a file needs no free space, so this works on the full disk that failed the write. */
	async truncate(length: number): Promise<void> {
		const handle = this.#handle;
		if (!handle) throw new StudioError("CLOSED", `${this.path} is closed`);
		try {
			await handle.truncate(length);
			this.#bytes = Math.min(this.#bytes, length);
			await handle.datasync();
		} catch (err) {
			throw ioError(err, this.path);
		}
	}

	async close(): Promise<void> {
		const handle = this.#handle;
		if (!handle) return;
		this.#handle = undefined;
		try {
			await handle.datasync().catch(() => undefined);
		} finally {
			await handle.close();
		}
	}
}
