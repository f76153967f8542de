/**
 * The engine's file publications: publish a media file into an origin (so to every session that
 * origin is attached to) at its own timing, follow its progress, stop it.
 */
import { randomUUID } from "node:crypto";
import * as Moq from "@moq/net";
import { StudioError } from "../../../shared/errors";
import type { FilePublishInfo } from "../../../shared/recordings";
import type { EventBus } from "../events";
import type { Log } from "../log/logger";
import { LocalBroadcast } from "../origins/broadcast";
import type { OriginRegistry } from "../origins/registry";
import { openMediaFile, publishFile } from "../publish";
import { drainOrigin } from "../sessions/drain";
import type { SessionManager } from "../sessions/manager";

interface Entry {
	info: FilePublishInfo;
	stop: AbortController;
	done: Promise<void>;
}

/** Owns the file publications of this engine run. */
export class FilePublishManager {
	readonly #entries = new Map<string, Entry>();
	readonly #deps: { origins: OriginRegistry; events: EventBus; log: Log; sessions?: SessionManager };

	/** `sessions` are what a finished publication waits on to drain its tail; without them it ends at once. */
	constructor(deps: { origins: OriginRegistry; events: EventBus; log: Log; sessions?: SessionManager }) {
		this.#deps = deps;
	}

	/**
	 * Starts publishing. The file is opened and probed first, so NOT_FOUND (origin), IO
	 * (unreadable file), MEDIA (not media, no publishable track) and ALREADY_EXISTS reject here and
	 * leave nothing behind; only then does the broadcast enter the origin. A failure while
	 * publishing (a truncated file) arrives as a failed state, and the broadcast leaves the origin
	 * at once, so a retry at the same path works.
	 */
	async start(request: { originId: string; path: string; file: string; loop?: boolean; waitForSubscribers?: boolean }): Promise<FilePublishInfo> {
		// Fail fast on an unknown origin, before touching the file.
		this.#deps.origins.get(request.originId);
		// Open before announcing: a broadcast announced for a file that then fails to open was an
		// empty ghost on every relay, holding the path against retries (issue 14).
		const media = await openMediaFile(request.file);
		const producer = new Moq.Broadcast.Producer();
		const broadcast = new LocalBroadcast(request.path, producer);
		try {
			this.#deps.origins.addBroadcast(request.originId, broadcast);
		} catch (err) {
			media.close();
			producer.close();
			throw err;
		}
		const info: FilePublishInfo = {
			id: randomUUID(),
			originId: request.originId,
			path: request.path,
			file: request.file,
			state: "publishing",
			positionS: 0,
			loops: 0,
			frames: 0,
			startedAt: Date.now(),
			error: null,
		};
		const update = (patch: Partial<FilePublishInfo>) => {
			Object.assign(info, patch);
			this.#deps.events.emit("publishing.progress", { ...info });
		};
		const stop = new AbortController();
		let lastEmit = 0;
		let failed = false;
		const done = publishFile({
			file: request.file,
			media,
			broadcast: producer,
			loop: request.loop,
			// Replay's "start with the first viewer": a recorder waiting for it gets the first frame.
			waitForSubscribers: request.waitForSubscribers,
			signal: stop.signal,
			log: this.#deps.log,
			onProgress: (p) => {
				if (Date.now() - lastEmit < 500) return;
				lastEmit = Date.now();
				update({ positionS: p.positionS, loops: p.loops, frames: Object.values(p.tracks).reduce((n, t) => n + t.frames, 0) });
			},
		}).then(
			(summary) => update({ state: "finished", positionS: summary.positionS, loops: summary.loops, frames: Object.values(summary.tracks).reduce((n, t) => n + t.frames, 0) }),
			(err: unknown) => {
				const error = StudioError.from(err).toInfo();
				this.#deps.log.error(`publishing ${request.file} failed: ${error.message}`);
				failed = true;
				// The tracks ended with the error, so there is no tail to drain: take the broadcast
				// out at once rather than leave it announced while the drain waits (issue 14).
				this.#deps.origins.removeBroadcast(request.originId, broadcast);
				update({ state: "failed", error });
			},
		).finally(async () => {
			// publishFile closed the tracks: let their tails reach the relays before the broadcast
			// ends, or the unannounce overtakes the last groups (see sessions/drain.ts).
			const sessions = this.#deps.sessions;
			try {
				if (sessions && !failed) await drainOrigin(sessions, request.originId, request.path);
			} finally {
				producer.close();
			}
		});
		this.#entries.set(info.id, { info, stop, done });
		this.#deps.events.emit("publishing.progress", { ...info });
		return { ...info };
	}

	/**
	 * Stops a publication: its tracks end after their last frame and, once the sessions have
	 * served those tails (or they made no progress for SERVED_DRAIN_TIMEOUT_MS), the broadcast ends. NOT_FOUND for an
	 * unknown id.
	 */
	async stop(id: string): Promise<FilePublishInfo> {
		const entry = this.#entries.get(id);
		if (!entry) throw new StudioError("NOT_FOUND", `no file publication with id ${JSON.stringify(id)}`);
		entry.stop.abort();
		await entry.done;
		return { ...entry.info };
	}

	/** Every publication of this run, newest first. */
	list(): FilePublishInfo[] {
		return [...this.#entries.values()].map((e) => ({ ...e.info })).reverse();
	}

	/** Stops every publication. */
	async stopAll(): Promise<void> {
		await Promise.all([...this.#entries.keys()].map((id) => this.stop(id)));
	}
}
