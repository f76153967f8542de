/**
 * Records a broadcast of an origin into one file across reconnects: every announced instance of
 * the path is appended to the same recording until the publisher ends it, the duration is
 * reached, or the caller stops. Used by `moq-studio record` and the recordings manager.
 */
import type * as Moq from "@moq/net";
import type { OriginBroadcast, RemoteBroadcast } from "../origins/broadcast";
import type { OriginRegistry } from "../origins/registry";
import { Recorder, type EpochResult, type RecorderOptions, type RecordingSummary } from "../record";

/** How long a part may keep receiving after its broadcast was unannounced (frames in flight). */
export const UNANNOUNCE_DRAIN_MS = 2000;

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
}

interface Part {
	broadcast: OriginBroadcast;
	consumer: Moq.Broadcast.Consumer;
}

function nextPart(opts: FollowOptions, after: OriginBroadcast | undefined): Promise<Part | undefined> {
	return new Promise((resolveNext) => {
		let unwatch: () => void = () => {};
		const done = (part: Part | undefined) => {
			unwatch();
			opts.signal.removeEventListener("abort", onStop);
			resolveNext(part);
		};
		const onStop = () => done(undefined);
		opts.signal.addEventListener("abort", onStop, { once: true });
		if (opts.signal.aborted) return onStop();
		void opts.lost?.then(() => done(undefined));
		try {
			unwatch = opts.origins.watch(opts.originId, ({ broadcast, active }) => {
				if (!active || broadcast.path !== opts.path || broadcast === after || broadcast.ended) return;
				done({ broadcast, consumer: broadcast.consume() });
			});
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
			// A dropped connection ends this part at once: nothing more comes on it, and a track may
			// be waiting forever. An unannounce (the publisher ended) may overtake the last frames
			// still on their way, so the part gets a moment to drain them first.
			const partStop = new AbortController();
			const onStop = () => partStop.abort("aborted");
			opts.signal.addEventListener("abort", onStop, { once: true });
			let drain: ReturnType<typeof setTimeout> | undefined;
			void part.broadcast.done.then(() => {
				if ((part.broadcast as Partial<RemoteBroadcast>).endReason === "disconnected") partStop.abort("aborted");
				else drain = setTimeout(() => partStop.abort("aborted"), UNANNOUNCE_DRAIN_MS);
			});
			let result: EpochResult;
			try {
				result = await recorder.record(part.consumer, partStop.signal);
				if (recorder.path) opts.onStarted?.(recorder);
			} finally {
				clearTimeout(drain);
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
