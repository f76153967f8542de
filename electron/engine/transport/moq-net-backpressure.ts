/**
 * Works around `@moq/net` 0.3.4 dropping the frames of a large group that its reader has not read
 * yet: every group handle keeps at most `MAX_GROUP_CACHE_BYTES` (32 MiB) or `MAX_GROUP_FRAMES`
 * (1024) unread frames and evicts the oldest beyond that (`group.js` `appendFrame`), after which
 * the reader's next `readFrame` throws `Lagged` and the publisher resets the group's stream. No
 * writer waits for a reader: the wire subscriber (`lite/subscriber.js` `runGroup`) appends frames
 * as fast as the stream delivers them, and a relay copies them on as fast as they arrive. So a
 * group larger than 32 MiB that reaches a relay faster than the relay's subscriber takes it was
 * cut: one group of 100 frames of 1 MB ended downstream after 2-8 frames.
 *
 * Here a writer waits for its readers. {@link paceGroup} makes a group producer track every read
 * handle it mirrors out (the library's track fan-out makes one per subscriber), and
 * {@link GroupPacer.room} waits until each has room for the next frame. Installed (on the patched
 * version only) on the wire subscriber, this turns a reader that falls behind into QMux flow
 * control towards the publisher instead of loss; the relay paces its own copies with it
 * (`relay/relay-track.ts`), so its subscribers pace its upstream.
 *
 * Nobody waits for a reader forever. A reader that makes no progress for {@link READER_STALL_MS}
 * while it holds a writer back is cut (its handle is closed with an error: that subscriber skips
 * the rest of this group, as a library `Lagged` would have made it). With `holdMs`, a reader that
 * holds the writer back for longer than that while another reader has caught up is cut too: a
 * slow subscriber then skips groups instead of adding latency to everyone else.
 *
 * Minimal reproduction for upstream: `const g = new Group.Producer(0); const c = g.consume();
 * for (let i = 0; i < 40; i++) g.writeFrame({ payload: new Uint8Array(1 << 20), timestamp });
 * await c.readFrame()` throws `Lagged`; over the wire, publish one group of 40 frames of 1 MiB
 * through a relay to a subscriber that reads at a tenth of the link's speed.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as Moq from "@moq/net";
import { ChangeSignal } from "../change-signal";
import { patchedMoqNetRoot } from "./moq-net-version";

/** The library's per-handle cap on unread bytes; past it the oldest unread frame is evicted. */
const CAP_BYTES: number = (Moq.Group as { MAX_GROUP_CACHE_BYTES?: number }).MAX_GROUP_CACHE_BYTES ?? 32 * 1024 * 1024;
/** The library's per-handle cap on unread frames. */
const CAP_FRAMES: number = (Moq.Group as { MAX_GROUP_FRAMES?: number }).MAX_GROUP_FRAMES ?? 1024;

/** A writer holds a frame back while a reader's unread frames would pass this (a quarter below the cap). */
export const PACE_MAX_BYTES = Math.floor((CAP_BYTES * 3) / 4);
/** As {@link PACE_MAX_BYTES}, in frames. */
export const PACE_MAX_FRAMES = Math.floor((CAP_FRAMES * 3) / 4);
/**
 * A reader that read nothing for this long while it held a writer back is cut. It is measured
 * from the reader's last read, so a reader that keeps taking frames, however slowly, is waited for.
 */
export const READER_STALL_MS = 5000;

interface ReaderState {
	readonly handle: Moq.Group.Consumer;
	/** Absolute index of the next frame this reader gets. */
	pos: number;
	/** When it last read a frame (or was created). */
	lastRead: number;
	/** Since when it has held a writer back, while it does. */
	blockingSince: number | undefined;
}

/** Options of {@link GroupPacer.room}. */
export interface RoomOptions {
	/** Unread bytes a reader may hold, the next frame included. Default {@link PACE_MAX_BYTES}. */
	maxBytes?: number;
	/** Unread frames a reader may hold, the next frame included. Default {@link PACE_MAX_FRAMES}. */
	maxFrames?: number;
	/** Cut a reader that holds the writer back this long while another reader has caught up. */
	holdMs?: number;
}

/** The readers of one group producer and how far behind each is; see the module comment. */
export class GroupPacer {
	// Byte offsets: #cum[i - #first] = bytes written before frame i (one entry past the last frame).
	#cum: number[] = [0];
	#first = 0;
	#total = 0;
	// The producer's own buffer evicts like a handle's (nobody reads it): where a new mirror starts.
	#sourceStart = 0;
	readonly #readers = new Set<ReaderState>();
	readonly #change = new ChangeSignal();
	/** Readers cut for holding the writer back (for tests and logs). */
	cut = 0;

	constructor(group: Moq.Group.Producer) {
		const mirror = group.mirror.bind(group);
		const writeFrame = group.writeFrame.bind(group);
		// Instance overrides: only this group is affected. `mirror` is what the track fan-out calls
		// for every subscriber; `writeFrame` is how every frame enters the group.
		group.mirror = () => this.#track(mirror());
		group.writeFrame = (frame: Moq.Group.Frame) => {
			writeFrame(frame); // throws once closed, before anything is counted
			this.#wrote(frame.payload.byteLength);
		};
	}

	/** Read handles currently open. */
	get readers(): number {
		return this.#readers.size;
	}

	/**
	 * Resolves once every reader has room for a frame of `bytes`, cutting readers that stall (and,
	 * with `holdMs`, readers that hold caught-up ones back). Never rejects.
	 */
	async room(bytes: number, options: RoomOptions = {}): Promise<void> {
		const maxBytes = options.maxBytes ?? PACE_MAX_BYTES;
		const maxFrames = options.maxFrames ?? PACE_MAX_FRAMES;
		for (;;) {
			const now = performance.now();
			const blocking: ReaderState[] = [];
			let caughtUp = false;
			for (const r of this.#readers) {
				const frames = this.#total - r.pos;
				const unread = this.#bytesFrom(r.pos);
				if (frames === 0) caughtUp = true;
				// A frame larger than the whole allowance still goes to a reader with nothing unread.
				if (frames > 0 && (unread + bytes > maxBytes || frames + 1 > maxFrames)) blocking.push(r);
				else r.blockingSince = undefined;
			}
			if (blocking.length === 0) return;
			let wake = READER_STALL_MS;
			for (const r of blocking) {
				r.blockingSince ??= now;
				const stalled = now - r.lastRead >= READER_STALL_MS;
				const holding = options.holdMs !== undefined && caughtUp && now - r.blockingSince >= options.holdMs;
				if (stalled || holding) {
					this.#cut(r, stalled ? "made no progress" : "held faster readers back");
					continue;
				}
				wake = Math.min(wake, READER_STALL_MS - (now - r.lastRead));
				if (options.holdMs !== undefined && caughtUp) wake = Math.min(wake, options.holdMs - (now - r.blockingSince));
			}
			await this.#change.within(wake);
		}
	}

	#cut(r: ReaderState, why: string): void {
		this.cut++;
		this.#readers.delete(r);
		// The reader skips the rest of this group; its publisher resets the group's stream.
		r.handle.close(new Error(`group reader too slow: ${why}`));
		this.#change.notify();
	}

	#bytesFrom(pos: number): number {
		const at = Math.max(pos, this.#first);
		return (this.#cum[this.#cum.length - 1] ?? 0) - (this.#cum[at - this.#first] ?? 0);
	}

	#wrote(bytes: number): void {
		this.#total++;
		this.#cum.push((this.#cum[this.#cum.length - 1] ?? 0) + bytes);
		while (this.#total - this.#sourceStart > CAP_FRAMES || this.#bytesFrom(this.#sourceStart) > CAP_BYTES) this.#sourceStart++;
		// Forget offsets nobody can need any more, in batches (a long-lived group writes many frames).
		let low = this.#sourceStart;
		for (const r of this.#readers) low = Math.min(low, r.pos);
		if (low - this.#first > 1024) {
			this.#cum = this.#cum.slice(low - this.#first);
			this.#first = low;
		}
	}

	#track(handle: Moq.Group.Consumer): Moq.Group.Consumer {
		if (handle.isClosed) return handle;
		const r: ReaderState = { handle, pos: this.#sourceStart, lastRead: performance.now(), blockingSince: undefined };
		this.#readers.add(r);
		const progressed = (pos: number) => {
			r.pos = Math.max(r.pos, pos);
			r.lastRead = performance.now();
			this.#change.notify();
		};
		const readFrame = handle.readFrame.bind(handle);
		const tryReadFrame = handle.tryReadFrame.bind(handle);
		const readFrameSequence = handle.readFrameSequence.bind(handle);
		const tryReadFrameSequence = handle.tryReadFrameSequence.bind(handle);
		handle.readFrame = async () => {
			const frame = await readFrame();
			if (frame) progressed(r.pos + 1);
			return frame;
		};
		handle.tryReadFrame = () => {
			const frame = tryReadFrame();
			if (frame) progressed(r.pos + 1);
			return frame;
		};
		handle.readFrameSequence = async (options?: { from?: number }) => {
			const frame = await readFrameSequence(options);
			if (frame) progressed(frame.sequence + 1);
			return frame;
		};
		handle.tryReadFrameSequence = () => {
			const frame = tryReadFrameSequence();
			if (frame) progressed(frame.sequence + 1);
			return frame;
		};
		const done = () => {
			this.#readers.delete(r);
			this.#change.notify();
		};
		Promise.resolve(handle.closed).then(done, done);
		return handle;
	}
}

const pacers = new WeakMap<Moq.Group.Producer, GroupPacer>();

/** The pacer of `group`, created on first use (before the group is written into a track). */
export function paceGroup(group: Moq.Group.Producer): GroupPacer {
	let pacer = pacers.get(group);
	if (!pacer) {
		pacer = new GroupPacer(group);
		pacers.set(group, pacer);
	}
	return pacer;
}

/**
 * Unread bytes at which the wire subscriber stops reading a group's stream until its readers catch
 * up: below the per-handle cap by the largest frame the relay accepts (8 MiB), so the frame being
 * read when a reader is at this mark still fits.
 */
export const WIRE_HIGH_WATER_BYTES = 8 * 1024 * 1024;

interface SubscriberClass {
	prototype: { runGroup(msg: unknown, stream: { u62(): Promise<bigint> }): Promise<void> };
	pacesGroups?: true;
}

// The group stream whose runGroup is in its synchronous prologue (it calls track.writeGroup there).
let openingStream: { u62(): Promise<bigint> } | undefined;

/**
 * Called (by moq-net-delivery.ts's hook on wire-subscribed tracks' `writeGroup`) for every group
 * the wire subscriber creates: paces the reading of its stream on the group's readers.
 */
export function wireGroupCreated(group: Moq.Group.Producer): void {
	const stream = openingStream;
	openingStream = undefined;
	if (!stream) return;
	const pacer = paceGroup(group);
	const u62 = stream.u62.bind(stream);
	// Every frame starts with a varint (timestamp, or size before lite-05), read through u62:
	// holding that read back holds the stream back, and QMux's flow control the publisher.
	stream.u62 = async () => {
		if (pacer.readers > 0 && !group.isClosed) await pacer.room(0, { maxBytes: WIRE_HIGH_WATER_BYTES, maxFrames: PACE_MAX_FRAMES });
		return u62();
	};
}

async function installWirePacing(root: string): Promise<boolean> {
	const { Subscriber } = (await import(pathToFileURL(join(root, "lite", "subscriber.js")).href)) as { Subscriber: SubscriberClass };
	if (typeof Subscriber?.prototype?.runGroup !== "function") return false;
	if (Subscriber.pacesGroups) return true;
	const runGroup = Subscriber.prototype.runGroup;
	Subscriber.prototype.runGroup = function (msg, stream) {
		openingStream = stream;
		try {
			return runGroup.call(this, msg, stream);
		} finally {
			// Only the synchronous prologue may claim it (an unknown subscription never writes a group).
			openingStream = undefined;
		}
	};
	Subscriber.pacesGroups = true;
	return true;
}

const root = patchedMoqNetRoot();

/** Whether the wire subscriber paces group streams on their readers in this process. */
export const moqNetBackpressure: { readonly wirePacing: boolean } = {
	wirePacing: root !== undefined && (await installWirePacing(root).catch(() => false)),
};
