/**
 * `moq-studio record`: records a broadcast to a crash-safe file, across reconnects.
 */
import { basename, dirname, resolve } from "node:path";
import { StudioError } from "../../shared/errors";
import { checkFileName, type RecordedTrack, type RecorderOptions } from "../engine/record";
import { recordFromOrigin } from "../engine/recordings/follow";
import { writeSidecar } from "../engine/recordings/library";
import { displayRelayUrl } from "../engine/log/redact";
import { DiskSpaceWatcher, lowSpaceMessage } from "../engine/recordings/disk-space";
import { flagOption, stringOption, type Command } from "./command";
import { failOnGiveUp, holdSession, TRANSPORT_OPTION_HELP, TRANSPORT_OPTIONS, transportOption } from "./held-session";
import { RECORD_PREFIX_OPTION_HELP, RECORD_PREFIX_OPTIONS, runPrefixRecording, wantsPrefixRecording } from "./record-prefix";

/** The `record` sub-command. */
export const recordCommand: Command = {
	name: "record",
	summary: "Record a broadcast to a fragmented MP4 that survives a crash (waits for it to be announced)",
	usage: "--url URL --broadcast PATH --out FILE [--duration S] [--segment-minutes M] [--segment-mb N] [--min-free-mb N] [--token JWT] [--transport auto|websocket|webtransport] [--webtransport-url URL] [--json]\n   or: moq-studio record --url URL --prefix P --out-dir DIR [--format mp4|mkv] [--token JWT] [--json]  (every broadcast under P, until Ctrl+C)",
	options: {
		url: { type: "string" },
		broadcast: { type: "string" },
		out: { type: "string" },
		duration: { type: "string" },
		"segment-minutes": { type: "string" },
		"segment-mb": { type: "string" },
		"min-free-mb": { type: "string" },
		token: { type: "string" },
		...TRANSPORT_OPTIONS,
		json: { type: "boolean" },
		...RECORD_PREFIX_OPTIONS,
	},
	optionHelp: {
		url: "the relay, e.g. http://127.0.0.1:4443/",
		broadcast: "the broadcast path to record",
		out: "the file to write (.mp4, or .mkv); never overwritten",
		duration: "stop after this many seconds of media",
		"segment-minutes": "rotate to a new file every M minutes of media, each starting at a keyframe and named <out>-<YYYYMMDD-HHMMSS>.mp4",
		"segment-mb": "rotate to a new file once the current one holds N MB",
		"min-free-mb": "refuse to start, and stop cleanly (complete file, exit 1), below N MB free on the file's disk (default: no check)",
		token: "relay token (JWT); sent as ?jwt= and never printed",
		...TRANSPORT_OPTION_HELP,
		json: "one JSON object per line, each with an \"event\" field",
		...RECORD_PREFIX_OPTION_HELP,
	},
	async run(values, _positionals, ctx) {
		if (wantsPrefixRecording(values)) return runPrefixRecording(values, ctx);
		const url = stringOption(values, "url");
		const path = stringOption(values, "broadcast")?.replace(/^\/+|\/+$/g, "");
		const out = stringOption(values, "out");
		if (!url || !path || !out) throw new StudioError("INVALID_ARGUMENT", "--url, --broadcast and --out are required");
		const durationText = stringOption(values, "duration");
		const durationS = durationText === undefined ? undefined : Number(durationText);
		if (durationS !== undefined && !(durationS > 0)) throw new StudioError("INVALID_ARGUMENT", `--duration wants a positive number of seconds, got ${JSON.stringify(durationText)}`);
		const segment = { seconds: positiveOption(values, "segment-minutes", 60), bytes: positiveOption(values, "segment-mb", 1e6) };
		const file = resolve(out);
		// Refuse a bad name now, not after waiting for the broadcast.
		checkFileName(basename(out));
		// Free space: checked before connecting and every second while recording (as the app does).
		const minFreeBytes = positiveOption(values, "min-free-mb", 1e6) ?? 0;
		let lowDisk: string | undefined;
		const stopLow = new AbortController();
		const disk = new DiskSpaceWatcher({
			folder: () => dirname(file),
			minFreeBytes: () => minFreeBytes,
			onChange: (now) => {
				if (!now.low || lowDisk !== undefined) return;
				lowDisk = lowSpaceMessage(now, "the recording was stopped and its file completed");
				stopLow.abort();
			},
		});
		disk.assertRoom();
		const held = holdSession(ctx, { url, token: stringOption(values, "token"), transport: transportOption(values), json: flagOption(values, "json"), role: "consume", prefix: path });
		const stop = new AbortController();
		void held.interrupted.then(() => stop.abort());
		stopLow.signal.addEventListener("abort", () => stop.abort(), { once: true });
		disk.start();
		try {
			let lastPrinted = 0;
			// The sidecar the app's library reads (what was recorded, from which relay, when), written
			// once the file exists, like the app's own recordings. Never the token: it is not in the URL shown.
			let sidecar: Promise<void> | undefined;
			let sidecarOf: string | undefined;
			const writeSource = (file: string) => {
				sidecarOf = file;
				sidecar = writeSidecar(file, { originId: held.originId, originName: null, path, relay: displayRelayUrl(url), startedAt: Date.now() }).catch((err: unknown) =>
					held.studio.logger.scope("record").warn(`sidecar of ${file} not written: ${(err as Error).message}`),
				);
			};
			const options: RecorderOptions = {
				folder: dirname(file),
				fileName: basename(file),
				format: file.toLowerCase().endsWith(".mkv") ? "mkv" : "mp4",
				broadcast: path,
				durationS,
				...(segment.seconds !== undefined || segment.bytes !== undefined ? { segment } : {}),
				log: held.studio.logger.scope("record"),
				onProgress: (p) => {
					// One per file: each segment is listed on its own.
					if (p.path && p.path !== sidecarOf) writeSource(p.path);
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
			await sidecar;
			const frames = Object.fromEntries(Object.entries(summary.tracks).map(([name, t]) => [name, t.frames]));
			held.printer.print(
				"done",
				{ path: summary.path ?? null, segments: summary.segments, durationS: summary.durationS, bytes: summary.bytes, frames, reason: lowDisk ? "disk-low" : summary.end, epochs: summary.epochs, tracks: trackCounters(summary.tracks) },
				`recorded ${summary.path ?? "(nothing)"}: ${summary.durationS.toFixed(1)} s, ${summary.bytes} bytes (${lowDisk ? "disk-low" : summary.end})${gapText(summary.tracks)}`,
			);
			// Stopped for space: the file is whole, but the recording did not end as asked.
			if (lowDisk) throw new StudioError("IO", lowDisk);
			return 0;
		} finally {
			disk.close();
			stop.abort();
			await held.close();
		}
	},
};

/** A positive number option times `scale`, undefined when absent; INVALID_ARGUMENT otherwise. */
function positiveOption(values: Parameters<Command["run"]>[0], name: string, scale: number): number | undefined {
	const text = stringOption(values, name);
	if (text === undefined) return undefined;
	const n = Number(text);
	if (!(n > 0) || !Number.isFinite(n)) throw new StudioError("INVALID_ARGUMENT", `--${name} wants a positive number, got ${JSON.stringify(text)}`);
	return n * scale;
}

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
