/**
 * Serves an origin's broadcast on one connection.
 *
 * `@moq/net` closes a published producer together with its connection, while origins must
 * outlive connections (DESIGN.md §4). So every connection epoch gets a fresh producer whose track
 * requests are answered from the long-lived source: each request subscribes to the source (its
 * own cursor, sharing the source's one upstream subscription) and pipes groups and frames across
 * until the peer unsubscribes, so the source's upstream is released once nobody reads it.
 */
import * as Moq from "@moq/net";
import { GroupCacheBudget, MEDIA_CACHE_MAX_BYTES } from "../hang/cache-budget";
import { race } from "../transport/moq-net-leaks";
import type { OriginBroadcast } from "./broadcast";

/** Counters of one served track (or of the whole broadcast), updated as frames leave. */
export interface TrackCounters {
	frames: number;
	bytes: number;
	groups: number;
	/** Subscriptions currently being served. */
	subscribers: number;
}

/** Counters a served broadcast updates: totals and per track name. */
export interface ServeCounters extends TrackCounters {
	tracks: Map<string, TrackCounters>;
}

/** Adds to the broadcast's totals and to one track's counters at once. */
function count(counters: ServeCounters, track: TrackCounters, key: "frames" | "bytes" | "groups" | "subscribers", by: number): void {
	counters[key] += by;
	track[key] += by;
}

/** A per-connection producer serving `source`, and its counters. Close the producer to stop. */
export function serveBroadcast(source: OriginBroadcast): { producer: Moq.Broadcast.Producer; counters: ServeCounters } {
	const producer = new Moq.Broadcast.Producer();
	const counters: ServeCounters = { frames: 0, bytes: 0, groups: 0, subscribers: 0, tracks: new Map() };
	const reader = source.consume();
	void (async () => {
		try {
			for (;;) {
				const request = await producer.requested();
				if (!request) break;
				void forwardTrack(reader, request, counters);
			}
		} catch {
			// The producer closed with an error (its connection died): nothing left to serve.
		} finally {
			reader.close();
		}
	})();
	// The source ending ends this epoch's copy too, which unannounces it on the connection.
	void source.done.then(() => producer.close());
	return { producer, counters };
}

async function forwardTrack(reader: Moq.Broadcast.Consumer, request: Moq.Track.Request, counters: ServeCounters): Promise<void> {
	let upstream: Moq.Track.Subscriber;
	try {
		upstream = reader.subscribe(request.name, request.subscription);
		// A track producer replays every group it retains (hang keeps 30 s) to a new subscriber;
		// live semantics start a new subscriber (a relay after a reconnect) at the latest group.
		const latest = upstream.latest();
		if (request.subscription.startGroup === undefined && latest !== undefined) upstream.startAt(latest);
	} catch (err) {
		request.reject(err instanceof Error ? err : new Error(String(err)));
		return;
	}
	let out: Moq.Track.Producer;
	let budget: GroupCacheBudget;
	try {
		const info = await upstream.info();
		out = request.accept(info);
		// The copies below share payloads with the source but sit in `out`'s own cache: cap it too.
		budget = new GroupCacheBudget(MEDIA_CACHE_MAX_BYTES, info.latencyMax);
	} catch (err) {
		upstream.close();
		request.reject(err instanceof Error ? err : new Error(String(err)));
		return;
	}
	let track = counters.tracks.get(request.name);
	if (!track) {
		track = { frames: 0, bytes: 0, groups: 0, subscribers: 0 };
		counters.tracks.set(request.name, track);
	}
	count(counters, track, "subscribers", 1);
	void Promise.resolve(out.closed).then(() => upstream.close());
	// The peer unsubscribing closes its subscriber of `out` but leaves `out` itself open (each
	// request has its own producer, so nobody else ever joins it). Without this stop the copy
	// went on reading `upstream` for nobody, which kept the source's track in demand and so its
	// wire subscription to the relay we consume from: 130 kb/s pulled for minutes after a
	// recorder behind a second relay had exited. Resolves undefined: the loop's "no more groups".
	const unsubscribed = Promise.race([out.unused(), Promise.resolve(out.closed)]).then(() => undefined);
	// Groups still being copied: closing `out` closes every group it caches, so it waits for them.
	const pipes = new Set<Promise<void>>();
	try {
		for (;;) {
			const next = upstream.recvGroup();
			// `unsubscribed` lives as long as the request: the leak-free race keeps no group alive.
			const group = await race([next, unsubscribed]);
			if (!group) {
				// Stopped with a read pending: a group it still yields has nobody to go to.
				void next.then((g) => g?.close()).catch(() => {});
				if (!out.used.peek()) {
					// Unsubscribed: nobody to drain the end to.
					out.close();
					return;
				}
				break;
			}
			const copy = new Moq.Group.Producer(group.sequence);
			out.writeGroup(copy);
			count(counters, track, "groups", 1);
			const pipe = pipeGroup(group, copy, counters, track, budget).finally(() => pipes.delete(pipe));
			pipes.add(pipe);
		}
		// A track that ends right after its groups (a late subscriber given the retained groups at
		// once) would otherwise have them cut: 12 of 90 frames recorded under load.
		await Promise.all(pipes);
		out.close();
		// Still a subscription until the peer has read the end: the tail of a finished track is
		// on its way, and unannouncing now would let the relay cut it off.
		await Promise.race([out.unused(), new Promise((r) => setTimeout(r, DRAIN_TIMEOUT_MS).unref?.())]);
	} catch (err) {
		out.close(err instanceof Error ? err : undefined);
	} finally {
		count(counters, track, "subscribers", -1);
		upstream.close();
	}
}

/** The longest a finished track waits for its subscriber to read the end. */
const DRAIN_TIMEOUT_MS = 5000;

async function pipeGroup(group: Moq.Group.Consumer, copy: Moq.Group.Producer, counters: ServeCounters, track: TrackCounters, budget: GroupCacheBudget): Promise<void> {
	let bytes = 0;
	try {
		for (;;) {
			const frame = await group.readFrame();
			if (!frame) break;
			copy.writeFrame(frame);
			bytes += frame.payload.byteLength;
			count(counters, track, "frames", 1);
			count(counters, track, "bytes", frame.payload.byteLength);
		}
		copy.close();
	} catch (err) {
		copy.close(err instanceof Error ? err : undefined);
	} finally {
		group.close();
		budget.retain([copy], bytes);
	}
}
