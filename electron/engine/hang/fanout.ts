/**
 * One logical track written into one or more `@moq/net` track producers.
 *
 * Why more than one: in `@moq/net` 0.3.4 a subscription to a track that does not exist yet (a
 * recorder or a remote viewer that subscribes before the publisher created the track) parks a
 * placeholder producer and queues a `Request` on the broadcast. `createTrack` then fails with
 * "duplicate track", and the subscriber only ever sees data written into the producer returned by
 * `request.accept()`. Serving those requests means writing the same groups into every producer.
 *
 * And why it replays: such a producer is new and empty, so the library's own cache cannot give
 * its subscriber anything written before. A recorder whose subscription reaches the publisher
 * after the track ended (a starved machine, a 3 s show) got a clean end and no groups, though
 * the groups were still held. {@link TrackFanout.attach} therefore hands the new producer what
 * the subscription asks for from the groups this fanout retains, the way the library serves a
 * subscription from a created track's cache.
 */
import * as Moq from "@moq/net";
import { GroupCacheBudget, MEDIA_CACHE_MAX_BYTES } from "./cache-budget";

/** Most frames of an open group that {@link TrackFanout} remembers for a late producer (the library's own per-group cap). */
const MAX_OPEN_FRAMES = 1024;

/**
 * Writes groups and frames of one track into every attached producer. The producers' group
 * caches (kept `info.latencyMax` by the library) are also capped at `maxCacheBytes` of frames.
 * Guarantees: every producer sees the same sequence number for the same group, and a producer
 * attached late is given the retained groups its subscription asks for before anything newer.
 */
export class TrackFanout {
	readonly name: string;
	readonly info: Partial<Moq.Track.Info>;
	readonly #producers = new Set<Moq.Track.Producer>();
	readonly #groups = new Map<Moq.Track.Producer, Moq.Group.Producer>();
	// Frame bytes written into each open group (copies in several producers share the payloads).
	readonly #groupBytes = new Map<Moq.Group.Producer, number>();
	readonly #budget: GroupCacheBudget;
	// Numbered here, not by each producer: producers accepted from requests share one counter per
	// broadcast in the library, so two of them would number the same group differently.
	#nextSequence = 0;
	#open: { sequence: number; frames: Moq.Group.Frame[] | undefined } | undefined;
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

	/**
	 * Adds a producer (from `request.accept`) and gives it, first, the retained groups from
	 * `startGroup` on, or when the subscription named no start, the newest group (the open one,
	 * from its first frame, or else the newest closed one), as the library's publisher does for a
	 * subscription to a created track. After {@link close} the producer gets the same, then ends.
	 */
	attach(producer: Moq.Track.Producer, startGroup?: number): void {
		const open = this.#closed ? undefined : this.#open;
		let closed = this.#budget.replayable();
		if (startGroup !== undefined) closed = closed.filter((g) => g.sequence >= startGroup);
		else closed = open ? [] : closed.slice(-1);
		try {
			for (const group of closed) producer.writeGroup(group);
			if (this.#closed) {
				producer.close(this.#abort);
				return;
			}
			if (open?.frames && (startGroup === undefined || open.sequence >= startGroup)) {
				const { group, bytes } = copyOf(open.sequence, open.frames);
				producer.writeGroup(group);
				this.#groups.set(producer, group);
				this.#groupBytes.set(group, bytes);
			}
		} catch {
			return; // that subscriber's track closed already
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
		const sequence = this.#nextSequence++;
		this.#open = { sequence, frames: [] };
		for (const producer of this.#producers) {
			try {
				const group = new Moq.Group.Producer(sequence);
				producer.writeGroup(group);
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
		const open = this.#open;
		if (open?.frames) {
			if (open.frames.length < MAX_OPEN_FRAMES) open.frames.push(frame);
			else open.frames = undefined; // the library would have evicted its head: no copy starts mid-group
		}
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

	/** Closes the current group on every producer. */
	closeGroup(abort?: Error): void {
		this.#retire(abort);
	}

	/**
	 * Closes every group and producer. Idempotent. The closed groups stay retained (for at most
	 * the track's `latencyMax`) so a subscription arriving after the end still gets them.
	 */
	close(abort?: Error): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#abort = abort;
		this.closeGroup(abort);
		for (const producer of this.#producers) producer.close(abort);
		this.#producers.clear();
		setTimeout(() => this.#budget.clear(), this.#budget.maxAgeMs).unref?.();
	}

	// Closes the open group of every producer and hands them, as one group, to the byte cap.
	#retire(abort?: Error): void {
		const open = this.#open;
		this.#open = undefined;
		if (this.#groups.size === 0) {
			// No producer holds it (every subscriber left): keep a copy for one that comes back.
			if (!open?.frames || abort) return;
			const { group, bytes } = copyOf(open.sequence, open.frames);
			group.close();
			this.#budget.retain([group], bytes);
			return;
		}
		let bytes = 0;
		let fullest: Moq.Group.Producer | undefined;
		for (const group of this.#groups.values()) {
			group.close(abort);
			const written = this.#groupBytes.get(group) ?? 0;
			if (!fullest || written > bytes) fullest = group;
			bytes = Math.max(bytes, written);
			this.#groupBytes.delete(group);
		}
		// The fullest copy first: a producer closed mid-group by its subscriber holds a cut copy.
		const groups = [fullest as Moq.Group.Producer, ...[...this.#groups.values()].filter((g) => g !== fullest)];
		this.#groups.clear();
		this.#budget.retain(groups, bytes);
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

/** A new group numbered `sequence` holding `frames` (payloads shared, not copied), and their bytes. */
function copyOf(sequence: number, frames: readonly Moq.Group.Frame[]): { group: Moq.Group.Producer; bytes: number } {
	const group = new Moq.Group.Producer(sequence);
	let bytes = 0;
	for (const frame of frames) {
		group.writeFrame(frame);
		bytes += frame.payload.byteLength;
	}
	return { group, bytes };
}
