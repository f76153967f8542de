/**
 * The engine's log on disk: every entry of a {@link Logger}, one line each, in a size-bounded
 * set of rotating files in the data folder (`logs/studio.log`, then `studio.1.log` … oldest).
 *
 * Entries reach sinks already redacted by the logger; the file redacts again anyway, so a line
 * written here directly can never carry a token either (redaction is idempotent).
 *
 * Writes are batched and asynchronous: the main process must not block on the disk for every
 * line, and a burst of debug lines becomes one append.
 */
import { appendFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LogEntry, LogLevel } from "../../../shared/models";
import { atLeast, type Logger } from "./logger";
import { redact } from "./redact";

/** How the log file is kept. */
export interface LogFileOptions {
	/** The folder of the log files (created when missing). */
	dir: string;
	/** The current file's name; rotated files insert `.N` before the extension. Default `studio.log`. */
	name?: string;
	/** Rotate once the current file would grow past this many bytes. Default 5 MiB. */
	maxBytes?: number;
	/** Rotated files kept besides the current one; older ones are deleted. Default 3. */
	keep?: number;
	/**
	 * The least severe level {@link attachLogFile} writes. Default `debug`: enough to diagnose a
	 * session after the fact, without trace lines (per frame) rotating the history away in minutes.
	 */
	level?: LogLevel;
}

/** Longest message kept on one line; a runaway dump must not rotate away the useful history at once. */
export const MAX_LINE_CHARS = 16_384;

/** One entry as a line: ISO time, level, scope, message (newlines escaped so a line is an entry). */
export function formatLogLine(entry: LogEntry): string {
	let message = redact(entry.message);
	if (message.length > MAX_LINE_CHARS) message = `${message.slice(0, MAX_LINE_CHARS)}… [${message.length - MAX_LINE_CHARS} more characters]`;
	message = message.replace(/\r?\n/g, "\\n");
	return `${new Date(entry.at).toISOString()} ${entry.level.toUpperCase().padEnd(5)} ${entry.scope}: ${message}\n`;
}

/** A rotating, size-bounded log file. */
export class RotatingLogFile {
	readonly dir: string;
	readonly #name: string;
	readonly #maxBytes: number;
	readonly #keep: number;
	#pending: string[] = [];
	#size: number | undefined;
	#chain: Promise<void> = Promise.resolve();
	#scheduled = false;
	#closed = false;
	#failed = false;

	constructor(options: LogFileOptions) {
		this.dir = options.dir;
		this.#name = options.name ?? "studio.log";
		this.#maxBytes = Math.max(1024, options.maxBytes ?? 5 * 1024 * 1024);
		this.#keep = Math.max(0, options.keep ?? 3);
	}

	/** The current file's path. */
	get path(): string {
		return join(this.dir, this.#name);
	}

	/** The path of rotated file `n` (1 is the newest). */
	rotatedPath(n: number): string {
		const dot = this.#name.lastIndexOf(".");
		const base = dot > 0 ? this.#name.slice(0, dot) : this.#name;
		const ext = dot > 0 ? this.#name.slice(dot) : "";
		return join(this.dir, `${base}.${n}${ext}`);
	}

	/** Queues one entry; it reaches the disk with the next batch. */
	write(entry: LogEntry): void {
		if (this.#closed || this.#failed) return;
		this.#pending.push(formatLogLine(entry));
		if (this.#scheduled) return;
		this.#scheduled = true;
		// One append per tick of activity, not per line.
		setImmediate(() => {
			this.#scheduled = false;
			void this.#enqueue();
		});
	}

	/** Resolves once every entry written so far is on disk. */
	flush(): Promise<void> {
		return this.#enqueue();
	}

	/** Flushes and stops writing; later entries are dropped. */
	async close(): Promise<void> {
		await this.flush();
		this.#closed = true;
	}

	#enqueue(): Promise<void> {
		this.#chain = this.#chain.then(() => this.#drain());
		return this.#chain;
	}

	async #drain(): Promise<void> {
		if (this.#pending.length === 0 || this.#failed) return;
		const lines = this.#pending;
		this.#pending = [];
		try {
			if (this.#size === undefined) {
				await mkdir(this.dir, { recursive: true });
				this.#size = await stat(this.path).then(
					(s) => s.size,
					() => 0,
				);
			}
			// Lines go into the current file until the next one would not fit; then it rotates.
			let batch = "";
			let batchBytes = 0;
			for (const line of lines) {
				const bytes = Buffer.byteLength(line);
				if (this.#size + batchBytes + bytes > this.#maxBytes && this.#size + batchBytes > 0) {
					if (batch) await appendFile(this.path, batch);
					await this.#rotate();
					batch = "";
					batchBytes = 0;
				}
				batch += line;
				batchBytes += bytes;
			}
			if (batch) await appendFile(this.path, batch);
			this.#size += batchBytes;
		} catch {
			// A full or read-only disk must not take the studio down: stop writing the file.
			// (The console and the Log view still have every line.)
			this.#failed = true;
		}
	}

	async #rotate(): Promise<void> {
		if (this.#keep === 0) {
			await rm(this.path, { force: true });
		} else {
			await rm(this.rotatedPath(this.#keep), { force: true });
			for (let n = this.#keep - 1; n >= 1; n--) {
				await rename(this.rotatedPath(n), this.rotatedPath(n + 1)).catch(() => undefined);
			}
			await rename(this.path, this.rotatedPath(1)).catch(() => undefined);
		}
		this.#size = 0;
	}
}

/**
 * Sends every entry of `logger` to a rotating file in `options.dir`. Returns the file and the
 * function that detaches it (flushing what is queued).
 */
export function attachLogFile(logger: Logger, options: LogFileOptions): { file: RotatingLogFile; detach(): Promise<void> } {
	const file = new RotatingLogFile(options);
	const level = options.level ?? "debug";
	const remove = logger.addSink((entry) => {
		if (atLeast(entry.level, level)) file.write(entry);
	});
	return {
		file,
		detach: async () => {
			remove();
			await file.close();
		},
	};
}
