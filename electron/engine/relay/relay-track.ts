/**
 * One track of a routed broadcast: a single upstream subscription fanned out to every
 * downstream subscriber.
 *
 * The relay owns a `Track.Producer` per track and inserts it into the route's broadcast, so every
 * downstream subscription after the first is a plain library subscriber of that producer (zero
 * copy; late joiners start at its latest group because the library's publisher does
 * `startAt(latest())`). Requests that arrived before the producer existed are fed by a small
 * per-request forwarder. The producer outlives upstream generations: when a publisher reconnects,
 * the new upstream feeds the same producer, with group sequences shifted so they keep increasing
 * (subscribers skip sequences at or below the last one they read).
 */
import * as Moq from "@moq/net";
import { GroupCacheBudget, MEDIA_CACHE_MAX_BYTES } from "../hang/cache-budget";
import { ChangeSignal } from "../change-signal";
import { QuietClock } from "../quiet-clock";
import { paceGroup } from "../transport/moq-net-backpressure";
import { race } from "../transport/moq-net-leaks";
import type { RelayLog } from "./log";
import type { ForwardCounters, Upstream } from "./upstream";

/** How long a track with no downstream subscriber keeps its upstream before tearing it down. */
const IDLE_MS = 2000;
/** Bound on resolving a track's info upstream (the library's own subscribe timeout is 10 s). */
const INFO_TIMEOUT_MS = 10_000;
/**
 * The longest the relay's shared producer keeps groups for late subscribers, whatever the
 * publisher advertises (hang's 30 s): the publisher is not trusted to size the relay's memory.
 * Together with {@link MEDIA_CACHE_MAX_BYTES} it bounds each relayed track's cache.
 */
export const RELAY_CACHE_MAX_MS = 30_000;
/**
 * A track's end waits for the groups already received upstream to be forwarded (an upstream end,
 * or the publisher unannouncing): the end must never overtake its frames. It waits as long as
 * frames keep moving, and gives up once none moved for this long. A fixed bound (10 s) cut a
 * 100 MB group that needed longer to reach a subscriber.
 */
export const TRACK_DRAIN_STALL_MS = 10_000;
/**
 * A subscriber that is at the pacing limit of a group (transport/moq-net-backpressure.ts) while
 * another subscriber has caught up holds the relay's copy back at most this long; then it is cut
 * from that group (it skips the group) so the others keep their latency.
 */
export const SLOW_READER_HOLD_MS = 1000;
/**
 * After an unannounce, a track whose publisher keeps it open ends once no group is being
 * forwarded and nothing arrived for this long. A publisher that ends its tracks (the usual case)
 * ends them here as soon as their last groups are forwarded; this only bounds how long late
 * groups (an unannounce can overtake them on the wire) are waited for when it does not.
 */
export const TRACK_DRAIN_QUIET_MS = 1000;
/**
 * The longest an unannounced track takes newer groups from its publisher: a publisher that goes on
 * writing to a track of a broadcast it closed must not hold the unannounce back (downstream must
 * learn promptly that the broadcast is gone). Past it, groups below the newest one received (sent
 * before it: a busy publisher sends the newest first) and the groups being forwarded still
 * arrive, for as long as bytes keep moving ({@link TRACK_DRAIN_STALL_MS}).
 */
export const UNANNOUNCE_DRAIN_MAX_MS = 2000;

/** What a track needs from its route. */
export interface TrackHost {
	/** The live upstream, waiting through a grace period; rejects when the route ends. */
	upstream(): Promise<Upstream>;
	/** The current upstream, if the route is live. */
	current(): Upstream | undefined;
	/** Makes the producer reachable to later downstream subscriptions. */
	insert(producer: Moq.Track.Producer): void;
	/** Removes this track from the route (idle or ended). */
	removed(track: RelayTrack, producer: Moq.Track.Producer | undefined): void;
	readonly maxFrameBytes: number;
	readonly counters: ForwardCounters;
	readonly log: RelayLog;
}

/**
 * Resolves once every promise in `running` has settled (a live set: entries leave as they settle),
 * or once nothing moved for {@link TRACK_DRAIN_STALL_MS} by `lastMoved`. Never rejects.
 */
async function settleWhileMoving(running: ReadonlySet<Promise<void>>, lastMoved: () => number, change: ChangeSignal): Promise<void> {
	const quiet = new QuietClock(lastMoved);
	while (running.size > 0) {
		const ms = quiet.read();
		if (ms >= TRACK_DRAIN_STALL_MS) return;
		await quiet.wait(change, TRACK_DRAIN_STALL_MS - ms);
	}
}

function timeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const expired = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(message)), ms);
	});
	return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** A relayed track. Every method is safe to call in any state; none throws. */
export class RelayTrack {
	/** The track name. */
	readonly name: string;
	readonly #host: TrackHost;
	readonly #ready: Promise<Moq.Track.Producer>;
	#producer: Moq.Track.Producer | undefined;
	#budget: GroupCacheBudget | undefined;
	#upstream: Moq.Track.Subscriber | undefined;
	#closed = false;
	// Set by finish(): the route is ending, so any upstream end ends the track (no takeover wait).
	/** The running {@link finish}'s token; a takeover ({@link attach}) clears it and the finish stands down. */
	#finishing: object | undefined;
	// Set when an unannounced track stops taking newer groups (see UNANNOUNCE_DRAIN_MAX_MS): the
	// upstream sequence it takes groups below (stragglers the publisher sent before the newest).
	#acceptBelow: number | undefined;
	// The highest upstream sequence of the current generation, for #acceptBelow.
	#maxUpstream = -1;
	// Forwards (upstream group -> shared producer) still copying frames; a track ends after them.
	readonly #forwarding = new Set<Promise<void>>();
	// When a group or frame last arrived from upstream (performance.now()).
	#lastArrival = performance.now();
	// Wake the drains waiting for #forwarding or #lastArrival to change.
	readonly #change = new ChangeSignal();
	// Sequence mapping for the current generation; see #map.
	#next = 0;
	#floor = 0;
	#offset: number | undefined;

	constructor(name: string, host: TrackHost) {
		this.name = name;
		this.#host = host;
		this.#ready = this.#resolve();
		// Callers observe failures through serve(); a track that cannot resolve is forgotten so the
		// next request retries from scratch.
		this.#ready.catch(() => {
			this.#closed = true;
			this.#host.removed(this, undefined);
		});
	}

	/** True while an upstream subscription is open (what `stats().upstreamSubscriptions` counts). */
	get upstreamActive(): boolean {
		return this.#upstream !== undefined;
	}

	/** The shared producer once resolved (what views insert), else `undefined`. */
	get producer(): Moq.Track.Producer | undefined {
		return this.#closed ? undefined : this.#producer;
	}

	/** True once closed; the route then creates a fresh track on the next request. */
	get closed(): boolean {
		return this.#closed;
	}

	/**
	 * Resolves the track's info upstream and makes the shared producer. The upstream subscription
	 * waits for the first downstream subscriber and asks for that subscriber's start group
	 * (see {@link #subscribeOnDemand}). On moq-lite-05 the first request for a track is always a
	 * TRACK_INFO probe (a subscriber opens one before its SUBSCRIBE), so subscribing upstream at
	 * that point could only ask for the latest group: a recorder that caught the broadcast at its
	 * announcement and asked for group 0 lost the groups the publisher wrote before (hang audio,
	 * one frame per group: the first 3 to 5 Opus packets). Older drafts have no TRACK_INFO
	 * probe; there the subscription made for the info is kept, at the latest group, as before.
	 */
	async #resolve(): Promise<Moq.Track.Producer> {
		const up = await this.#host.upstream();
		let sub: Moq.Track.Subscriber | undefined;
		let info: Moq.Track.Info;
		try {
			info = await timeout(up.broadcast.track(this.name).info(), INFO_TIMEOUT_MS, `track ${this.name} did not answer upstream`);
		} catch (err) {
			if (!/requires moq-lite-05/.test(String((err as Error)?.message))) throw err;
			sub = up.broadcast.subscribe(this.name, {});
			try {
				info = await timeout(sub.info(), INFO_TIMEOUT_MS, `track ${this.name} did not answer upstream`);
			} catch (err) {
				sub.close();
				throw err;
			}
		}
		if (this.#closed) {
			sub?.close();
			throw new Error("track closed");
		}
		const latencyMax = Math.min(info.latencyMax, RELAY_CACHE_MAX_MS);
		const producer = new Moq.Track.Producer(this.name).accept({ ...info, latencyMax });
		this.#budget = new GroupCacheBudget(MEDIA_CACHE_MAX_BYTES, latencyMax);
		this.#producer = producer;
		this.#host.insert(producer);
		if (sub) this.#pump(up, sub);
		else this.#subscribeOnDemand(up, producer);
		// The route may have switched generation while we resolved info.
		const current = this.#host.current();
		if (current !== undefined && current !== up) this.attach(current);
		void this.#watchDemand(producer);
		return producer;
	}

	/**
	 * Subscribes upstream once the shared producer has a subscriber, from the aggregate start
	 * group of its subscribers (the lowest explicit one), else at the latest group. Every later
	 * subscriber is served from what the relay holds: a viewer from the latest group, a later
	 * explicit start from the cache.
	 */
	#subscribeOnDemand(up: Upstream, producer: Moq.Track.Producer): void {
		let dispose: (() => void) | undefined;
		const start = (): void => {
			if (this.#closed || this.#upstream !== undefined || this.#host.current() !== up || !producer.used.peek()) return;
			dispose?.();
			dispose = undefined;
			const startGroup = producer.subscription.peek()?.startGroup;
			this.#pump(up, up.broadcast.subscribe(this.name, startGroup === undefined ? {} : { startGroup }));
		};
		dispose = producer.used.subscribe(start);
		void Promise.resolve(producer.closed).then(() => dispose?.());
		start();
	}

	/**
	 * Answers a downstream request that reached the route before the shared producer existed
	 * (or a TRACK_INFO probe): accepts it with the upstream's info and forwards groups into it
	 * until its subscriber leaves. Rejects the request if the track cannot be resolved.
	 */
	async serve(request: Moq.Track.Request): Promise<void> {
		let shared: Moq.Track.Producer;
		let info: Moq.Track.Info;
		try {
			shared = await this.#ready;
			info = await shared.info();
		} catch (err) {
			request.reject(err instanceof Error ? err : new Error(String(err)));
			return;
		}
		const out = request.accept(info);
		// A TRACK_INFO probe has no subscriber and closes itself; nothing to forward.
		if (!out.used.peek()) return;
		const budget = new GroupCacheBudget(MEDIA_CACHE_MAX_BYTES, info.latencyMax);
		// The request's start group joins the shared producer's aggregate, which the upstream
		// subscription asks for when this is its first subscriber (see #subscribeOnDemand).
		const explicit = request.subscription.startGroup;
		const sub = shared.subscribe(explicit === undefined ? {} : { startGroup: explicit });
		// An explicit start group (a recorder that caught the announcement asks for the first)
		// is honoured from the cache; otherwise a late joiner starts at the newest group.
		const start = explicit ?? sub.latest();
		if (start !== undefined) sub.startAt(start);
		const stop = Promise.race([out.unused(), out.closed.then(() => undefined)]).then(() => undefined);
		// Copies still in progress when the shared track ends: `out.close()` would cut them off.
		const copies = new Set<Promise<void>>();
		const progress = { at: performance.now(), change: new ChangeSignal() };
		try {
			for (;;) {
				const next = sub.recvGroup();
				// `stop` lives as long as the request: a native race per group would pin every group.
				const group = await race([next, stop]);
				if (!group) {
					void next.then((g) => g?.close()).catch(() => {});
					break;
				}
				const copy = this.#copyInto(out, group, budget, progress);
				copies.add(copy);
				void copy.finally(() => {
					copies.delete(copy);
					progress.change.notify();
				});
			}
		} catch {
			// The shared track ended with an error; end this request too.
		} finally {
			sub.close();
		}
		// The shared track ends only once its groups are complete; the copies finish as fast as this
		// subscriber reads them. The bound covers a subscriber that stopped reading.
		await settleWhileMoving(copies, () => progress.at, progress.change);
		out.close();
	}

	async #copyInto(
		out: Moq.Track.Producer,
		group: Moq.Group.Consumer,
		budget: GroupCacheBudget,
		progress: { at: number; change: ChangeSignal },
	): Promise<void> {
		const copy = new Moq.Group.Producer(group.sequence);
		// Paced on its reader, so a frame is never evicted unread (transport/moq-net-backpressure.ts).
		const pacer = paceGroup(copy);
		let bytes = 0;
		try {
			out.writeGroup(copy);
			for (let frame = await group.readFrame(); frame; frame = await group.readFrame()) {
				await pacer.room(frame.payload.byteLength);
				copy.writeFrame(frame);
				bytes += frame.payload.byteLength;
				progress.at = performance.now();
			}
		} catch {
			// Closed under us: the subscriber left or the track ended.
		} finally {
			copy.close();
			group.close();
			budget.retain([copy], bytes);
		}
	}

	/** Feeds the shared producer from a new upstream generation (a publisher took the route over). */
	attach(up: Upstream): void {
		if (this.#closed || this.#producer === undefined) return;
		if (this.#finishing) {
			this.#finishing = undefined;
			this.#acceptBelow = undefined;
			this.#change.notify();
		}
		const sub = up.broadcast.subscribe(this.name, {});
		this.#pump(up, sub);
	}

	/** Drops the upstream subscription but keeps downstream subscribers waiting for a new generation. */
	detach(): void {
		const sub = this.#upstream;
		this.#upstream = undefined;
		if (sub) {
			this.#host.counters.upstreamSubscriptions--;
			sub.close();
		}
	}

	/** Ends the track for everyone: downstream subscriptions finish, the upstream is released. */
	close(abort?: Error): void {
		if (this.#closed) return;
		this.#closed = true;
		this.detach();
		this.#producer?.close(abort);
		this.#host.removed(this, this.#producer);
		this.#change.notify();
	}

	/**
	 * Ends the track once what the publisher already sent is delivered (the route is ending: the
	 * publisher unannounced). Resolves when the track has closed: at the upstream's own end after
	 * its groups are forwarded, or once no group is being forwarded and none arrived for
	 * {@link TRACK_DRAIN_QUIET_MS}; after {@link UNANNOUNCE_DRAIN_MAX_MS} it takes no group newer
	 * than those received; it gives up once nothing moved for {@link TRACK_DRAIN_STALL_MS}. Never rejects.
	 */
	async finish(): Promise<void> {
		if (this.#closed) return;
		if (this.#producer === undefined) {
			// Still resolving upstream: nothing was received, nothing to deliver.
			this.close();
			return;
		}
		const token = {};
		this.#finishing = token;
		const deadline = performance.now() + UNANNOUNCE_DRAIN_MAX_MS;
		// In running time: a starved relay reads its sockets before calling the tail missing. A
		// track idle long before the unannounce (a catalog) ends at once, after one look at them.
		const quiet = new QuietClock(() => this.#lastArrival, performance.now() - this.#lastArrival);
		await quiet.wait(this.#change, 0);
		for (;;) {
			// Closed meanwhile, or a publisher took the route over: the track lives on.
			if (this.#closed || this.#finishing !== token) return;
			const now = performance.now();
			if (now >= deadline && this.#acceptBelow === undefined) this.#acceptBelow = this.#maxUpstream + 1;
			const ms = quiet.read();
			if (this.#forwarding.size === 0 && ms >= TRACK_DRAIN_QUIET_MS) break;
			// Bytes stopped moving: what is left is not coming.
			if (ms >= TRACK_DRAIN_STALL_MS) break;
			let wait = this.#forwarding.size === 0 ? TRACK_DRAIN_QUIET_MS - ms : TRACK_DRAIN_STALL_MS - ms;
			if (this.#acceptBelow === undefined) wait = Math.min(wait, deadline - now);
			await quiet.wait(this.#change, wait);
		}
		this.close();
	}

	#pump(up: Upstream, sub: Moq.Track.Subscriber): void {
		this.detach();
		this.#upstream = sub;
		this.#host.counters.upstreamSubscriptions++;
		// A new generation restarts the sequence mapping at the next free relay sequence.
		this.#offset = undefined;
		this.#floor = this.#next;
		this.#maxUpstream = -1;
		void this.#run(up, sub);
	}

	async #run(up: Upstream, sub: Moq.Track.Subscriber): Promise<void> {
		let end: Error | undefined;
		try {
			for (let group = await sub.recvGroup(); group; group = await sub.recvGroup()) {
				if (this.#upstream !== sub) {
					group.close();
					return;
				}
				// An unannounced track past its deadline takes only stragglers older than the newest.
				if (this.#acceptBelow !== undefined && group.sequence >= this.#acceptBelow) {
					group.close();
					continue;
				}
				this.#maxUpstream = Math.max(this.#maxUpstream, group.sequence);
				const forward = this.#forward(up, group);
				this.#forwarding.add(forward);
				void forward.finally(() => {
					this.#forwarding.delete(forward);
					this.#change.notify();
				});
			}
		} catch (err) {
			end = err instanceof Error ? err : new Error(String(err));
		}
		if (this.#upstream !== sub) return;
		// The upstream's end must not overtake its groups: closing the producer closes every
		// group in it, finished or not, so let the forwards still copying frames finish first.
		await settleWhileMoving(this.#forwarding, () => this.#lastArrival, this.#change);
		if (this.#upstream !== sub) return;
		// Let a session close that caused this end be noticed first: a lost publisher keeps the
		// track waiting for a takeover, while a track the live publisher ended ends downstream too.
		await new Promise((resolve) => setTimeout(resolve, 20));
		if (this.#upstream !== sub) return;
		if (this.#finishing || (this.#host.current() === up && up.alive())) {
			this.#host.log("debug", `track ${this.name} ended upstream${end ? `: ${end.message}` : ""}`);
			// A publisher that unannounced and then left (a CLI exiting) ends its tracks cleanly:
			// an abort would reset, downstream, the groups already forwarded but not yet read.
			this.close(this.#finishing ? undefined : end);
		} else {
			this.detach();
		}
	}

	// Maps an upstream sequence into the relay's numbering. Generation 1 keeps the publisher's
	// numbers; a later generation is shifted so its first group lands at the next free sequence,
	// and stragglers below that are dropped rather than colliding with the previous generation.
	#map(sequence: number): number | undefined {
		if (this.#offset === undefined) this.#offset = Math.max(0, this.#floor - sequence);
		const mapped = sequence + this.#offset;
		return mapped < this.#floor ? undefined : mapped;
	}

	async #forward(up: Upstream, group: Moq.Group.Consumer): Promise<void> {
		const producer = this.#producer;
		const sequence = this.#map(group.sequence);
		if (producer === undefined || sequence === undefined) {
			group.close();
			return;
		}
		const copy = new Moq.Group.Producer(sequence);
		// Before the group is inserted: the pacer tracks the read handle of every subscriber.
		const pacer = paceGroup(copy);
		try {
			producer.writeGroup(copy);
		} catch {
			group.close();
			return;
		}
		this.#next = Math.max(this.#next, sequence + 1);
		this.#lastArrival = performance.now();
		const counters = this.#host.counters;
		counters.groups++;
		let bytes = 0;
		try {
			for (let frame = await group.readFrame(); frame; frame = await group.readFrame()) {
				if (frame.payload.byteLength > this.#host.maxFrameBytes) {
					up.fail("LIMIT", `frame of ${frame.payload.byteLength} bytes exceeds the relay limit of ${this.#host.maxFrameBytes}`);
					break;
				}
				// Wait for every subscriber to have room for it (a slow one beside caught-up ones is
				// cut from this group instead): the library evicts frames a reader has not read.
				// While this waits, upstream reads pause too, and the publisher is flow-controlled.
				await pacer.room(frame.payload.byteLength, { holdMs: SLOW_READER_HOLD_MS });
				copy.writeFrame(frame);
				this.#lastArrival = performance.now();
				bytes += frame.payload.byteLength;
				counters.frames++;
				counters.bytes += frame.payload.byteLength;
			}
		} catch {
			// Upstream group reset (publisher gone or skipped it): deliver what arrived, cleanly.
		} finally {
			copy.close();
			group.close();
			this.#budget?.retain([copy], bytes);
			if (pacer.cut > 0) {
				counters.readersCut += pacer.cut;
				this.#host.log("debug", `track ${this.name} group ${sequence}: ${pacer.cut} slow subscriber(s) cut, skipping the rest of the group`);
			}
		}
	}

	async #watchDemand(producer: Moq.Track.Producer): Promise<void> {
		// Give the request that created the track time to attach its subscriber.
		await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
		while (!this.#closed) {
			await producer.unused();
			if (this.#closed || producer.closed.peek() !== undefined) break;
			await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
			if (!producer.used.peek()) {
				this.#host.log("debug", `track ${this.name} idle, releasing upstream`);
				this.close();
			}
		}
	}
}
