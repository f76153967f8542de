/**
 * A typed event bus for the contract's events: the engine emits, hosts forward.
 */
import type { EventName, EventPayload } from "../../shared/contract";

/** Receives one contract event. */
export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** Fans contract events out to hosts; a throwing listener never affects the others. */
export class EventBus {
	readonly #listeners = new Set<EventListener>();

	/** Adds a listener for every event; returns the remove function. */
	listen(listener: EventListener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Delivers `payload` to every listener. */
	emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
		for (const l of this.#listeners) {
			try {
				l(event, payload);
			} catch {
				// One broken host connection must not stop delivery to the others.
			}
		}
	}
}
