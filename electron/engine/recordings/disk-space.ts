/**
 * Free space where recordings are written: measured with statfs, watched while the engine runs,
 * and the gate every recording passes. A full disk cuts a recording at a write failure (the file
 * keeps its complete fragments, record/recorder.ts); this stops it earlier, cleanly, while there
 * is still room for its last fragment and its index, and refuses to start one that would fill
 * the disk at once.
 */
import { statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { StudioError } from "../../../shared/errors";
import type { DiskSpace } from "../../../shared/recordings";

/** What statfs says about a filesystem, in bytes. */
export interface FsSpace {
	/** Bytes an unprivileged writer may still use (`bavail × bsize`). */
	freeBytes: number;
	totalBytes: number;
}

/** Measures the filesystem holding `path` (which exists); throws like `fs.statfsSync`. */
export type StatFs = (path: string) => FsSpace;

/** The real measurement: `fs.statfsSync`. */
export const statFs: StatFs = (path) => {
	const s = statfsSync(path);
	return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
};

/**
 * Measures the filesystem `folder` will live on: the folder itself, or its nearest existing
 * parent before the first recording creates it.
 */
export function measureFolder(folder: string, statfs: StatFs = statFs): FsSpace {
	let path = resolve(folder);
	for (;;) {
		try {
			return statfs(path);
		} catch (err) {
			const parent = dirname(path);
			if ((err as { code?: unknown }).code !== "ENOENT" || parent === path) throw err;
			path = parent;
		}
	}
}

/** Megabytes as people read them on a disk (1 MB = 1,000,000 bytes, as file managers count). */
export function formatMB(bytes: number): string {
	const mb = bytes / 1e6;
	return mb >= 10_000 ? `${(mb / 1000).toFixed(1)} GB` : mb >= 100 ? `${Math.round(mb)} MB` : `${mb.toFixed(1)} MB`;
}

/** Options of {@link DiskSpaceWatcher}. */
export interface DiskSpaceWatcherOptions {
	/** The recordings folder (it may change with the settings). */
	folder: () => string;
	/** The minimum free space in bytes (the setting); 0 turns the check off. */
	minFreeBytes: () => number;
	/** Measures a filesystem; {@link statFs} when absent. */
	statfs?: StatFs;
	/** How often the space is measured (ms). Default 1000. */
	intervalMs?: number;
	/** A measurement older than this is taken again before a start is allowed (ms). Default 250. */
	freshMs?: number;
	/**
	 * Called after each measurement that changed what a person would see: `low` flipped, the folder
	 * or minimum changed, or free space moved by at least 1 MB (or 1%) since the last call.
	 */
	onChange: (now: DiskSpace, before: DiskSpace | undefined) => void;
}

/**
 * Measures free space in the recordings folder every second and says when it falls below the
 * minimum. Synchronous measurements (statfs is one system call), so a start can be refused on
 * the spot without making `recordings.start` asynchronous.
 */
export class DiskSpaceWatcher {
	readonly #opts: DiskSpaceWatcherOptions;
	#current: DiskSpace | undefined;
	#reported: DiskSpace | undefined;
	#timer: ReturnType<typeof setInterval> | undefined;

	constructor(opts: DiskSpaceWatcherOptions) {
		this.#opts = opts;
	}

	/** Starts measuring on a timer (idempotent); the timer never keeps a process alive. */
	start(): void {
		if (this.#timer) return;
		this.measure();
		this.#timer = setInterval(() => this.measure(), this.#opts.intervalMs ?? 1000);
		this.#timer.unref?.();
	}

	/** Stops the timer. */
	close(): void {
		clearInterval(this.#timer);
		this.#timer = undefined;
	}

	/** Measures now, reports a visible change, and returns the measurement. Never throws. */
	measure(): DiskSpace {
		const folder = this.#opts.folder();
		const minFreeBytes = Math.max(0, this.#opts.minFreeBytes());
		let now: DiskSpace;
		try {
			const { freeBytes, totalBytes } = measureFolder(folder, this.#opts.statfs);
			now = { folder, freeBytes, totalBytes, minFreeBytes, low: minFreeBytes > 0 && freeBytes < minFreeBytes, checkedAt: Date.now(), problem: null };
		} catch (err) {
			// Not measurable (a network share without statfs): nothing to refuse on; the write
			// failure path still keeps the file whole.
			now = { folder, freeBytes: null, totalBytes: null, minFreeBytes, low: false, checkedAt: Date.now(), problem: (err as Error).message };
		}
		this.#current = now;
		const before = this.#reported;
		if (!before || visiblyDifferent(before, now)) {
			this.#reported = now;
			try {
				this.#opts.onChange(now, before);
			} catch {
				// A failing listener must not stop the watch.
			}
		}
		return now;
	}

	/** The latest measurement, taken again when older than `freshMs`. */
	current(): DiskSpace {
		const c = this.#current;
		if (c && Date.now() - c.checkedAt < (this.#opts.freshMs ?? 250) && c.folder === this.#opts.folder() && c.minFreeBytes === this.#opts.minFreeBytes()) return c;
		return this.measure();
	}

	/**
	 * Throws IO with the free space, the minimum and where to change it when the recordings folder
	 * has less free space than the minimum: what `recordings.start` checks first.
	 */
	assertRoom(what = "a recording"): void {
		const d = this.current();
		if (d.low && d.freeBytes !== null) throw new StudioError("IO", lowSpaceMessage(d, `${what} cannot start`));
	}
}

/** The words for low space: `disk space low: 312 MB free in /x, below the 500 MB minimum (...)`. */
export function lowSpaceMessage(d: DiskSpace, consequence: string): string {
	return `disk space low: ${formatMB(d.freeBytes ?? 0)} free in ${d.folder}, below the ${formatMB(d.minFreeBytes)} minimum; ${consequence} (free some space, or change the recordings folder or the minimum in Settings)`;
}

function visiblyDifferent(a: DiskSpace, b: DiskSpace): boolean {
	if (a.low !== b.low || a.folder !== b.folder || a.minFreeBytes !== b.minFreeBytes || a.problem !== b.problem) return true;
	if (a.freeBytes === null || b.freeBytes === null) return a.freeBytes !== b.freeBytes;
	const moved = Math.abs(a.freeBytes - b.freeBytes);
	return moved >= 1e6 || moved >= 0.01 * Math.max(a.freeBytes, b.freeBytes);
}
