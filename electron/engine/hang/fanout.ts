/**
 * One logical track written into one or more `@moq/net` track producers.
 *
 * Why more than one: in `@moq/net` 0.3.4 a subscription to a track that does not exist yet (a
 * recorder or a remote viewer that subscribes before the publisher created the track) parks a
 * placeholder producer and queues a `Request` on the broadcast. `createTrack` then fails with
 * "duplicate track", and the subscriber only ever sees data written into the producer returned by
 * `request.accept()`. Serving those requests means writing the same groups into every producer.
 */
import type * as Moq from "@moq/net";

/** Writes groups and frames of one track into every attached producer. */
export class TrackFanout {
	readonly name: string;
	readonly info: Partial<Moq.Track.Info>;
	readonly #producers = new Set<Moq.Track.Producer>();
	readonly #groups = new Map<Moq.Track.Producer, Moq.Group.Producer>();
	#closed = false;
	#abort: Error | undefined;

	/**
	 * Creates the track on `broadcast` when the name is free; when a placeholder already holds it
	 * the fanout starts empty and the publisher's request loop {@link attach}es the placeholder.
	 */
	constructor(broadcast: Moq.Broadcast.Producer, name: string, info: Partial<Moq.Track.Info>) {
		this.name = name;
		this.info = info;
		try {
			this.#producers.add(broadcast.createTrack(name, info));
		} catch {
			// A pending subscription holds the name; its request will be attached instead.
		}
	}

	/** True while at least one attached producer has a live subscriber. */
	get subscribed(): boolean {
		return [...this.#producers].some((p) => p.used.peek());
	}

	/** True once {@link close} was called. */
	get closed(): boolean {
		return this.#closed;
	}

	/** Adds a producer (e.g. from `request.accept`). It receives groups opened from now on. */
	attach(producer: Moq.Track.Producer): void {
		if (this.#closed) {
			producer.close(this.#abort);
			return;
		}
		this.#producers.add(producer);
	}

	/** Closes the current group on every producer and opens the next one. */
	openGroup(): void {
		for (const producer of this.#producers) {
			this.#groups.get(producer)?.close();
			try {
				this.#groups.set(producer, producer.appendGroup());
			} catch {
				// That subscriber's track closed (it went away): stop writing to it.
				this.#drop(producer);
			}
		}
	}

	/** Writes a frame into the current group of every producer (producers without one skip it). */
	writeFrame(frame: Moq.Group.Frame): void {
		for (const [producer, group] of this.#groups) {
			try {
				group.writeFrame(frame);
			} catch {
				this.#drop(producer);
			}
		}
	}

	/** Writes a frame as a group of its own into every producer. */
	writeSingle(frame: Moq.Group.Frame): void {
		this.openGroup();
		this.writeFrame(frame);
		this.closeGroup();
	}

	/** Writes a frame as a group of its own into one producer, leaving that group open. */
	writeOpenGroupTo(producer: Moq.Track.Producer, frame: Moq.Group.Frame): void {
		try {
			this.#groups.get(producer)?.close();
			const group = producer.appendGroup();
			group.writeFrame(frame);
			this.#groups.set(producer, group);
		} catch {
			this.#drop(producer);
		}
	}

	/** Closes the current group on every producer. */
	closeGroup(abort?: Error): void {
		for (const group of this.#groups.values()) group.close(abort);
		this.#groups.clear();
	}

	/** Closes every group and producer. Idempotent. */
	close(abort?: Error): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#abort = abort;
		this.closeGroup(abort);
		for (const producer of this.#producers) producer.close(abort);
		this.#producers.clear();
	}

	#drop(producer: Moq.Track.Producer): void {
		this.#groups.get(producer)?.close();
		this.#groups.delete(producer);
		this.#producers.delete(producer);
	}
}
