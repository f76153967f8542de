/**
 * Every Go Live broadcast of the engine: starts and stops them, routes media channels to them,
 * adapts each video encoder's bitrate to what its destinations can carry, and ends the ones
 * whose page went away (issue 18: a closed browser left a broadcast that blocked its path).
 */
import { StudioError } from "../../../shared/errors";
import type { LiveBroadcastInfo, LiveEndReason } from "../../../shared/media";
import type { EventBus } from "../events";
import type { Log } from "../log/logger";
import type { OriginRegistry } from "../origins/registry";
import type { SessionManager } from "../sessions/manager";
import { LiveBroadcast, type LiveSpec } from "./live-broadcast";
import { adaptMemory, adaptRenditions, type AdaptMemory } from "./simulcast-adapt";

/**
 * How long a Go Live whose page went away stays on air before it ends. A reload of the page
 * does not resume the old broadcast (the page's encoders are gone with it); the grace period
 * only keeps a brief hiccup from ending the show, and while it runs the same path can be taken
 * over by a new Go Live (see {@link GoLiveManager.start}) instead of failing ALREADY_EXISTS.
 */
export const ORPHAN_GRACE_MS = 5_000;

/**
 * One client of Go Live (a web page's bridge socket, an Electron renderer). Hosts create one
 * per client, claim every broadcast that client starts, and release it when the client goes away.
 */
export interface LiveOwner {
	/** Ties live broadcast `id` to this client; claiming after {@link release} orphans it at once. */
	claim(id: string): void;
	/** The client went away: each of its broadcasts ends after {@link ORPHAN_GRACE_MS}. Idempotent. */
	release(): void;
}

/**
 * Claims, for `owner`, the broadcast a successful `golive.start` returned (hosts see results as
 * unknown envelopes); ignores anything else.
 */
export function claimStarted(owner: LiveOwner, result: unknown): void {
	const id = (result as { id?: unknown } | null)?.id;
	if (typeof id === "string") owner.claim(id);
}

/** The manager's bookkeeping for one live broadcast. */
interface LiveEntry {
	live: LiveBroadcast;
	/** The client that started it; undefined for engine users (CLI, tests) that own it directly. */
	owner?: OwnerState;
	/** Media channels open right now, and whether one ever was. */
	openChannels: number;
	everAttached: boolean;
	/** Armed while the broadcast is orphaned; ends it when it fires. */
	orphanTimer?: ReturnType<typeof setTimeout>;
}

interface OwnerState {
	readonly label: string;
	released: boolean;
}

/** Owns the live broadcasts. */
export class GoLiveManager {
	readonly #live = new Map<string, LiveEntry>();
	/** Each broadcast's adaptation memory (simulcast-adapt.ts), gone with the broadcast. */
	readonly #adaptMemory = new WeakMap<LiveBroadcast, AdaptMemory>();
	/** Stopped broadcasts whose tail is still draining; they hold their path until they end. */
	readonly #draining = new Set<LiveBroadcast>();
	readonly #origins: OriginRegistry;
	readonly #sessions: SessionManager;
	readonly #events: EventBus;
	readonly #log: Log;
	readonly #graceMs: number;
	#timer: ReturnType<typeof setInterval> | undefined;

	constructor(deps: { origins: OriginRegistry; sessions: SessionManager; events: EventBus; log: Log; orphanGraceMs?: number }) {
		this.#origins = deps.origins;
		this.#sessions = deps.sessions;
		this.#events = deps.events;
		this.#log = deps.log;
		this.#graceMs = deps.orphanGraceMs ?? ORPHAN_GRACE_MS;
	}

	/**
	 * Goes live: the broadcast enters its origin at once. NOT_FOUND / ALREADY_EXISTS from the
	 * origin. An orphaned Go Live at the same origin and path (its page went away, the grace
	 * period is running) is ended first with reason `replaced`, so going live again right after
	 * closing or reloading the page works; a Go Live whose page is still there keeps its path.
	 */
	start(spec: LiveSpec): LiveBroadcastInfo {
		for (const [id, entry] of this.#live) {
			if (entry.live.originId === spec.originId && entry.live.path === spec.path && this.#orphaned(entry)) {
				void this.#end(id, "replaced");
			}
		}
		// A stopped Go Live still draining its tail holds the path until it ends: going live again
		// there takes it over, ending the drain now rather than failing ALREADY_EXISTS.
		for (const live of this.#draining) {
			if (live.originId === spec.originId && live.path === spec.path) live.end();
		}
		const live = new LiveBroadcast(spec, this.#origins, this.#sessions);
		this.#live.set(live.id, { live, openChannels: 0, everAttached: false });
		this.#log.info(`live: ${spec.path} (${live.channels.map((c) => c.track).join(", ")})`);
		this.#ensureTimer();
		// Heard at once, not at the first stats tick: the shell's busy state keeps the machine
		// awake from the moment the streamer is live.
		const info = this.info(live.id);
		this.#events.emit("golive.stats", info);
		return info;
	}

	/**
	 * Stops a live broadcast; NOT_FOUND for an unknown id. The id is unknown at once (no more
	 * chunks are taken); the promise resolves once the relays have its tail and it has left its
	 * origin ({@link LiveBroadcast.stop}, bounded), after its final `golive.stats` with `ended`.
	 */
	async stop(id: string): Promise<void> {
		this.#require(id);
		await this.#end(id, "stopped");
	}

	/** A new client handle for a host; see {@link LiveOwner}. `label` names it in the log. */
	owner(label: string): LiveOwner {
		const state: OwnerState = { label, released: false };
		const claimed = new Set<string>();
		return {
			claim: (id) => {
				const entry = this.#live.get(id);
				if (!entry || entry.owner) return;
				entry.owner = state;
				claimed.add(id);
				this.#review(id, entry);
			},
			release: () => {
				if (state.released) return;
				state.released = true;
				for (const id of claimed) {
					const entry = this.#live.get(id);
					if (entry) this.#review(id, entry);
				}
				claimed.clear();
			},
		};
	}

	/**
	 * A media channel of `channel`'s broadcast opened; returns the function to call once when it
	 * closes. When every channel of a claimed broadcast has closed, the broadcast is orphaned.
	 * NOT_FOUND for an unknown channel.
	 */
	channelOpened(channel: string): () => void {
		const id = this.byChannel(channel).id;
		const entry = this.#live.get(id)!;
		entry.openChannels++;
		entry.everAttached = true;
		this.#review(id, entry);
		let closed = false;
		return () => {
			if (closed) return;
			closed = true;
			entry.openChannels--;
			if (this.#live.get(id) === entry) this.#review(id, entry);
		};
	}

	/** True when a live broadcast owns `channel`. */
	owns(channel: string): boolean {
		return [...this.#live.values()].some((entry) => entry.live.owns(channel));
	}

	/** The broadcast that owns `channel`, or a NOT_FOUND error (an unknown channel is refused). */
	byChannel(channel: string): LiveBroadcast {
		for (const entry of this.#live.values()) if (entry.live.owns(channel)) return entry.live;
		throw new StudioError("NOT_FOUND", "unknown media channel");
	}

	/** State and counters of one live broadcast. */
	info(id: string): LiveBroadcastInfo {
		return this.#info(this.#require(id));
	}

	/** Every live broadcast. */
	list(): LiveBroadcastInfo[] {
		return [...this.#live.keys()].map((id) => this.info(id));
	}

	/** Stops everything, each as {@link stop} does; resolves when all have ended, tails already draining included. */
	async stopAll(): Promise<void> {
		const draining = [...this.#draining].map((live) => live.stop());
		await Promise.all([...[...this.#live.keys()].map((id) => this.#end(id, "stopped")), ...draining]);
	}

	#info(live: LiveBroadcast): LiveBroadcastInfo {
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

	/**
	 * Orphaned: a host claimed it and then either its client went away or every media channel
	 * it had opened closed. Broadcasts nobody claimed (the CLI, tests driving the engine) are
	 * their caller's to stop.
	 */
	#orphaned(entry: LiveEntry): boolean {
		if (!entry.owner) return false;
		return entry.owner.released || (entry.everAttached && entry.openChannels === 0);
	}

	/** Arms or disarms the orphan timer after an owner or channel change. */
	#review(id: string, entry: LiveEntry): void {
		const orphaned = this.#orphaned(entry);
		if (orphaned && !entry.orphanTimer) {
			const why = entry.owner?.released ? `${entry.owner.label} went away` : "every media channel closed";
			this.#log.info(`${entry.live.path}: ${why}; ending in ${this.#graceMs} ms unless taken over`);
			entry.orphanTimer = setTimeout(() => {
				entry.orphanTimer = undefined;
				if (this.#live.get(id) === entry && this.#orphaned(entry)) this.#end(id, "orphaned");
			}, this.#graceMs);
			entry.orphanTimer.unref?.();
		} else if (!orphaned && entry.orphanTimer) {
			clearTimeout(entry.orphanTimer);
			entry.orphanTimer = undefined;
		}
	}

	/**
	 * Ends one broadcast for `reason`, all at once for its clients: the id is forgotten, its
	 * chunks are refused and one last stats event with `ended` goes out. Then its tail drains to
	 * the relays (skipped when `replaced`: the new Go Live needs the path now) and it is
	 * unannounced everywhere; the promise resolves after that.
	 */
	async #end(id: string, reason: LiveEndReason): Promise<void> {
		const entry = this.#live.get(id);
		if (!entry) return;
		clearTimeout(entry.orphanTimer);
		this.#live.delete(id);
		if (this.#live.size === 0 && this.#timer) {
			clearInterval(this.#timer);
			this.#timer = undefined;
		}
		const live = entry.live;
		const final = this.#info(live);
		if (reason === "replaced") live.end();
		const stopped = live.stop(); // after end(): already over, resolves at once
		this.#log.info(reason === "stopped" ? `stopped ${live.path}` : `ended ${live.path}: ${reason}`);
		this.#events.emit("golive.stats", { ...final, ended: { at: Date.now(), reason } });
		this.#draining.add(live);
		try {
			await stopped;
		} finally {
			this.#draining.delete(live);
		}
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
		for (const { live } of this.#live.values()) {
			const renditions = live.renditionBounds();
			if (renditions.length > 0) {
				const ids = this.#sessions.list().filter((s) => s.publishOrigin === live.originId && s.phase === "connected").map((s) => s.id);
				// Each rendition on its own (simulcast-adapt.ts), from the queue and from what the links
				// carry against what the renditions bring in.
				const rates = new Map(live.trackStats().map((s) => [s.name, s.bitrate]));
				let memory = this.#adaptMemory.get(live);
				if (!memory) this.#adaptMemory.set(live, (memory = adaptMemory()));
				const next = adaptRenditions(renditions, ids.map((id) => this.#sessions.stats(id)), rates, memory);
				renditions.forEach((bounds, i) => {
					if (next[i] === bounds.target) return;
					const applied = live.retargetTrack(bounds.track, next[i]!);
					this.#log.debug(`${live.path}: ${bounds.track} target ${bounds.target} -> ${applied} b/s`);
				});
			}
			this.#events.emit("golive.stats", this.info(live.id));
		}
	}

	#require(id: string): LiveBroadcast {
		const entry = this.#live.get(id);
		if (!entry) throw new StudioError("NOT_FOUND", `no live broadcast with id ${JSON.stringify(id)}`);
		return entry.live;
	}
}
