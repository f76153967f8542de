/**
 * Records a broadcast of an origin into one file across reconnects: every announced instance of
 * the path is appended to the same recording until the publisher ends it, the duration is
 * reached, or the caller stops. Used by `moq-studio record` and the recordings manager.
 */
import type * as Moq from "@moq/net";
import type { OriginBroadcast, RemoteBroadcast } from "../origins/broadcast";
import type { OriginRegistry } from "../origins/registry";
import { QUIET_TICK_MS, QuietClock } from "../quiet-clock";
import { Recorder, type EpochResult, type RecorderOptions, type RecordingSummary } from "../record";
import { sleep } from "../sleep";

/**
 * After its broadcast was unannounced, a part keeps receiving (frames in flight) until no frame
 * arrived for this long, counted in running time (see quiet-clock.ts): a fixed 2 s of wall-clock
 * time cut the last half second of files recorded on a starved machine.
 */
export const UNANNOUNCE_DRAIN_MS = 2000;
/** However long frames keep arriving after the unannounce, the part ends after this. */
const UNANNOUNCE_DRAIN_CAP_MS = 60_000;

/** Frames the recorder has taken so far, over every track: its progress. */
function framesTaken(recorder: Recorder): number {
	let frames = 0;
	for (const t of Object.values(recorder.progress().tracks)) frames += t.frames;
	return frames;
}

/** Aborts `part` once the recorder has taken no frame for {@link UNANNOUNCE_DRAIN_MS}, or at the cap; stops with `watch`. */
async function drainAfterUnannounce(recorder: Recorder, part: AbortController, watch: AbortSignal): Promise<void> {
	const quiet = new QuietClock(() => framesTaken(recorder));
	const cap = Date.now() + UNANNOUNCE_DRAIN_CAP_MS;
	while (!watch.aborted && quiet.read() < UNANNOUNCE_DRAIN_MS && Date.now() < cap) await sleep(QUIET_TICK_MS, watch);
	if (!watch.aborted) part.abort("aborted");
}

/**
 * When the protocol does not mark the relay's initial announcements (moq-lite 03/04; lite-01/02
 * and 05 do, see `OriginBroadcast.initial`), a session's broadcast that enters the origin within
 * this long after the session connected is taken for one of them (already running), not a new
 * one: a relay sends that set at once in reply to the announce request.
 */
export const INITIAL_ANNOUNCE_MS = 1000;

/** Why a followed recording finished. */
export type FollowEnd = "ended" | "duration" | "stopped" | "failed";

/** Where to find the broadcast. */
export interface FollowOptions {
	origins: OriginRegistry;
	originId: string;
	path: string;
	recorder: RecorderOptions;
	/** Finishes the recording cleanly. */
	signal: AbortSignal;
	/** Resolves when no instance can come back (the session feeding the origin gave up). */
	lost?: Promise<unknown>;
	/** Called once the file exists (after the first catalog). */
	onStarted?: (recorder: Recorder) => void;
	/**
	 * When a session's current connection was made (`SessionState.connectedAt`), to tell its initial
	 * announcements (broadcasts already running) from new ones; see {@link INITIAL_ANNOUNCE_MS}.
	 * Without it, a session's broadcast that was not in the origin yet counts as new.
	 */
	sessionConnectedAt?: (sessionId: string) => number | null | undefined;
	/**
	 * A broadcast the caller saw being announced (an auto-record rule): as the first part it
	 * counts as announced while waiting, so it is recorded from its first group.
	 */
	announced?: OriginBroadcast;
	/** Called with each broadcast instance the recording takes (the first, then one per reconnect). */
	onPart?: (broadcast: OriginBroadcast) => void;
}

interface Part {
	broadcast: OriginBroadcast;
	consumer: Moq.Broadcast.Consumer;
	/** Announced while the recording waited for it: recorded from its first group. */
	caught: boolean;
}

/**
 * True when `broadcast`, which entered the origin after the recording began watching, was
 * announced while the recording waited, rather than being one the session found already running
 * when it connected.
 */
function announcedWhileWaiting(opts: FollowOptions, broadcast: OriginBroadcast): boolean {
	if (broadcast.source.kind === "local") return true; // published into the origin just now
	if (broadcast.initial !== undefined) return !broadcast.initial;
	let connectedAt: number | null | undefined;
	try {
		connectedAt = opts.sessionConnectedAt?.(broadcast.source.sessionId);
	} catch {
		return false; // the session is gone: nothing says this broadcast is new
	}
	if (connectedAt === undefined) return true;
	return connectedAt !== null && broadcast.since - connectedAt >= INITIAL_ANNOUNCE_MS;
}

function nextPart(opts: FollowOptions, after: OriginBroadcast | undefined): Promise<Part | undefined> {
	return new Promise((resolveNext) => {
		let unwatch: (() => void) | undefined;
		let settled = false;
		const done = (part: Part | undefined) => {
			if (settled) return;
			settled = true;
			// Settled during watch()'s own replay, unwatch is not known yet: it is called below.
			unwatch?.();
			opts.signal.removeEventListener("abort", onStop);
			resolveNext(part);
		};
		const onStop = () => done(undefined);
		opts.signal.addEventListener("abort", onStop, { once: true });
		if (opts.signal.aborted) return onStop();
		void opts.lost?.then(() => done(undefined));
		// `watch` replays the broadcasts already in the origin synchronously: those are running.
		let replaying = true;
		try {
			unwatch = opts.origins.watch(opts.originId, ({ broadcast, active }) => {
				if (settled || !active || broadcast.path !== opts.path || broadcast === after || broadcast.ended) return;
				// Only the first part can start at the first group: a later one follows a dropped
				// connection, and its broadcast was running all along (the file already holds its
				// recent groups; the Timeline could not tell a 30 s replay from new media).
				const caught = after === undefined && (!replaying || broadcast === opts.announced) && announcedWhileWaiting(opts, broadcast);
				done({ broadcast, consumer: broadcast.consume(), caught });
			});
			replaying = false;
			if (settled) unwatch();
		} catch {
			done(undefined); // the origin was deleted
		}
	});
}

/**
 * Records until the broadcast ends for good. Resolves with the recorder's summary and why it
 * finished; rejects (after closing the file, keeping what was written) on a recording error.
 */
export async function recordFromOrigin(opts: FollowOptions): Promise<RecordingSummary & { end: FollowEnd }> {
	const recorder = await Recorder.open(opts.recorder);
	let last: OriginBroadcast | undefined;
	let end: FollowEnd = "stopped";
	try {
		for (;;) {
			const part = await nextPart(opts, last);
			if (!part) break;
			last = part.broadcast;
			opts.onPart?.(part.broadcast);
			// A dropped connection ends this part at once: nothing more comes on it, and a track may
			// be waiting forever. An unannounce (the publisher ended) may overtake the last frames
			// still on their way, so the part gets a moment to drain them first.
			const partStop = new AbortController();
			const onStop = () => partStop.abort("aborted");
			opts.signal.addEventListener("abort", onStop, { once: true });
			const drain = new AbortController();
			void part.broadcast.done.then(() => {
				if ((part.broadcast as Partial<RemoteBroadcast>).endReason === "disconnected") partStop.abort("aborted");
				else void drainAfterUnannounce(recorder, partStop, drain.signal);
			});
			let result: EpochResult;
			try {
				if (part.caught) opts.recorder.log?.info(`${opts.path} was announced while waiting: recording it from its first group`);
				result = await recorder.record(part.consumer, partStop.signal, { fromFirstGroup: part.caught });
				if (recorder.path) opts.onStarted?.(recorder);
			} finally {
				drain.abort();
				opts.signal.removeEventListener("abort", onStop);
				part.consumer.close();
			}
			if (result.error) opts.recorder.log?.warn(`broadcast interrupted: ${result.error.message}`);
			if (result.reason === "duration" || recorder.complete) {
				end = "duration";
				break;
			}
			if (opts.signal.aborted) break;
			// The publisher closed its tracks, or the relay unannounced it: complete. Anything else
			// (the connection dropped) waits for the broadcast to come back.
			const reason = (part.broadcast as Partial<RemoteBroadcast>).endReason;
			if (result.reason === "ended" || reason === "unannounced" || part.broadcast.source.kind === "local") {
				end = "ended";
				break;
			}
		}
	} catch (err) {
		await recorder.finish().catch(() => undefined);
		throw err;
	}
	return { ...(await recorder.finish()), end };
}
