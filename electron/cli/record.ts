/**
 * `moq-studio record`: records a broadcast to a crash-safe file, across reconnects.
 */
import { basename, dirname, resolve } from "node:path";
import { StudioError } from "../../shared/errors";
import { checkFileName, type RecordedTrack, type RecorderOptions } from "../engine/record";
import { recordFromOrigin } from "../engine/recordings/follow";
import { flagOption, stringOption, type Command } from "./command";
import { failOnGiveUp, holdSession, TRANSPORT_OPTION_HELP, TRANSPORT_OPTIONS, transportOption } from "./held-session";

/** The `record` sub-command. */
export const recordCommand: Command = {
	name: "record",
	summary: "Record a broadcast to a fragmented MP4 that survives a crash (waits for it to be announced)",
	usage: "--url URL --broadcast PATH --out FILE [--duration S] [--token JWT] [--transport auto|websocket|webtransport] [--webtransport-url URL] [--json]",
	options: {
		url: { type: "string" },
		broadcast: { type: "string" },
		out: { type: "string" },
		duration: { type: "string" },
		token: { type: "string" },
		...TRANSPORT_OPTIONS,
		json: { type: "boolean" },
	},
	optionHelp: {
		url: "the relay, e.g. http://127.0.0.1:4443/",
		broadcast: "the broadcast path to record",
		out: "the file to write (.mp4, or .mkv); never overwritten",
		duration: "stop after this many seconds of media",
		token: "relay token (JWT); sent as ?jwt= and never printed",
		...TRANSPORT_OPTION_HELP,
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
		const held = holdSession(ctx, { url, token: stringOption(values, "token"), transport: transportOption(values), json: flagOption(values, "json"), role: "consume", prefix: path });
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
					held.printer.print("progress", { durationS: p.durationS, bytes: p.bytes, epochs: p.epochs, tracks: trackCounters(p.tracks) }, `recorded ${p.durationS.toFixed(1)} s, ${p.bytes} bytes`);
				},
				// One line per change of a track's state: a track is never lost silently.
				onTrackState: (c) => {
					held.printer.print(
						"track",
						{ track: c.track, kind: c.kind, state: c.state, group: c.group ?? null, reason: c.reason, resubscribes: c.resubscribes, gaps: c.gaps, gapS: c.gapS, skippedGroups: c.skippedGroups },
						`track ${c.track}: ${c.state}${c.group === undefined ? "" : ` (group ${c.group})`}: ${c.reason}`,
					);
				},
			};
			const summary = await Promise.race([
				recordFromOrigin({
					origins: held.studio.origins,
					originId: held.originId,
					path,
					recorder: options,
					signal: stop.signal,
					lost: held.terminal,
					// A broadcast the relay announces after its initial set was started after this
					// command: it is recorded from its first group, not from when the tracks were subscribed.
					sessionConnectedAt: (id) => held.studio.sessions.get(id).connectedAt,
				}),
				failOnGiveUp(held),
			]);
			const frames = Object.fromEntries(Object.entries(summary.tracks).map(([name, t]) => [name, t.frames]));
			held.printer.print(
				"done",
				{ path: summary.path ?? null, durationS: summary.durationS, bytes: summary.bytes, frames, reason: summary.end, epochs: summary.epochs, tracks: trackCounters(summary.tracks) },
				`recorded ${summary.path ?? "(nothing)"}: ${summary.durationS.toFixed(1)} s, ${summary.bytes} bytes (${summary.end})${gapText(summary.tracks)}`,
			);
			return 0;
		} finally {
			stop.abort();
			await held.close();
		}
	},
};

/** Per track: what the JSON lines report about its health (state, gaps, resubscriptions). */
function trackCounters(tracks: Record<string, RecordedTrack>): Record<string, Pick<RecordedTrack, "state" | "frames" | "durationS" | "gaps" | "gapS" | "skippedGroups" | "resubscribes">> {
	return Object.fromEntries(
		Object.entries(tracks).map(([name, t]) => [
			name,
			{ state: t.state, frames: t.frames, durationS: t.durationS, gaps: t.gaps, gapS: t.gapS, skippedGroups: t.skippedGroups, resubscribes: t.resubscribes },
		]),
	);
}

/** The summary's words about gaps, empty when there were none. */
function gapText(tracks: Record<string, RecordedTrack>): string {
	const parts = Object.entries(tracks)
		.filter(([, t]) => t.gaps > 0)
		.map(([name, t]) => `${name} ${t.gaps} gap${t.gaps === 1 ? "" : "s"} (${t.gapS.toFixed(2)} s)`);
	return parts.length === 0 ? "" : `; ${parts.join(", ")}`;
}
