/**
 * The engine's recordings: start one on any broadcast of an origin, follow its progress, stop it.
 * Files are always created inside the recordings folder (names that escape it are refused).
 */
import { randomUUID } from "node:crypto";
import { StudioError } from "../../../shared/errors";
import type { RecordingInfo } from "../../../shared/recordings";
import type { EventBus } from "../events";
import type { Log } from "../log/logger";
import type { OriginRegistry } from "../origins/registry";
import type { OriginBroadcast } from "../origins/broadcast";
import { checkFileName, type RecordingProgress, type TrackStateChange } from "../record";
import { recordFromOrigin } from "./follow";
import { writeSidecar } from "./library";

/** What `start` takes (validated by the contract). */
export interface RecordingRequest {
	originId: string;
	path: string;
	fileName?: string;
	format?: "mp4" | "mkv";
	durationS?: number;
	/** Rotate to a new file every this many minutes of media (see RecorderOptions.segment). */
	segmentMinutes?: number;
	/** Rotate to a new file once the current one holds this many MB. */
	segmentMB?: number;
	/** Engine-only (auto-record rules): the broadcast seen at its announcement, recorded from its first group. */
	announced?: OriginBroadcast;
	/** Engine-only: told each broadcast instance the recording takes (recordings/follow.ts). */
	onPart?: (broadcast: OriginBroadcast) => void;
}

interface Entry {
	info: RecordingInfo;
	stop: AbortController;
	done: Promise<void>;
	/** Set when low disk space stopped it: the recording ends `disk-low` with this error. */
	lowDisk: StudioError | undefined;
}

/** What the manager works with. */
export interface RecordingManagerDeps {
	origins: OriginRegistry;
	events: EventBus;
	log: Log;
	folder: () => string;
	/**
	 * When a session's current connection was made, so a recording armed before a broadcast was
	 * announced records it from its first group, while one the session found already running
	 * starts at the latest (recordings/follow.ts). Throws for an unknown session.
	 */
	sessionConnectedAt?: (sessionId: string) => number | null;
	/** The origin's name and the relay feeding it (without credentials), for the file's sidecar. */
	describeSource?: (originId: string) => { originName: string | null; relay: string | null };
	/** The free-space gate (recordings/disk-space.ts): throws IO when the folder is below its minimum. */
	diskSpace?: { assertRoom(what?: string): void };
}

/** Owns the running and finished recordings of this engine run. */
export class RecordingManager {
	readonly #entries = new Map<string, Entry>();
	/** Files being written right now: absolute path → recording id (the library shows them as `recording`). */
	readonly #active = new Map<string, string>();
	readonly #deps: RecordingManagerDeps;

	constructor(deps: RecordingManagerDeps) {
		this.#deps = deps;
	}

	/** Starts recording (waiting for the broadcast if it is not announced yet). NOT_FOUND / FORBIDDEN / INVALID_ARGUMENT. */
	start(request: RecordingRequest): RecordingInfo {
		if (!this.#deps.origins.has(request.originId)) throw new StudioError("NOT_FOUND", `no origin with id ${JSON.stringify(request.originId)}`);
		if (request.fileName !== undefined) checkFileName(request.fileName);
		this.#deps.diskSpace?.assertRoom(`a recording of ${request.path}`);
		const path = request.path.replace(/^\/+|\/+$/g, "");
		const info: RecordingInfo = {
			id: randomUUID(),
			originId: request.originId,
			path,
			file: null,
			state: "waiting",
			end: null,
			startedAt: Date.now(),
			endedAt: null,
			durationS: 0,
			bytes: 0,
			epochs: 0,
			tracks: [],
			error: null,
			...(request.segmentMinutes !== undefined ? { segmentMinutes: request.segmentMinutes } : {}),
			...(request.segmentMB !== undefined ? { segmentMB: request.segmentMB } : {}),
		};
		const stop = new AbortController();
		const entry: Entry = { info, stop, done: Promise.resolve(), lowDisk: undefined };
		const update = (patch: Partial<RecordingInfo>) => {
			Object.assign(info, patch);
			this.#deps.events.emit("recordings.progress", { ...info });
		};
		// The last state change per track: its reason and group ride along with every progress event.
		const changes = new Map<string, TrackStateChange>();
		const fromProgress = (p: RecordingProgress): Partial<RecordingInfo> => ({
			file: p.path ?? null,
			...(p.segments.length > 1 ? { segments: p.segments } : {}),
			durationS: p.durationS,
			bytes: p.bytes,
			epochs: p.epochs,
			tracks: Object.entries(p.tracks).map(([name, t]) => ({
				name,
				kind: t.kind,
				codec: t.codec,
				frames: t.frames,
				bytes: t.bytes,
				dropped: t.dropped,
				state: t.state,
				reason: changes.get(name)?.reason ?? null,
				group: changes.get(name)?.group ?? null,
				gaps: t.gaps,
				gapS: t.gapS,
				skippedGroups: t.skippedGroups,
				resubscribes: t.resubscribes,
			})),
		});
		let lastEmit = 0;
		let lastProgress: RecordingProgress | undefined;
		let file: string | undefined;
		// The first progress that names a file: the file exists now, so the library lists it. With
		// segments, each new file gets its own sidecar (its start is when it began) and the one
		// before it is complete.
		const fileCreated = (p: RecordingProgress) => {
			if (file === p.path || !p.path) return;
			const segment = file !== undefined;
			if (segment) this.#active.delete(file!);
			file = p.path;
			this.#active.set(file, info.id);
			const source = this.#deps.describeSource?.(request.originId) ?? { originName: null, relay: null };
			writeSidecar(file, { originId: request.originId, path, startedAt: segment ? Date.now() : info.startedAt, ...source }).then(
				() => this.#deps.events.emit("recordings.library.changed", { name: null }),
				(err: unknown) => this.#deps.log.warn(`sidecar of ${file ?? path} not written: ${(err as Error).message}`),
			);
		};
		const fileDone = () => {
			if (file === undefined) return;
			this.#active.delete(file);
			this.#deps.events.emit("recordings.library.changed", { name: null });
		};
		const done = recordFromOrigin({
			origins: this.#deps.origins,
			originId: request.originId,
			path,
			signal: stop.signal,
			sessionConnectedAt: this.#deps.sessionConnectedAt,
			announced: request.announced,
			onPart: request.onPart,
			recorder: {
				folder: this.#deps.folder(),
				broadcast: path,
				fileName: request.fileName,
				format: request.format,
				durationS: request.durationS,
				...(request.segmentMinutes !== undefined || request.segmentMB !== undefined
					? { segment: { seconds: request.segmentMinutes !== undefined ? request.segmentMinutes * 60 : undefined, bytes: request.segmentMB !== undefined ? request.segmentMB * 1e6 : undefined } }
					: {}),
				log: this.#deps.log,
				onProgress: (p) => {
					lastProgress = p;
					fileCreated(p);
					if (Date.now() - lastEmit < 500) return;
					lastEmit = Date.now();
					update({ ...fromProgress(p), state: "recording" });
				},
				// A track's state change is news at once, not at the next 500 ms tick.
				onTrackState: (change) => {
					changes.set(change.track, change);
					if (lastProgress) update({ ...fromProgress(lastProgress), state: "recording" });
				},
			},
		}).then(
			(summary) => {
				fileDone();
				const low = entry.lowDisk;
				update({ ...fromProgress(summary), state: "finished", end: low ? "disk-low" : summary.end, endedAt: Date.now(), ...(low ? { error: low.toInfo() } : {}) });
				if (low) this.#deps.log.warn(`recording of ${path} stopped: ${low.message}; the file is complete: ${summary.path ?? "no file"}`);
				else this.#deps.log.info(`recording of ${path} finished (${summary.end}): ${summary.path ?? "no file"}`);
			},
			(err: unknown) => {
				fileDone();
				const error = StudioError.from(err).toInfo();
				update({ state: "failed", end: "failed", endedAt: Date.now(), error });
				this.#deps.log.error(`recording of ${path} failed: ${error.message}`);
			},
		);
		entry.done = done;
		this.#entries.set(info.id, entry);
		this.#deps.events.emit("recordings.progress", { ...info });
		return { ...info };
	}

	/** Stops a recording and resolves once its file is complete; NOT_FOUND for an unknown id. */
	async stop(id: string): Promise<RecordingInfo> {
		const entry = this.#entries.get(id);
		if (!entry) throw new StudioError("NOT_FOUND", `no recording with id ${JSON.stringify(id)}`);
		entry.stop.abort();
		await entry.done;
		return { ...entry.info };
	}

	/**
	 * Stops every running recording because free space fell below the minimum: each completes its
	 * file (last fragment and index, which the minimum leaves room for) and ends `disk-low` with
	 * `error` saying so. Returns the recordings it stopped; resolves once their files are complete.
	 */
	async stopForLowDisk(message: string): Promise<RecordingInfo[]> {
		const running = [...this.#entries.values()].filter((e) => e.info.state === "waiting" || e.info.state === "recording");
		for (const e of running) {
			e.lowDisk ??= new StudioError("IO", message);
			e.stop.abort();
		}
		await Promise.all(running.map((e) => e.done));
		return running.map((e) => ({ ...e.info }));
	}

	/** Every recording of this run, newest first. */
	list(): RecordingInfo[] {
		return [...this.#entries.values()].map((e) => ({ ...e.info })).reverse();
	}

	/** Files being written by running recordings: absolute path → recording id. */
	activeFiles(): ReadonlyMap<string, string> {
		return this.#active;
	}

	/** Stops every recording, completing their files. */
	async stopAll(): Promise<void> {
		await Promise.all([...this.#entries.keys()].map((id) => this.stop(id)));
	}
}
