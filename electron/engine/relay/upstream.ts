/**
 * One generation of a route's source: a publisher session's broadcast as the relay consumes it.
 */
import type * as Moq from "@moq/net";
import type { ErrorName } from "../../../shared/errors";

/** A publisher's broadcast feeding a route. A reconnecting publisher produces a new generation. */
export interface Upstream {
	/** Increases with every takeover of any route; used to tell generations apart in logs. */
	readonly generation: number;
	/** Id of the session publishing it, for logs and stats. */
	readonly sessionId: number;
	/** The consumed broadcast; the route closes it when the generation is replaced or ends. */
	readonly broadcast: Moq.Broadcast.Consumer;
	/** False once the publisher's session has closed. */
	alive(): boolean;
	/** Closes the publisher's session for a limit or protocol violation it committed. */
	fail(name: ErrorName, reason: string): void;
}

/** Counters shared by every track of a relay, read by `stats()`. */
export interface ForwardCounters {
	frames: number;
	bytes: number;
	groups: number;
	upstreamSubscriptions: number;
	/**
	 * Subscribers cut from a group they were too slow for (see `SLOW_READER_HOLD_MS` in
	 * relay-track.ts): each skipped the rest of that group, its stream reset.
	 */
	readersCut: number;
}
