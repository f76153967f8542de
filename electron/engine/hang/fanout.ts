/**
 * One logical track written into one or more `@moq/net` track producers.
 *
 * Why more than one: in `@moq/net` 0.3.4 a subscription to a track that does not exist yet (a
 * recorder or a remote viewer that subscribes before the publisher created the track) parks a
 * placeholder producer and queues a `Request` on the broadcast. `createTrack` then fails with
 * "duplicate track", and the subscriber only ever sees data written into the producer returned by
 * `request.accept()`. Serving those requests means writing the same groups into every producer.
 */
import * as Moq from "@moq/net";
import { GroupCacheBudget, MEDIA_CACHE_MAX_BYTES } from "./cache-budget";

/**
 * Writes groups and frames of one track into every attached producer. The producers' group
 * caches (kept `info.latencyMax` by the library) are also capped at `maxCacheBytes` of frames.
 */
export class TrackFanout {
	readonly name: string;
	readonly info: Partial<Moq.Track.Info>;
	readonly #producers = new Set<Moq.Track.Producer>();
	readonly #groups = new Map<Moq.Track.Producer, Moq.Group.Producer>();
	// Frame bytes written into each open group (copies in several producers share the payloads).
	readonly #groupBytes = new Map<Moq.Group.Producer, number>();
	readonly #budget: GroupCacheBudget;
	#closed = false;
	#abort: Error | undefined;

	/**
	 * Creates the track on `broadcast` when the name is free; when a placeholder already holds it
	 * the fanout starts empty and the publisher's request loop {@link attach}es the placeholder.
	 */
	constructor(broadcast: Moq.Broadcast.Producer, name: string, info: Partial<Moq.Track.Info>, maxCacheBytes = MEDIA_CACHE_MAX_BYTES) {
		this.name = name;
		this.info = info;
		this.#budget = new GroupCacheBudget(maxCacheBytes, info.latencyMax ?? Moq.Track.DEFAULT_LATENCY_MAX_MS);
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

	/** Bytes of closed groups' frames the producers' caches hold, as far as the cap tracks them. */
	get cachedBytes(): number {
		return this.#budget.bytes;
	}

	/** Closes the current group on every producer and opens the next one. */
	openGroup(): void {
		this.#retire();
		for (const producer of this.#producers) {
			try {
				const group = producer.appendGroup();
				this.#groups.set(producer, group);
				this.#groupBytes.set(group, 0);
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
				this.#groupBytes.set(group, (this.#groupBytes.get(group) ?? 0) + frame.payload.byteLength);
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
			const previous = this.#groups.get(producer);
			if (previous) this.#retireGroup(previous);
			const group = producer.appendGroup();
			group.writeFrame(frame);
			this.#groups.set(producer, group);
			this.#groupBytes.set(group, frame.payload.byteLength);
		} catch {
			this.#drop(producer);
		}
	}

	/** Closes the current group on every producer. */
	closeGroup(abort?: Error): void {
		this.#retire(abort);
	}

	/** Closes every group and producer. Idempotent. */
	close(abort?: Error): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#abort = abort;
		this.closeGroup(abort);
		for (const producer of this.#producers) producer.close(abort);
		this.#producers.clear();
		this.#budget.clear();
	}

	// Closes the open group of every producer and hands them, as one group, to the byte cap.
	#retire(abort?: Error): void {
		if (this.#groups.size === 0) return;
		const groups = [...this.#groups.values()];
		let bytes = 0;
		for (const group of groups) {
			group.close(abort);
			bytes = Math.max(bytes, this.#groupBytes.get(group) ?? 0);
			this.#groupBytes.delete(group);
		}
		this.#groups.clear();
		this.#budget.retain(groups, bytes);
	}

	#retireGroup(group: Moq.Group.Producer): void {
		group.close();
		this.#budget.retain([group], this.#groupBytes.get(group) ?? 0);
		this.#groupBytes.delete(group);
	}

	#drop(producer: Moq.Track.Producer): void {
		const group = this.#groups.get(producer);
		if (group) {
			group.close();
			this.#groupBytes.delete(group);
		}
		this.#groups.delete(producer);
		this.#producers.delete(producer);
	}
}
