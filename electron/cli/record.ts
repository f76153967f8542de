/**
 * `moq-studio record`: records a broadcast to a crash-safe file, across reconnects.
 */
import { basename, dirname, resolve } from "node:path";
import type * as Moq from "@moq/net";
import { StudioError } from "../../shared/errors";
import type { RemoteBroadcast } from "../engine/origins/broadcast";
import { checkFileName, Recorder, type EpochResult, type RecorderOptions, type RecordingSummary } from "../engine/record";
import { flagOption, stringOption, type Command } from "./command";
import { failOnGiveUp, holdSession, type HeldSession } from "./held-session";

/** One announced instance of the broadcast, with the consumer the recorder reads. */
interface Part {
	broadcast: RemoteBroadcast;
	consumer: Moq.Broadcast.Consumer;
}

/**
 * Waits for `path` to be announced (first time, or again after a reconnect); `undefined` on
 * interrupt or when the session fails.
 */
function nextPart(held: HeldSession, path: string, after: RemoteBroadcast | undefined, stop: AbortSignal): Promise<Part | undefined> {
	return new Promise((resolveNext) => {
		const done = (part: Part | undefined) => {
			unwatch();
			stop.removeEventListener("abort", onStop);
			resolveNext(part);
		};
		const onStop = () => done(undefined);
		stop.addEventListener("abort", onStop, { once: true });
		const unwatch = held.studio.origins.watch(held.originId, ({ broadcast, active }) => {
			if (!active || broadcast.path !== path || broadcast === after || broadcast.ended) return;
			done({ broadcast: broadcast as RemoteBroadcast, consumer: broadcast.consume() });
		});
		if (stop.aborted) onStop();
		void held.terminal.then(() => done(undefined));
	});
}

/**
 * Records every announced instance of `path` into one file until the publisher ends it, the
 * duration is reached or `stop` aborts. A dropped connection only pauses: the same file goes on
 * after the reconnect.
 */
async function recordParts(held: HeldSession, path: string, options: RecorderOptions, stop: AbortSignal): Promise<RecordingSummary & { cause: string }> {
	const recorder = await Recorder.open(options);
	let last: RemoteBroadcast | undefined;
	let cause = "interrupted";
	try {
		for (;;) {
			const part = await nextPart(held, path, last, stop);
			if (!part) break;
			last = part.broadcast;
			// The relay unannouncing it or the connection dropping ends this part at once, even
			// if a track is waiting for data that will never come on this connection.
			const partStop = new AbortController();
			const onStop = () => partStop.abort("aborted");
			stop.addEventListener("abort", onStop, { once: true });
			void part.broadcast.done.then(() => partStop.abort("aborted"));
			let result: EpochResult;
			try {
				result = await recorder.record(part.consumer, partStop.signal);
			} finally {
				stop.removeEventListener("abort", onStop);
				part.consumer.close();
			}
			if (result.error) held.studio.logger.scope("record").warn(`broadcast interrupted: ${result.error.message}`);
			if (result.reason === "duration" || recorder.complete) {
				cause = "duration";
				break;
			}
			if (stop.aborted) break;
			// The publisher closed its tracks, or the relay unannounced it: the recording is complete.
			// Anything else (the connection dropped) waits for the broadcast to come back.
			if (result.reason === "ended" || part.broadcast.endReason === "unannounced") {
				cause = "ended";
				break;
			}
		}
	} catch (err) {
		// Close the file (keeping what was written) before reporting the failure.
		await recorder.finish().catch(() => undefined);
		throw err;
	}
	return { ...(await recorder.finish()), cause };
}

/** The `record` sub-command. */
export const recordCommand: Command = {
	name: "record",
	summary: "Record a broadcast to a fragmented MP4 that survives a crash (waits for it to be announced)",
	usage: "--url URL --broadcast PATH --out FILE [--duration S] [--token JWT] [--json]",
	options: {
		url: { type: "string" },
		broadcast: { type: "string" },
		out: { type: "string" },
		duration: { type: "string" },
		token: { type: "string" },
		json: { type: "boolean" },
	},
	optionHelp: {
		url: "the relay, e.g. http://127.0.0.1:4443/",
		broadcast: "the broadcast path to record",
		out: "the file to write (.mp4, or .mkv); never overwritten",
		duration: "stop after this many seconds of media",
		token: "relay token (JWT); sent as ?jwt= and never printed",
		json: "one JSON object per line, each with an \"event\" field",
	},
	async run(values, _positionals, ctx) {
		const url = stringOption(values, "url");
		const path = stringOption(values, "broadcast")?.replace(/^\/+|\/+$/g, "");
		const out = stringOption(values, "out");
		if (!url || !path || !out) throw new StudioError("INVALID_ARGUMENT", "--url, --broadcast and --out are required");
		const durationText = stringOption(values, "duration");
		const durationS = durationText === undefined ? undefined : Number(durationText);
		if (durationS !== undefined && !(durationS > 0)) throw new StudioError("INVALID_ARGUMENT", `--duration wants a positive number of seconds, got ${JSON.stringify(durationText)}`);
		const file = resolve(out);
		// Refuse a bad name now, not after waiting for the broadcast.
		checkFileName(basename(out));
		const held = holdSession(ctx, { url, token: stringOption(values, "token"), json: flagOption(values, "json"), role: "consume", prefix: path });
		const stop = new AbortController();
		void held.interrupted.then(() => stop.abort());
		try {
			let lastPrinted = 0;
			const options: RecorderOptions = {
				folder: dirname(file),
				fileName: basename(file),
				format: file.toLowerCase().endsWith(".mkv") ? "mkv" : "mp4",
				broadcast: path,
				durationS,
				log: held.studio.logger.scope("record"),
				onProgress: (p) => {
					if (Date.now() - lastPrinted < 1000) return;
					lastPrinted = Date.now();
					held.printer.print("progress", { durationS: p.durationS, bytes: p.bytes, epochs: p.epochs }, `recorded ${p.durationS.toFixed(1)} s, ${p.bytes} bytes`);
				},
			};
			const summary = await Promise.race([recordParts(held, path, options, stop.signal), failOnGiveUp(held)]);
			const frames = Object.fromEntries(Object.entries(summary.tracks).map(([name, t]) => [name, t.frames]));
			held.printer.print(
				"done",
				{ path: summary.path ?? null, durationS: summary.durationS, bytes: summary.bytes, frames, reason: summary.cause, epochs: summary.epochs },
				`recorded ${summary.path ?? "(nothing)"}: ${summary.durationS.toFixed(1)} s, ${summary.bytes} bytes (${summary.cause})`,
			);
			return 0;
		} finally {
			stop.abort();
			await held.close();
		}
	},
};
