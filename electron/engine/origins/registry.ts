/**
 * The origins the studio manages: named collections of broadcasts that outlive sessions.
 *
 * The registry owns names and identity; sessions attach to origins by id (publish and/or
 * consume), so renaming an origin never disturbs the sessions it flows through.
 */
import { randomUUID } from "node:crypto";
import type { Origin } from "../../../shared/models";
import { StudioError } from "../../../shared/errors";

/** Called after every change with the full, ordered list. */
export type OriginsListener = (origins: Origin[]) => void;

interface Entry {
	id: string;
	name: string;
	createdAt: number;
	broadcasts: Set<string>;
}

/** Create, list, rename and delete origins; names are unique ignoring case. */
export class OriginRegistry {
	readonly #entries = new Map<string, Entry>();
	readonly #listeners = new Set<OriginsListener>();

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
		const entry: Entry = { id: randomUUID(), name, createdAt: Date.now(), broadcasts: new Set() };
		this.#entries.set(entry.id, entry);
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

	/** Deletes an origin; NOT_FOUND for an unknown id. */
	delete(id: string): void {
		this.#require(id);
		this.#entries.delete(id);
		this.#changed();
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
	return { id: e.id, name: e.name, createdAt: e.createdAt, broadcasts: [...e.broadcasts].sort() };
}
