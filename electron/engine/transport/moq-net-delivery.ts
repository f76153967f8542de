/**
 * Works around three ways `@moq/net` 0.3.4 loses groups it has already been sent, in every process
 * that carries media (relay, publisher, recorder). Importing this module installs them.
 *
 * 1. A track's end overtakes its last groups (the end of a short show was lost: 52 of 60 video
 *    packets recorded; with a burst ended at once, everything but the newest GOP). The publisher
 *    (`lite/publisher.js` `#runTrack`) sends SUBSCRIBE_END and FINs the subscribe stream as soon
 *    as its track has no more groups, while the group streams it just started are still being
 *    opened and written; QMux sends streams by send order, so the FIN can reach the peer first.
 *    The subscriber (`lite/subscriber.js` `#runSubscribe`) takes that FIN as the end: it closes
 *    the track producer (`Track.Producer.close` closes every cached group, finished or not, so the
 *    frames still in flight are cut off) and deletes the subscription, after which `runGroup`
 *    silently discards every group stream that still arrives for it. SUBSCRIBE_END carries the
 *    exclusive end sequence, but the library reads and ignores it.
 *
 *    The workaround, on the subscribing side: decoding SUBSCRIBE_END (`SubscribeEnd.decode`)
 *    waits until every group from SUBSCRIBE_START up to that end has arrived and been read to
 *    its end, so the FIN behind it is seen only then. It gives up once no group is open and none
 *    arrived for {@link TRACK_END_QUIET_MS} (the publisher dropped one), or once nothing (no group,
 *    no frame) arrived for {@link TRACK_END_STALL_MS}: the bound follows progress, so a large
 *    backlog still moving is waited for however long it takes (a fixed 10 s cut 100 MB groups).
 *    Independently, a clean `close()` of a track the
 *    wire subscriber fills waits for the groups still open in it (same bound); an abort closes at
 *    once, as before. Tracks are recognised by `Broadcast.Consumer#requested`, which only the
 *    subscribing wire layers call, and tied to their subscribe stream by `Stream.open`, which
 *    `#openSubscribe` calls in the same synchronous step as `request.accept`.
 *
 * 2. A group dropped for want of a stream slot is silent. The publisher opens one stream per
 *    group with `Writer.tryOpen` (`waitUntilAvailable: false`), which QMux ignores: the open
 *    parks until the peer grants MAX_STREAMS credit, and after 10 s `tryOpen` gives up and the
 *    group is closed with "no stream slot", logged nowhere. The stream limit itself is raised in
 *    `qmux-config.ts`; here every such drop is counted ({@link streamSlotDrops}) and logged at
 *    warn with its broadcast and track, which `runSubscribe` (the only caller that serves groups)
 *    carries down through an `AsyncLocalStorage`.
 *
 * 3. A publisher cannot tell when its peer has read a subscription's end: `Stream.close()` FINs
 *    our half and stops reading theirs at once, so a publisher that then closes its connection
 *    tears down group streams the peer has not read yet. Here a served subscription stays in
 *    flight ({@link groupStreamsInFlight}, which the drains read) until the peer closes its half,
 *    or {@link PEER_END_WAIT_MS}; not over WebTransport ({@link openWithoutPeerEndWait}).
 *
 * Every hook is guarded by version: another `@moq/net` keeps its own behaviour
 * ({@link moqNetDeliveryWorkarounds} says what is active; moq-net-workarounds.ts warns when one is off).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as Moq from "@moq/net";
// The leak-free race and tryOpen must be in place first: this wraps whatever tryOpen is installed.
import { ChangeSignal } from "../change-signal";
import { QuietClock } from "../quiet-clock";
import { wireGroupCreated } from "./moq-net-backpressure";
import { race } from "./moq-net-leaks";
import { patchedMoqNetRoot } from "./moq-net-version";

/**
 * A track's end stops waiting for the groups the publisher announced in SUBSCRIBE_END once nothing
 * (no group, no frame) arrived for this long: what is still moving is waited for, a stalled
 * transfer is not.
 */
export const TRACK_END_STALL_MS = 10_000;
/**
 * A track's end stops waiting for a missing group once no group is open and none arrived for
 * this long: the publisher skipped it (expired or dropped), it is not merely late.
 */
export const TRACK_END_QUIET_MS = 1000;
// Out-of-order arrivals remembered above the contiguous mark; past this a gap is given up on, so a
// group the publisher never sent cannot make a long subscription's bookkeeping grow.
const MAX_PENDING_SEQUENCES = 1024;

/** What a wire-subscribed track has received, for deciding when its end may be delivered. */
class WireTrack {
	readonly open = new Set<Moq.Group.Producer>();
	/** Every sequence from SUBSCRIBE_START below this has arrived; undefined until START. */
	#contiguous: number | undefined;
	readonly #above = new Set<number>();
	lastArrival = performance.now();
	readonly #signal = new ChangeSignal();

	arrived(group: Moq.Group.Producer): void {
		this.open.add(group);
		this.lastArrival = performance.now();
		// Every frame is progress too (instance override: only this group's writes).
		const writeFrame = group.writeFrame.bind(group);
		group.writeFrame = (frame: Moq.Group.Frame) => {
			writeFrame(frame);
			this.lastArrival = performance.now();
		};
		const seq = group.sequence;
		if (this.#contiguous === undefined || seq >= this.#contiguous) this.#above.add(seq);
		this.#compact();
		const done = () => {
			this.open.delete(group);
			this.changed();
		};
		Promise.resolve(group.closed).then(done, done);
		this.changed();
	}

	started(start: number): void {
		if (this.#contiguous !== undefined) return;
		this.#contiguous = start;
		this.#compact();
	}

	changed(): void {
		this.#signal.notify();
	}

	/** Waits until every group below `end` arrived and none is open (see the module comment). */
	async drain(end: number): Promise<void> {
		// Quiet is counted from the END at the earliest (a late group needs a moment to show up),
		// in running time: a starved process must read its socket before calling a group missing.
		const quiet = new QuietClock(() => this.lastArrival);
		for (;;) {
			const complete = this.#contiguous === undefined || this.#contiguous >= end;
			if (complete && this.open.size === 0) return;
			const ms = quiet.read();
			if (ms >= TRACK_END_STALL_MS) return;
			if (this.open.size === 0 && ms >= TRACK_END_QUIET_MS) return;
			await quiet.wait(this.#signal, (this.open.size === 0 ? TRACK_END_QUIET_MS : TRACK_END_STALL_MS) - ms);
		}
	}

	/** Waits until no group is open, or until nothing arrived for {@link TRACK_END_STALL_MS}. */
	async settle(): Promise<void> {
		const quiet = new QuietClock(() => this.lastArrival);
		while (this.open.size > 0) {
			const ms = quiet.read();
			if (ms >= TRACK_END_STALL_MS) return;
			await quiet.wait(this.#signal, TRACK_END_STALL_MS - ms);
		}
	}

	#compact(): void {
		if (this.#contiguous === undefined) {
			// Before START (never, from a conforming lite-05 publisher): keep the newest only.
			if (this.#above.size > MAX_PENDING_SEQUENCES) this.#above.delete(Math.min(...this.#above));
			return;
		}
		for (const seq of this.#above) if (seq < this.#contiguous) this.#above.delete(seq);
		if (this.#above.size > MAX_PENDING_SEQUENCES) this.#contiguous = Math.min(...this.#above);
		while (this.#above.delete(this.#contiguous)) this.#contiguous++;
	}
}

// The track accepted by the wire subscriber in the current synchronous step (see module comment).
let justAccepted: WireTrack | undefined;
// Subscribe stream reader -> the track it carries.
const bySubscribeReader = new WeakMap<object, WireTrack>();

function installTrackEndDrain(): boolean {
	const proto = Moq.Broadcast.Consumer.prototype as Moq.Broadcast.Consumer & { drainsTrackEnd?: true };
	if (proto.drainsTrackEnd) return true;
	const requested = proto.requested;
	proto.requested = async function (this: Moq.Broadcast.Consumer): Promise<Moq.Track.Request | undefined> {
		const request = await requested.call(this);
		if (request && typeof request.accept === "function") {
			const accept = request.accept.bind(request);
			request.accept = (info?: Partial<Moq.Track.Info>) => {
				const producer = accept(info);
				justAccepted = watch(producer);
				queueMicrotask(() => (justAccepted = undefined));
				return producer;
			};
		}
		return request;
	};
	Object.defineProperty(proto, "drainsTrackEnd", { value: true });
	return true;
}

/**
 * Records the groups written into `producer` (a track the wire subscriber fills) and makes its
 * clean `close()` wait for the ones still open; `writeGroup` keeps working until the real close.
 */
function watch(producer: Moq.Track.Producer): WireTrack {
	const track = new WireTrack();
	const writeGroup = producer.writeGroup.bind(producer);
	const close = producer.close.bind(producer);
	let ending = false;
	producer.writeGroup = (group: Moq.Group.Producer): void => {
		// Before the write: the pacer must see the read handles the track fans the group out to.
		wireGroupCreated(group);
		writeGroup(group); // throws once really closed, as before
		track.arrived(group);
	};
	producer.close = (abort?: Error): void => {
		if (abort !== undefined || producer.closed.peek() !== undefined) {
			close(abort);
			track.changed();
			return;
		}
		if (ending) return;
		ending = true;
		void track.settle().then(() => {
			// Aborted meanwhile: already closed. Groups still open past the bound close with it.
			if (producer.closed.peek() === undefined) close();
		});
	};
	return track;
}

interface StreamClass {
	open(quic: unknown, options?: unknown): Promise<{ reader: object }>;
}

interface RangeClass {
	decode(r: object): Promise<{ group: number }>;
}

async function installEndWait(root: string): Promise<boolean> {
	const [{ Stream }, { SubscribeStart, SubscribeEnd }] = (await Promise.all([
		import(pathToFileURL(join(root, "stream.js")).href),
		import(pathToFileURL(join(root, "lite", "subscribe.js")).href),
	])) as [{ Stream: StreamClass & { tracksSubscribes?: true } }, { SubscribeStart: RangeClass; SubscribeEnd: RangeClass }];
	if (typeof Stream?.open !== "function" || typeof SubscribeStart?.decode !== "function" || typeof SubscribeEnd?.decode !== "function") return false;
	if (Stream.tracksSubscribes) return true;
	const open = Stream.open;
	Stream.open = async function (quic, options) {
		// Read synchronously: only a call in the same step as the accept is its subscribe stream.
		const track = justAccepted;
		justAccepted = undefined;
		const stream = await open.call(this, quic, options);
		if (track) bySubscribeReader.set(stream.reader, track);
		return stream;
	};
	const decodeStart = SubscribeStart.decode;
	SubscribeStart.decode = async function (r) {
		const msg = await decodeStart.call(this, r);
		bySubscribeReader.get(r)?.started(msg.group);
		return msg;
	};
	const decodeEnd = SubscribeEnd.decode;
	SubscribeEnd.decode = async function (r) {
		const msg = await decodeEnd.call(this, r);
		// Holding the END back holds the FIN behind it, and with it the subscription's end.
		await bySubscribeReader.get(r)?.drain(msg.group);
		return msg;
	};
	Stream.tracksSubscribes = true;
	return true;
}

/** The publishing subscription being served (see {@link installSlotDropLog} and {@link installStartFloor}). */
interface Serving {
	broadcast: string;
	track: string;
	/** The subscriber's explicit SUBSCRIBE start group, if any. */
	startGroup: number | undefined;
	/** Set once the subscription's track subscriber has been given the floor. */
	floored?: true;
	/** The floor kept below the library's (see {@link installStartFloor}); SUBSCRIBE_START must not claim more. */
	floor?: number;
}

const serving = new AsyncLocalStorage<Serving>();
let drops = 0;

/** Groups this process dropped because the peer granted no stream to send them on. */
export function streamSlotDrops(): number {
	return drops;
}

interface WriterClass {
	tryOpen(quic: unknown, options: { cancel: Promise<unknown> }): Promise<unknown>;
}

/** The part of a group stream's writer the in-flight count wraps. */
interface GroupStreamWriter {
	close(...args: unknown[]): unknown;
	reset(...args: unknown[]): unknown;
}

/** Group streams being opened or written and subscriptions not yet closed by both ends, per served broadcast path. */
const groupStreams = new Map<string, number>();

/**
 * How long a served subscription still counts as in flight, after it ended on our side, while the
 * peer has not closed its half of the subscribe stream.
 */
export const PEER_END_WAIT_MS = 10_000;

// Set around opening a connection whose served subscriptions must not wait for the peer's end.
const servedWithoutPeerEnd = new AsyncLocalStorage<true>();

/**
 * Opens (connects or accepts) a MoQ connection whose served subscriptions close both halves of
 * their subscribe stream at once, as the library does, instead of waiting for the peer's end
 * (see {@link groupStreamsInFlight}). For WebTransport through `@fails-components/webtransport`:
 * a session closed while one of its streams still reads, after our half ended, makes the polyfill
 * write on its ended HTTP/2 stream and reject the session with "write after end". Everything the
 * connection runs inherits this (an `AsyncLocalStorage` context).
 */
export function openWithoutPeerEndWait<T>(open: () => T): T {
	return servedWithoutPeerEnd.run(true, open);
}

/** A served subscribe stream, as `lite/publisher.js` `runSubscribe` gets it. */
interface SubscribeStream {
	close(): void;
	writer: { close(): void };
	reader: { closed: Promise<unknown>; stop(reason: Error): void };
}

function noop(): void {}

/**
 * Makes a served subscribe stream's clean close wait for the peer to close its half, at most
 * {@link PEER_END_WAIT_MS}: `Stream.close()` FINs our half and at once stops reading theirs. Our
 * FIN goes out immediately. `done` settles once the stream is really closed, or at once when the
 * library never closes it cleanly (a reset, an unknown broadcast).
 */
function awaitPeerEnd(stream: unknown): { readonly done: Promise<void> | undefined } {
	const s = stream as Partial<SubscribeStream> | undefined;
	const state: { done: Promise<void> | undefined } = { done: undefined };
	if (typeof s?.close !== "function" || typeof s.writer?.close !== "function" || typeof s.reader?.stop !== "function" || !(s.reader.closed instanceof Promise)) return state;
	const full = s as SubscribeStream;
	full.close = () => {
		full.writer.close();
		// The subscription's pending update read takes the peer's FIN, which settles `closed`;
		// then (or at the bound) the reader is stopped as `Stream.close()` would have at once.
		state.done = race([full.reader.closed, unrefSleep(PEER_END_WAIT_MS)])
			.then(noop, noop)
			.then(() => full.reader.stop(new Error("cancel")));
	};
	return state;
}

/** Resolves after `ms` without keeping the process alive for it. */
function unrefSleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Counts one group stream or subscription of `broadcast` in flight; the returned release (idempotent) ends it. */
function holdGroupStream(broadcast: string | undefined): () => void {
	if (broadcast === undefined) return () => {};
	groupStreams.set(broadcast, (groupStreams.get(broadcast) ?? 0) + 1);
	let held = true;
	return () => {
		if (!held) return;
		held = false;
		const left = (groupStreams.get(broadcast) ?? 1) - 1;
		if (left > 0) groupStreams.set(broadcast, left);
		else groupStreams.delete(broadcast);
	};
}

/**
 * Group streams of the broadcast at `path` this process is still opening or writing, and served
 * subscriptions to it that the peer has not closed yet, over every connection. `path` matches a
 * served broadcast named relative to a connection's root as well. Two ways a publisher that
 * closes its connection once its subscriptions "ended" loses the tail:
 * - A served track's subscription ends (`#runTrack` closes it) as soon as its last group is
 *   handed to `#runGroup`, while that group may still wait for a stream slot and be unwritten
 *   (four CLI publishers ending together on a loaded machine lost up to the last 16 audio groups,
 *   test/media/concurrent-ends.test.ts).
 * - Written is not read: the peer may not have taken the last group streams from its transport
 *   yet, and a connection close tears down every stream it has not read (QMux drops them with
 *   the session). The peer closes its half of the subscribe stream only once it has read the end,
 *   after the groups before it (this module's first workaround, on a studio peer): under eight CPU
 *   hogs a relay lost the last 7 Opus groups of three of four tracks before this waited for it.
 */
export function groupStreamsInFlight(path: string): number {
	let n = 0;
	for (const [broadcast, count] of groupStreams) if (broadcast === path || path.endsWith(`/${broadcast}`)) n += count;
	return n;
}

interface PublisherClass {
	prototype: { runSubscribe(msg: { broadcast: unknown; track: unknown; startGroup?: unknown }, stream: unknown): Promise<void> };
}

async function installSlotDropLog(root: string): Promise<boolean> {
	const [{ Writer }, { Publisher }] = (await Promise.all([
		import(pathToFileURL(join(root, "stream.js")).href),
		import(pathToFileURL(join(root, "lite", "publisher.js")).href),
	])) as [{ Writer: WriterClass & { slotDropsLogged?: true } }, { Publisher: PublisherClass & { servingContext?: true } }];
	if (typeof Writer?.tryOpen !== "function" || typeof Publisher?.prototype?.runSubscribe !== "function") return false;
	if (!Publisher.servingContext) {
		const runSubscribe = Publisher.prototype.runSubscribe;
		Publisher.prototype.runSubscribe = function (msg, stream) {
			const startGroup = typeof msg.startGroup === "number" ? msg.startGroup : undefined;
			const broadcast = String(msg.broadcast);
			const release = holdGroupStream(broadcast);
			const closing = servedWithoutPeerEnd.getStore() ? { done: undefined } : awaitPeerEnd(stream);
			const served = serving.run({ broadcast, track: String(msg.track), startGroup }, () => runSubscribe.call(this, msg, stream));
			// In flight until the peer has closed its half too (see groupStreamsInFlight).
			void served.then(noop, noop).then(() => closing.done).then(release, release);
			return served;
		};
		Publisher.servingContext = true;
	}
	if (!Writer.slotDropsLogged) {
		const tryOpen = Writer.tryOpen;
		const NOT_CANCELLED = Symbol("not cancelled");
		Writer.tryOpen = async function (quic, options) {
			const where = serving.getStore();
			const release = holdGroupStream(where?.broadcast);
			let writer: GroupStreamWriter | undefined;
			try {
				writer = (await tryOpen.call(this, quic, options)) as GroupStreamWriter | undefined;
			} catch (err) {
				release();
				throw err;
			}
			if (writer !== undefined) {
				// In flight until the group is written out (`close`) or abandoned (`reset`).
				const close = writer.close.bind(writer);
				const reset = writer.reset.bind(writer);
				writer.close = (...args) => {
					release();
					return close(...args);
				};
				writer.reset = (...args) => {
					release();
					return reset(...args);
				};
				return writer;
			}
			release();
			// Undefined means cancelled (the subscriber left: not a loss) or timed out waiting for
			// a slot. `cancel` has settled by now in the first case; the race is leak-free.
			let cancelled: boolean;
			try {
				cancelled = (await race([options.cancel, Promise.resolve(NOT_CANCELLED)])) !== NOT_CANCELLED;
			} catch {
				cancelled = true;
			}
			if (!cancelled) {
				drops++;
				console.warn(
					`group dropped: no stream slot from the peer within the open timeout: broadcast=${where?.broadcast ?? "?"} track=${where?.track ?? "?"} (dropped so far: ${drops})`,
				);
			}
			return undefined;
		};
		Writer.slotDropsLogged = true;
	}
	return true;
}

/**
 * Keeps the floor of what a subscription is served where the subscriber put it. `runSubscribe`
 * starts the track subscriber at the requested group (else at the newest cached one), then
 * `#runTrack` raises the floor to the first group it happens to serve. A relay receives a burst
 * newest group first (a publisher sends the newest first when the link is busy), so a subscriber
 * that asked for group 0, or subscribed before any group existed, was served only the newest GOP:
 * the older groups, arriving a moment later, were below the floor and skipped. Here the floor
 * stays at the requested group, or at 0 for a subscription that predates every group. Installed
 * through `Broadcast.Producer#subscribe`, which `runSubscribe` calls synchronously in its context.
 *
 * `#runTrack` also announces that first served group as SUBSCRIBE_START ("nothing below this will
 * be delivered"). Keeping the floor alone made that a false promise: the relay went on to deliver
 * the older groups, but the subscriber's end wait ({@link installEndWait}) counts only from START,
 * so the track's end passed as soon as the groups above START were in and every older group still
 * on the wire (the newest are sent first) was discarded, silently: a burst into a subscription made
 * before its first group kept ~90 of 401 audio groups. So SUBSCRIBE_START, encoded in the same
 * serving context, announces the kept floor when it is lower.
 */
async function installStartFloor(root: string): Promise<boolean> {
	const { SubscribeStart } = (await import(pathToFileURL(join(root, "lite", "subscribe.js")).href)) as {
		SubscribeStart: { prototype: { group: number; encode(w: unknown): Promise<unknown> }; announcesStartFloor?: true };
	};
	if (typeof SubscribeStart?.prototype?.encode !== "function") return false;
	if (!SubscribeStart.announcesStartFloor) {
		const encode = SubscribeStart.prototype.encode;
		SubscribeStart.prototype.encode = function (w) {
			const floor = serving.getStore()?.floor;
			if (floor !== undefined && floor < this.group) this.group = floor;
			return encode.call(this, w);
		};
		SubscribeStart.announcesStartFloor = true;
	}
	const proto = Moq.Broadcast.Producer.prototype as Moq.Broadcast.Producer & { keepsStartFloor?: true };
	if (proto.keepsStartFloor) return true;
	const subscribe = proto.subscribe;
	proto.subscribe = function (this: Moq.Broadcast.Producer, name: string, options?: Moq.Track.Subscription): Moq.Track.Subscriber {
		const track = subscribe.call(this, name, options);
		const store = serving.getStore();
		if (store && store.track === name && !store.floored) {
			store.floored = true;
			const floor = store.startGroup ?? (track.latest() === undefined ? 0 : undefined);
			if (floor === undefined) return track; // a live-edge start: the library's floor is right
			store.floor = floor;
			const startAt = track.startAt.bind(track);
			track.startAt = (sequence: number) => startAt(Math.min(sequence, floor));
		}
		return track;
	};
	Object.defineProperty(proto, "keepsStartFloor", { value: true });
	return true;
}

const root = patchedMoqNetRoot();
const slotDrops = root !== undefined && (await installSlotDropLog(root).catch(() => false));

/**
 * Which workarounds are active in this process, each only on the patched `@moq/net` version
 * (moq-net-version.ts): `trackClose` (a clean close waits for open groups), `trackEnd`
 * (SUBSCRIBE_END waits for its groups), `slotDrops` (a dropped group is counted and logged) and
 * `startFloor` (an explicit start group, or 0 before any group, stays the floor and is what
 * SUBSCRIBE_START announces; it needs the serving context that `slotDrops` installs).
 * Top-level await: every importer runs after they are installed.
 */
export const moqNetDeliveryWorkarounds: {
	readonly trackClose: boolean;
	readonly trackEnd: boolean;
	readonly slotDrops: boolean;
	readonly startFloor: boolean;
} = {
	trackClose: root !== undefined && installTrackEndDrain(),
	trackEnd: root !== undefined && (await installEndWait(root).catch(() => false)),
	slotDrops,
	startFloor: root !== undefined && slotDrops && (await installStartFloor(root).catch(() => false)),
};
