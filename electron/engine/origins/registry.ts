/**
 * The origins the studio manages: named collections of broadcasts that outlive sessions.
 *
 * The registry owns names and identity; sessions attach to origins by id (publish and/or
 * consume), so renaming an origin never disturbs the sessions it flows through.
 */
import { randomUUID } from "node:crypto";
import type { Origin } from "../../../shared/models";
import { StudioError } from "../../../shared/errors";
import type { OriginBroadcast } from "./broadcast";

/** Called after every change with the full, ordered list. */
export type OriginsListener = (origins: Origin[]) => void;

/** A broadcast entering (`active`) or leaving an origin. */
export interface OriginEvent {
	originId: string;
	broadcast: OriginBroadcast;
	active: boolean;
}

/** Receives an origin's announcements. */
export type OriginWatcher = (event: OriginEvent) => void;

interface Entry {
	id: string;
	name: string;
	createdAt: number;
	broadcasts: Map<string, OriginBroadcast>;
	watchers: Set<OriginWatcher>;
}

/** Create, list, rename and delete origins; names are unique ignoring case. */
export class OriginRegistry {
	readonly #entries = new Map<string, Entry>();
	readonly #listeners = new Set<OriginsListener>();
	readonly #globalWatchers = new Set<OriginWatcher>();

	/** Every origin, oldest first. */
	list(): Origin[] {
		return [...this.#entries.values()].map(toModel);
	}

	/** The origin with `id`, or a NOT_FOUND error. */
	get(id: string): Origin {
		return toModel(this.#require(id));
	}

	/** Creates an origin; ALREADY_EXISTS when the name is taken. */
	create(name: string): Origin {
		this.#assertFreeName(name);
		const entry: Entry = { id: randomUUID(), name, createdAt: Date.now(), broadcasts: new Map(), watchers: new Set() };
		this.#entries.set(entry.id, entry);
		this.#changed();
		return toModel(entry);
	}

	/** Re-creates a saved origin with its id (settings restore); ALREADY_EXISTS on a clash. */
	restore(id: string, name: string, createdAt: number): Origin {
		if (this.#entries.has(id)) throw new StudioError("ALREADY_EXISTS", `an origin with id ${JSON.stringify(id)} exists`);
		this.#assertFreeName(name);
		const entry: Entry = { id, name, createdAt, broadcasts: new Map(), watchers: new Set() };
		this.#entries.set(id, entry);
		this.#changed();
		return toModel(entry);
	}

	/** Renames an origin; NOT_FOUND for an unknown id, ALREADY_EXISTS for a taken name. */
	rename(id: string, name: string): Origin {
		const entry = this.#require(id);
		if (entry.name !== name) this.#assertFreeName(name, id);
		entry.name = name;
		this.#changed();
		return toModel(entry);
	}

	/** Deletes an origin, unannouncing its broadcasts to its watchers; NOT_FOUND for an unknown id. */
	delete(id: string): void {
		const entry = this.#require(id);
		for (const b of entry.broadcasts.values()) this.#notify(entry, b, false);
		entry.watchers.clear();
		this.#entries.delete(id);
		this.#changed();
	}

	/** True when `id` names an origin. */
	has(id: string): boolean {
		return this.#entries.has(id);
	}

	/**
	 * Puts a broadcast into an origin and announces it to the origin's watchers. ALREADY_EXISTS
	 * when another live broadcast holds the path; the broadcast leaves by itself when it ends.
	 */
	addBroadcast(originId: string, broadcast: OriginBroadcast): void {
		const entry = this.#require(originId);
		const existing = entry.broadcasts.get(broadcast.path);
		if (existing && !existing.ended) {
			throw new StudioError("ALREADY_EXISTS", `origin ${JSON.stringify(entry.name)} already has a broadcast at ${JSON.stringify(broadcast.path)}`);
		}
		entry.broadcasts.set(broadcast.path, broadcast);
		this.#notify(entry, broadcast, true);
		this.#changed();
		void broadcast.done.then(() => this.removeBroadcast(originId, broadcast));
	}

	/** Takes `broadcast` out of its origin (if it is still there) and unannounces it. */
	removeBroadcast(originId: string, broadcast: OriginBroadcast): void {
		const entry = this.#entries.get(originId);
		if (!entry || entry.broadcasts.get(broadcast.path) !== broadcast) return;
		entry.broadcasts.delete(broadcast.path);
		this.#notify(entry, broadcast, false);
		this.#changed();
	}

	/** The live broadcast at `path` in an origin, or undefined. */
	broadcast(originId: string, path: string): OriginBroadcast | undefined {
		return this.#require(originId).broadcasts.get(path);
	}

	/**
	 * Follows an origin's announcements: first every current broadcast as active, then changes.
	 * NOT_FOUND for an unknown origin. Returns the unsubscribe function.
	 */
	watch(originId: string, watcher: OriginWatcher): () => void {
		const entry = this.#require(originId);
		entry.watchers.add(watcher);
		for (const broadcast of [...entry.broadcasts.values()]) safeCall(watcher, { originId, broadcast, active: true });
		return () => entry.watchers.delete(watcher);
	}

	/** Follows every origin's announcements (current ones first); returns the unsubscribe function. */
	watchAll(watcher: OriginWatcher): () => void {
		this.#globalWatchers.add(watcher);
		for (const entry of this.#entries.values()) {
			for (const broadcast of [...entry.broadcasts.values()]) safeCall(watcher, { originId: entry.id, broadcast, active: true });
		}
		return () => this.#globalWatchers.delete(watcher);
	}

	/** Every broadcast of every origin, with its origin id. */
	allBroadcasts(): { originId: string; broadcast: OriginBroadcast }[] {
		return [...this.#entries.values()].flatMap((e) => [...e.broadcasts.values()].map((broadcast) => ({ originId: e.id, broadcast })));
	}

	#notify(entry: Entry, broadcast: OriginBroadcast, active: boolean): void {
		const event = { originId: entry.id, broadcast, active };
		for (const w of [...entry.watchers]) safeCall(w, event);
		for (const w of [...this.#globalWatchers]) safeCall(w, event);
	}

	/** Subscribes to changes; returns the unsubscribe function. */
	subscribe(listener: OriginsListener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	#require(id: string): Entry {
		const entry = this.#entries.get(id);
		if (!entry) throw new StudioError("NOT_FOUND", `no origin with id ${JSON.stringify(id)}`);
		return entry;
	}

	#assertFreeName(name: string, except?: string): void {
		const lower = name.toLowerCase();
		for (const e of this.#entries.values()) {
			if (e.id !== except && e.name.toLowerCase() === lower) {
				throw new StudioError("ALREADY_EXISTS", `an origin named ${JSON.stringify(name)} already exists`);
			}
		}
	}

	#changed(): void {
		const list = this.list();
		for (const l of this.#listeners) l(list);
	}
}

function toModel(e: Entry): Origin {
	return { id: e.id, name: e.name, createdAt: e.createdAt, broadcastCount: e.broadcasts.size };
}

function safeCall(watcher: OriginWatcher, event: OriginEvent): void {
	try {
		watcher(event);
	} catch {
		// A failing watcher (one session) must not stop the origin from reaching the others.
	}
}
