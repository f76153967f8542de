/**
 * Every monitor of the engine: opens, selects, lists and closes them, routes media channels to
 * them, emits `monitor.state`, and closes monitors whose renderer never came or went away.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { StudioError } from "../../../shared/errors";
import type { MonitorInfo, MonitorOpenArgs } from "../../../shared/monitor";
import type { EventBus } from "../events";
import type { Log } from "../log/logger";
import type { OriginRegistry } from "../origins/registry";
import { MonitorChannel, type MonitorPeer } from "./channel";
import { Monitor } from "./monitor";
import type { RenditionChoice } from "./renditions";

/** How often open monitors report their stats (and are checked for stalls). */
export const MONITOR_TICK_MS = 500;
/** A monitor whose channel was never opened closes after this long. */
export const MONITOR_ATTACH_TIMEOUT_MS = 15_000;
/** A monitor whose channel closed (page gone) closes unless it is opened again within this long. */
export const MONITOR_DETACH_GRACE_MS = 5_000;

/** What the manager needs from the engine. */
export interface MonitorManagerOptions {
	origins: OriginRegistry;
	events: EventBus;
	log: Log;
	/** Override the lifetime timers (tests). */
	attachTimeoutMs?: number;
	detachGraceMs?: number;
}

/** A host's handle on an attached monitor channel. */
export interface AttachedMonitorChannel {
	/** Feeds one message from the renderer (an acknowledgement). Throws PROTOCOL on anything else. */
	receive(data: unknown): void;
	/** The host's transport closed. Idempotent. */
	closed(): void;
}

interface Entry {
	monitor: Monitor;
	/** The lifetime timer: attach deadline or detach grace; none while attached. */
	timer: ReturnType<typeof setTimeout> | undefined;
}

/** The engine's monitors. */
export class MonitorManager {
	readonly #opts: MonitorManagerOptions;
	readonly #entries = new Map<string, Entry>();
	readonly #byChannel = new Map<string, Entry>();
	#ticker: ReturnType<typeof setInterval> | undefined;

	constructor(opts: MonitorManagerOptions) {
		this.#opts = opts;
	}

	/**
	 * Opens a monitor of `path` in an origin (waiting for it if it is not announced). NOT_FOUND for
	 * an unknown origin. The returned `channel` is random and unguessable; the monitor closes by
	 * itself if no renderer opens it within the attach timeout.
	 */
	open(args: MonitorOpenArgs): MonitorInfo {
		this.#opts.origins.get(args.originId); // NOT_FOUND before anything is created
		const id = randomUUID();
		const channel = new MonitorChannel(randomBytes(24).toString("base64url"));
		const monitor = new Monitor({
			id,
			channel,
			originId: args.originId,
			path: args.path,
			video: args.video,
			audio: args.audio,
			origins: this.#opts.origins,
			log: this.#opts.log.child(args.path),
			// The monitor reports changes from its constructor on (a broadcast already there), before
			// it is registered: those are covered by the event below.
			onChange: () => {
				const entry = this.#entries.get(id);
				if (entry) this.#emit(entry);
			},
		});
		const entry: Entry = { monitor, timer: undefined };
		this.#entries.set(id, entry);
		this.#byChannel.set(channel.id, entry);
		this.#arm(entry, this.#opts.attachTimeoutMs ?? MONITOR_ATTACH_TIMEOUT_MS, "its channel was never opened");
		this.#ticker ??= setInterval(() => this.#tick(), MONITOR_TICK_MS);
		this.#opts.log.info(`monitor ${id} opened on ${args.path}`);
		const info = monitor.info();
		this.#opts.events.emit("monitor.state", info);
		return info;
	}

	/** Closes a monitor, releasing its subscriptions upstream; NOT_FOUND for an unknown id. */
	close(id: string): { id: string } {
		this.#closeEntry(this.#require(id), "closed");
		return { id };
	}

	/** Switches a monitor's renditions (see {@link Monitor.select}); NOT_FOUND for an unknown id. */
	select(id: string, video: RenditionChoice, audio: RenditionChoice): MonitorInfo {
		const entry = this.#require(id);
		entry.monitor.select(video, audio);
		return entry.monitor.info();
	}

	/** Every open monitor, oldest first. */
	list(): MonitorInfo[] {
		return [...this.#entries.values()].map((e) => e.monitor.info());
	}

	/** One monitor's info; NOT_FOUND for an unknown id. */
	info(id: string): MonitorInfo {
		return this.#require(id).monitor.info();
	}

	/** True when an open monitor owns `channel`. */
	owns(channel: string): boolean {
		return this.#byChannel.has(channel);
	}

	/**
	 * Attaches a host's transport to a monitor's channel (replacing an earlier one) and starts
	 * forwarding. NOT_FOUND for a channel no open monitor owns.
	 */
	attach(channel: string, peer: MonitorPeer): AttachedMonitorChannel {
		const entry = this.#byChannel.get(channel);
		if (!entry) throw new StudioError("NOT_FOUND", "unknown media channel");
		const { monitor } = entry;
		this.#disarm(entry);
		monitor.channel.attach(peer);
		monitor.attached();
		let open = true;
		return {
			receive: (data) => {
				if (open) monitor.channel.receive(peer, data);
			},
			closed: () => {
				if (!open) return;
				open = false;
				if (!monitor.channel.detach(peer) || monitor.closed) return;
				monitor.detached();
				this.#arm(entry, this.#opts.detachGraceMs ?? MONITOR_DETACH_GRACE_MS, "its channel closed");
			},
		};
	}

	/** Closes every monitor (engine shutdown). */
	closeAll(): void {
		for (const entry of [...this.#entries.values()]) this.#closeEntry(entry, "the studio closed");
		if (this.#ticker) clearInterval(this.#ticker);
		this.#ticker = undefined;
	}

	#require(id: string): Entry {
		const entry = this.#entries.get(id);
		if (!entry) throw new StudioError("NOT_FOUND", `no monitor with id ${JSON.stringify(id)}`);
		return entry;
	}

	#arm(entry: Entry, ms: number, why: string): void {
		this.#disarm(entry);
		entry.timer = setTimeout(() => this.#closeEntry(entry, why), ms);
	}

	#disarm(entry: Entry): void {
		if (entry.timer) clearTimeout(entry.timer);
		entry.timer = undefined;
	}

	#closeEntry(entry: Entry, why: string): void {
		const { monitor } = entry;
		if (monitor.closed) return;
		this.#disarm(entry);
		monitor.close();
		this.#entries.delete(monitor.id);
		this.#byChannel.delete(monitor.channel.id);
		this.#opts.log.info(`monitor ${monitor.id} closed: ${why}`);
		this.#opts.events.emit("monitor.state", monitor.info());
		if (this.#entries.size === 0 && this.#ticker) {
			clearInterval(this.#ticker);
			this.#ticker = undefined;
		}
	}

	#emit(entry: Entry): void {
		if (!entry.monitor.closed) this.#opts.events.emit("monitor.state", entry.monitor.info());
	}

	#tick(): void {
		const now = Date.now();
		for (const entry of this.#entries.values()) {
			entry.monitor.tick(now);
			this.#emit(entry);
		}
	}
}
