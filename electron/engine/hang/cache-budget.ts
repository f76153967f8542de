/**
 * A byte cap for the group cache of a `@moq/net` track producer.
 *
 * `@moq/net` 0.3.4 keeps every closed group of a `Track.Producer` for the track's `latencyMax`
 * (hang: 30 s) so late subscribers can replay it, bounded by time only: 30 s of a 20 Mbit/s
 * rendition is 75 MB, per producer that holds it. The library offers no way to evict a cached
 * group early, but a group producer's own read handle (`consume()`) shares its frame buffer, so
 * reading it empties the buffer the cache holds. That is what this budget does to the oldest
 * closed groups once the bytes it tracks exceed the cap: their frame bytes are released, the
 * (small) group entries expire with the library's time window. A subscriber that asks for such a
 * group by sequence gets it empty, as if it had expired.
 */
import type * as Moq from "@moq/net";

/** Default byte cap per track cache: the library's own per-group cap (`MAX_GROUP_CACHE_BYTES`). */
export const MEDIA_CACHE_MAX_BYTES = 32 * 1024 * 1024;

interface Retained {
	// Copies of one group in several producers; the first is the most complete (see retain).
	groups: readonly Moq.Group.Producer[];
	bytes: number;
	at: number;
}

/**
 * Tracks closed groups written into cached producers and empties the oldest ones beyond
 * `maxBytes`. Guarantees: the frame bytes it tracks never exceed `maxBytes` after
 * {@link retain} returns (a single group larger than the cap is emptied at once), and it holds
 * no group longer than `maxAgeMs` (the producers' own window), so it never extends a lifetime.
 */
export class GroupCacheBudget {
	readonly maxBytes: number;
	readonly maxAgeMs: number;
	// A FIFO of closed groups, oldest first; `#head` avoids shifting on every eviction, and a slot
	// behind it is cleared at once so the queue never holds a group past its release.
	#queue: (Retained | undefined)[] = [];
	#head = 0;
	#bytes = 0;

	constructor(maxBytes: number, maxAgeMs: number) {
		this.maxBytes = maxBytes;
		this.maxAgeMs = maxAgeMs;
	}

	/** Frame bytes currently held by the tracked groups. */
	get bytes(): number {
		return this.#bytes;
	}

	/** Number of groups currently tracked. */
	get size(): number {
		return this.#queue.length - this.#head;
	}

	/**
	 * Records closed `groups` (copies of one group in several producers, sharing `bytes` of
	 * frames; the first is the one {@link replayable} hands out) and enforces the cap and the age
	 * limit.
	 */
	retain(groups: readonly Moq.Group.Producer[], bytes: number, now = Date.now()): void {
		this.#queue.push({ groups, bytes, at: now });
		this.#bytes += bytes;
		this.#enforce(now);
	}

	/**
	 * The tracked groups whose frames are still held and younger than `maxAgeMs`, one copy of
	 * each, oldest first: what a late subscriber may still be given.
	 */
	replayable(now = Date.now()): Moq.Group.Producer[] {
		const cutoff = now - this.maxAgeMs;
		const out: Moq.Group.Producer[] = [];
		for (let i = this.#head; i < this.#queue.length; i++) {
			const entry = this.#queue[i] as Retained;
			const group = entry.groups[0];
			if (entry.at > cutoff && group) out.push(group);
		}
		return out;
	}

	/** Forgets every tracked group (they stay in their producers until the time window). */
	clear(): void {
		this.#queue = [];
		this.#head = 0;
		this.#bytes = 0;
	}

	#enforce(now: number): void {
		const cutoff = now - this.maxAgeMs;
		while (this.#head < this.#queue.length) {
			const oldest = this.#queue[this.#head] as Retained;
			const expired = oldest.at <= cutoff;
			if (!expired && this.#bytes <= this.maxBytes) break;
			this.#queue[this.#head] = undefined;
			this.#head++;
			this.#bytes -= oldest.bytes;
			// Expired groups are the library's to drop; over the cap, release their frames now.
			if (!expired) for (const group of oldest.groups) drain(group);
		}
		// Compact now and then so the array does not grow with the number of groups ever seen.
		if (this.#head > 256 && this.#head * 2 > this.#queue.length) {
			this.#queue = this.#queue.slice(this.#head);
			this.#head = 0;
		}
	}
}

/** Empties a closed group's shared frame buffer (see the module comment). */
function drain(group: Moq.Group.Producer): void {
	const reader = group.consume();
	while (reader.tryReadFrame() !== undefined) {
		// Reading is what releases: the cache entry and this handle share one buffer.
	}
}
