/**
 * A broadcast as an origin holds it: produced by the studio itself, or consumed through a
 * session. Either way readers get their own `@moq/net` consumer handle, so each keeps its own
 * cursor and closing one never disturbs the others.
 */
import type * as Moq from "@moq/net";

/** Where a broadcast in an origin comes from. */
export type BroadcastSource = { kind: "local" } | { kind: "session"; sessionId: string };

/** A broadcast held by an origin. */
export interface OriginBroadcast {
	/** The broadcast path, e.g. `live/show.hang`. */
	readonly path: string;
	readonly source: BroadcastSource;
	/** `Date.now()` when it entered the origin. */
	readonly since: number;
	/** A read handle of the caller's own; close it when done. */
	consume(): Moq.Broadcast.Consumer;
	/** True once the broadcast ended (its producer closed or its session lost it). */
	readonly ended: boolean;
	/** Resolves when the broadcast ends. */
	readonly done: Promise<void>;
	/**
	 * For a broadcast a relay announced: true when it was in the relay's initial announcements
	 * (already running when the session connected), false when announced live since, undefined
	 * when the protocol did not say.
	 */
	readonly initial?: boolean;
}

/** A broadcast the studio produces (a file, a capture): it lives until its producer closes. */
export class LocalBroadcast implements OriginBroadcast {
	readonly source: BroadcastSource = { kind: "local" };
	readonly since = Date.now();
	readonly done: Promise<void>;
	#ended = false;
	// @moq/net closes a broadcast when its last consumer handle closes, even while the producer
	// is live. This handle is never closed, so readers coming and going (a session epoch ending)
	// cannot end the broadcast; only closing the producer does.
	readonly #anchor: Moq.Broadcast.Consumer;

	constructor(
		readonly path: string,
		readonly producer: Moq.Broadcast.Producer,
	) {
		this.#anchor = producer.consume();
		this.done = Promise.resolve(producer.closed).then(
			() => void (this.#ended = true),
			() => void (this.#ended = true),
		);
	}

	get ended(): boolean {
		return this.#ended;
	}

	consume(): Moq.Broadcast.Consumer {
		return this.#anchor.clone();
	}
}

/** A broadcast announced by a relay and consumed through one session epoch. */
export class RemoteBroadcast implements OriginBroadcast {
	readonly source: BroadcastSource;
	readonly since = Date.now();
	readonly done: Promise<void>;
	#ended = false;
	#endReason: "unannounced" | "disconnected" | undefined;
	#end!: () => void;

	constructor(
		readonly path: string,
		sessionId: string,
		readonly consumer: Moq.Broadcast.Consumer,
		readonly initial?: boolean,
	) {
		this.source = { kind: "session", sessionId };
		this.done = new Promise<void>((resolve) => (this.#end = resolve));
	}

	get ended(): boolean {
		return this.#ended;
	}

	/** Why it ended: the relay unannounced it, or the session's connection dropped (it may come back). */
	get endReason(): "unannounced" | "disconnected" | undefined {
		return this.#endReason;
	}

	consume(): Moq.Broadcast.Consumer {
		// The origin's own handle (`consumer`) stays open until end(), so readers' clones never
		// close the session's subscription by being the last handle.
		return this.consumer.clone();
	}

	/** Ends it: the relay unannounced it or the session dropped. Idempotent. */
	end(reason: "unannounced" | "disconnected"): void {
		if (this.#ended) return;
		this.#ended = true;
		this.#endReason = reason;
		this.consumer.close();
		this.#end();
	}
}
