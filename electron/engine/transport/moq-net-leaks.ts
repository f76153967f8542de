/**
 * Works around two unbounded retentions in `@moq/net` 0.3.4 that made every process that carries
 * a subscribed track (relay, publisher, recorder) grow by several MB a minute (issue 18).
 *
 * The library races per group and per frame against promises that live as long as the whole
 * subscription. A native `Promise.race` leaves one reaction on every contender until that
 * contender settles, and that reaction keeps the race's own promise alive together with the
 * value it resolved with. So until the subscription ends:
 *
 * - `lite/publisher.js` `#runTrack` does `Promise.race([track.recvGroup(), stream.closed])` per
 *   group: the subscribe stream's `closed` pins every group consumer ever served;
 * - `stream.js` `Writer.tryOpen` does `options.cancel.then(...)` per group stream, then races that
 *   against the open: the subscription's `unsubscribed` pins every group's `Writer` (and its
 *   `WritableStream`);
 * - `lite/subscriber.js` `runGroup` does `Promise.race([stream.done(), track.closed, ...])` per
 *   frame: the track's `closed` `Once` registers a fresh resolver on its signal every time.
 *
 * Retainer chain of the dominant one (heap snapshot of the relay, 70 s of one Opus track):
 * Generator(#runTrack) -> `unsubscribed` -> reactions (4,520 deep) -> `cancelled` -> race resolve
 * closure -> race promise -> Writer -> WritableStreamDefaultWriter -> WritableStream.
 *
 * Upstream shape: `Promise.race([short, longLived])` in a loop; see nodejs/node#17469. This is the
 * one place the engine works around it: importing this module installs a `Promise.race` that
 * subscribes to each contender at most once and detaches a finished race from the contenders
 * that lost, and replaces `Writer.tryOpen` with the same logic raced without the per-call `.then`.
 * Both are guarded: a different `@moq/net` version keeps its own `tryOpen`, and the soak test
 * (test/media/long-show.test.ts) tells when a workaround is missing.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { patchedMoqNetRoot } from "./moq-net-version";

/** A contender's state as seen by every race that includes it. */
interface Entry {
	state: "pending" | "fulfilled" | "rejected";
	/** Races still waiting on this contender; a race that settles removes itself, so it keeps nothing. */
	waiters: Set<Waiter> | undefined;
}

interface Waiter {
	settle(ok: boolean, value: unknown): void;
}

const nativeRace = Promise.race;
// One entry per contender object: the contender's single reaction (installed on first race)
// points at the entry, never at a race, so a race that finished is garbage at once.
// Kept on the contender itself (a symbol-keyed property), as the WeakMap below would: inserting
// into a WeakMap per race was 6% of a relay's busy time at 32 subscribers (a fresh `readFrame()`
// promise per frame per subscriber, bench/relay-fanout.ts), a property costs next to nothing. The
// WeakMap is for the contenders that cannot take a property (frozen thenables).
const ENTRY = Symbol("moq-studio race entry");
const entries = new WeakMap<object, Entry>();
type Holder = { [ENTRY]?: Entry };

function storedEntry(contender: object): Entry | undefined {
	// Own property only: an object made from a raced one (`Object.create`) is a contender of its own.
	if (Object.prototype.hasOwnProperty.call(contender, ENTRY)) return (contender as Holder)[ENTRY];
	return entries.get(contender);
}

function storeEntry(contender: object, entry: Entry): void {
	if (Object.isExtensible(contender)) (contender as Holder)[ENTRY] = entry;
	else entries.set(contender, entry);
}

function isThenableObject(value: unknown): value is object {
	return (typeof value === "object" && value !== null) || typeof value === "function";
}

function entryFor(contender: object): Entry {
	let entry = storedEntry(contender);
	if (entry) return entry;
	const created: Entry = { state: "pending", waiters: undefined };
	storeEntry(contender, created);
	const settle = (ok: boolean, value: unknown) => {
		created.state = ok ? "fulfilled" : "rejected";
		const waiters = created.waiters;
		created.waiters = undefined;
		if (waiters) for (const w of waiters) w.settle(ok, value);
	};
	// Promise.resolve adopts thenables (a `@moq/signals` `Once`) exactly like the native race does.
	Promise.resolve(contender as PromiseLike<unknown>).then(
		(v) => settle(true, v),
		(e: unknown) => settle(false, e),
	);
	entry = created;
	return entry;
}

/**
 * `Promise.race` that retains nothing once it has settled: a contender that loses, even one that
 * never settles, keeps no reference to this race or to its result.
 *
 * Guarantees the native outcome: it settles like the first contender to settle; contenders that
 * had already settled when it was called are taken in argument order, as natively. (Only a
 * contender settled in the very same microtask checkpoint may win over an earlier argument.)
 * Each contender gets at most one reaction for its whole life, however many races include it.
 */
export function race<T extends readonly unknown[] | []>(values: T): Promise<Awaited<T[number]>>;
/** Iterable form, as `Promise.race`. */
export function race<T>(values: Iterable<T | PromiseLike<T>>): Promise<Awaited<T>>;
export function race(values: Iterable<unknown>): Promise<unknown> {
	let list: unknown[];
	try {
		// As the native race: only an iterable is accepted (Array.from would take array-likes and
		// numbers, and a race over nothing never settles).
		if (typeof (values as Partial<Iterable<unknown>> | null | undefined)?.[Symbol.iterator] !== "function") {
			throw new TypeError(`${typeof values} is not iterable (cannot read property Symbol(Symbol.iterator))`);
		}
		list = [...values];
	} catch (err) {
		return Promise.reject(err);
	}
	return new Promise((resolve, reject) => {
		let done = false;
		const joined: Entry[] = [];
		const waiter: Waiter = {
			settle(ok, value) {
				if (done) return;
				done = true;
				for (const entry of joined) entry.waiters?.delete(waiter);
				joined.length = 0;
				if (ok) resolve(value);
				else reject(value);
			},
		};
		for (const value of list) {
			if (done) break;
			if (!isThenableObject(value)) {
				// A plain value settles in a microtask; nothing long-lived to leak onto.
				Promise.resolve(value).then((v) => waiter.settle(true, v));
				continue;
			}
			const entry = entryFor(value);
			if (entry.state !== "pending") {
				// Already settled: a native reaction runs once and is released, and keeps the
				// argument order of the native race among settled contenders.
				Promise.resolve(value as PromiseLike<unknown>).then(
					(v) => waiter.settle(true, v),
					(e: unknown) => waiter.settle(false, e),
				);
				continue;
			}
			(entry.waiters ??= new Set()).add(waiter);
			joined.push(entry);
		}
	});
}

type RaceFn = (this: unknown, values: Iterable<unknown>) => Promise<unknown>;

function installRace(): boolean {
	const ctor = Promise as unknown as { race: RaceFn & { leakFree?: true } };
	if (ctor.race.leakFree) return true;
	const patched = function (this: unknown, values: Iterable<unknown>): Promise<unknown> {
		// Subclasses and detached calls keep the native behaviour (including its TypeError).
		if (this !== Promise) return (nativeRace as RaceFn).call(this, values);
		return race(values);
	} as RaceFn & { leakFree?: true };
	patched.leakFree = true;
	Object.defineProperty(Promise, "race", { value: patched, writable: true, configurable: true });
	return true;
}

/** The `stream.js` `Writer` surface `tryOpen` needs. */
interface WriterClass {
	open(quic: unknown, options: unknown): Promise<{ reset(reason: Error): void }>;
	tryOpen(quic: unknown, options: { cancel: Promise<unknown> }): Promise<unknown>;
}

/** Wraps the open's outcome so the race can tell it from `cancel` (which never yields one). */
class Opened {
	constructor(
		readonly writer: { reset(reason: Error): void } | undefined,
		readonly error: unknown,
	) {}
}

async function installTryOpen(): Promise<boolean> {
	// Only the version whose tryOpen was read; another keeps its own (the soak test says whether
	// it still leaks, and moq-net-workarounds.ts warns that the workaround is off).
	const root = patchedMoqNetRoot();
	if (root === undefined) return false;
	// The same module instance the library uses (same file URL), reached past its `exports` map.
	const streamUrl = pathToFileURL(join(root, "stream.js")).href;
	const timeoutUrl = pathToFileURL(join(root, "util", "timeout.js")).href;
	const [{ Writer }, { TimeoutError }] = (await Promise.all([import(streamUrl), import(timeoutUrl)])) as [
		{ Writer: WriterClass },
		{ TimeoutError: new (...args: never[]) => Error },
	];
	if (typeof Writer?.tryOpen !== "function" || typeof Writer.open !== "function") return false;
	// Same contract as upstream: undefined when `cancel` settles (either way) first or the open
	// times out, the Writer otherwise, other open errors thrown; a stream opened after giving up
	// is reset. The difference: `cancel` is raced directly (one reaction per subscription)
	// instead of through a fresh `cancel.then(...)` per group that lives until unsubscribe.
	Writer.tryOpen = async function tryOpen(quic, options) {
		const open = Writer.open(quic, options);
		const opened = open.then(
			(writer) => new Opened(writer, undefined),
			(err: unknown) => new Opened(undefined, err ?? new Error("open failed")),
		);
		let winner: unknown;
		try {
			// `cancel` first: an already-cancelled caller wins even against a free slot.
			winner = await race([options.cancel, opened]);
		} catch {
			winner = undefined; // a rejected cancel (STOP_SENDING) means the peer is gone too
		}
		if (winner instanceof Opened) {
			if (winner.error === undefined) return winner.writer;
			if (!(winner.error instanceof TimeoutError)) throw winner.error;
			return undefined;
		}
		const abandoned = new Error("abandoned waiting for a stream slot");
		open.then((w) => w.reset(abandoned)).catch(() => undefined);
		return undefined;
	};
	return true;
}

/**
 * Which workarounds are active in this process: `race` (the global `Promise.race`) always after
 * import; `tryOpen` only for `@moq/net` 0.3.4.
 */
export const moqNetWorkarounds: { readonly race: boolean; readonly tryOpen: boolean } = {
	race: installRace(),
	// Top-level await: every importer (the client connector and the relay session) runs only
	// after the library's Writer is patched, so no group stream is ever opened the leaky way.
	tryOpen: await installTryOpen().catch(() => false),
};
