/**
 * Every Go Live broadcast of the engine: starts and stops them, routes media channels to them,
 * and adapts each video encoder's bitrate to what its destinations can carry.
 */
import { StudioError } from "../../../shared/errors";
import type { LiveBroadcastInfo } from "../../../shared/media";
import type { EventBus } from "../events";
import type { Log } from "../log/logger";
import type { OriginRegistry } from "../origins/registry";
import type { SessionManager } from "../sessions/manager";
import { LiveBroadcast, type LiveSpec } from "./live-broadcast";
import { adaptBitrate } from "./adapt";

/** Owns the live broadcasts. */
export class GoLiveManager {
	readonly #live = new Map<string, LiveBroadcast>();
	readonly #origins: OriginRegistry;
	readonly #sessions: SessionManager;
	readonly #events: EventBus;
	readonly #log: Log;
	#timer: ReturnType<typeof setInterval> | undefined;

	constructor(deps: { origins: OriginRegistry; sessions: SessionManager; events: EventBus; log: Log }) {
		this.#origins = deps.origins;
		this.#sessions = deps.sessions;
		this.#events = deps.events;
		this.#log = deps.log;
	}

	/** Goes live: the broadcast enters its origin at once. NOT_FOUND / ALREADY_EXISTS from the origin. */
	start(spec: LiveSpec): LiveBroadcastInfo {
		const live = new LiveBroadcast(spec, this.#origins);
		this.#live.set(live.id, live);
		this.#log.info(`live: ${spec.path} (${live.channels.map((c) => c.track).join(", ")})`);
		this.#ensureTimer();
		return this.info(live.id);
	}

	/** Stops a live broadcast; NOT_FOUND for an unknown id. */
	stop(id: string): void {
		const live = this.#require(id);
		live.stop();
		this.#live.delete(id);
		this.#log.info(`stopped ${live.path}`);
		if (this.#live.size === 0 && this.#timer) {
			clearInterval(this.#timer);
			this.#timer = undefined;
		}
	}

	/** True when a live broadcast owns `channel`. */
	owns(channel: string): boolean {
		return [...this.#live.values()].some((live) => live.owns(channel));
	}

	/** The broadcast that owns `channel`, or a NOT_FOUND error (an unknown channel is refused). */
	byChannel(channel: string): LiveBroadcast {
		for (const live of this.#live.values()) if (live.owns(channel)) return live;
		throw new StudioError("NOT_FOUND", "unknown media channel");
	}

	/** State and counters of one live broadcast. */
	info(id: string): LiveBroadcastInfo {
		const live = this.#require(id);
		return {
			id: live.id,
			path: live.path,
			originId: live.originId,
			startedAt: live.startedAt,
			channels: live.channels,
			tracks: live.trackStats(),
			destinations: this.#destinations(live),
		};
	}

	/** Every live broadcast. */
	list(): LiveBroadcastInfo[] {
		return [...this.#live.keys()].map((id) => this.info(id));
	}

	/** Stops everything. */
	stopAll(): void {
		for (const id of [...this.#live.keys()]) this.stop(id);
	}

	#destinations(live: LiveBroadcast) {
		return this.#sessions
			.list()
			.filter((s) => s.publishOrigin === live.originId && s.phase !== "closed" && s.phase !== "failed")
			.map((s) => {
				const stats = this.#sessions.stats(s.id);
				return { sessionId: s.id, url: s.url, phase: s.phase, bitrateOut: stats.bitrateOut, queuedBytes: stats.queuedBytes };
			});
	}

	#ensureTimer(): void {
		if (this.#timer) return;
		this.#timer = setInterval(() => this.#tick(), 1000);
		this.#timer.unref?.();
	}

	/** Once a second: adapt video bitrates and publish stats (the UI shows them live). */
	#tick(): void {
		for (const live of this.#live.values()) {
			const bounds = live.videoBounds;
			if (bounds) {
				const ids = this.#sessions.list().filter((s) => s.publishOrigin === live.originId && s.phase === "connected").map((s) => s.id);
				const next = adaptBitrate(bounds, ids.map((id) => this.#sessions.stats(id)));
				if (next !== bounds.target) {
					const applied = live.retarget(next);
					this.#log.debug(`${live.path}: video target ${bounds.target} -> ${applied} b/s`);
				}
			}
			this.#events.emit("golive.stats", this.info(live.id));
		}
	}

	#require(id: string): LiveBroadcast {
		const live = this.#live.get(id);
		if (!live) throw new StudioError("NOT_FOUND", `no live broadcast with id ${JSON.stringify(id)}`);
		return live;
	}
}
