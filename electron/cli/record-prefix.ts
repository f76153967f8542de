/**
 * `moq-studio record --prefix P --out-dir DIR`: records every broadcast the relay announces
 * under a path prefix, one file per broadcast, until interrupted (SIGINT/SIGTERM). It is the
 * engine's auto-record rule (recordings/auto-record.ts) on a one-session studio: a broadcast
 * announced after the command connected is recorded from its first group, one already running
 * from its latest; a reconnect continues the same file, the end of a broadcast completes its
 * file, and one announced again gets a new file.
 */
import { mkdir, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { normalizePrefix } from "../../shared/auto-record";
import { StudioError } from "../../shared/errors";
import type { RecordingInfo } from "../../shared/recordings";
import { AutoRecordRules } from "../engine/recordings/auto-record";
import { RecordingManager } from "../engine/recordings/manager";
import { flagOption, stringOption, type CommandContext, type OptionValues } from "./command";
import { failOnGiveUp, holdSession, transportOption } from "./held-session";

/** The options only the prefix form of `record` takes. */
export const RECORD_PREFIX_OPTIONS = {
	prefix: { type: "string" },
	"out-dir": { type: "string" },
	format: { type: "string" },
} as const;

/** Help for {@link RECORD_PREFIX_OPTIONS}. */
export const RECORD_PREFIX_OPTION_HELP: Record<string, string> = {
	prefix: "record every broadcast under this path prefix, by whole segments (\"\" = every broadcast); needs --out-dir",
	"out-dir": "with --prefix: the folder for the files (created if missing), one per broadcast, never overwritten",
	format: "with --prefix: mp4 (default) or mkv",
};

/** True when the command line asks for the prefix form. */
export function wantsPrefixRecording(values: OptionValues): boolean {
	return values.prefix !== undefined || values["out-dir"] !== undefined || values.format !== undefined;
}

/** Runs the prefix form until interrupted; resolves with the exit code. */
export async function runPrefixRecording(values: OptionValues, ctx: CommandContext): Promise<number> {
	const url = stringOption(values, "url");
	const prefixText = stringOption(values, "prefix");
	const outDir = stringOption(values, "out-dir");
	if (values.broadcast !== undefined || values.out !== undefined) {
		throw new StudioError("INVALID_ARGUMENT", "--prefix records every matching broadcast into --out-dir; --broadcast and --out record one broadcast: use one form");
	}
	if (values.duration !== undefined) throw new StudioError("INVALID_ARGUMENT", "--duration records one broadcast; with --prefix each recording lasts as long as its broadcast");
	if (!url || prefixText === undefined || !outDir) throw new StudioError("INVALID_ARGUMENT", "--url, --prefix and --out-dir are required (--prefix \"\" records every broadcast)");
	if (/\s/.test(prefixText)) throw new StudioError("INVALID_ARGUMENT", `--prefix has no spaces, got ${JSON.stringify(prefixText)}`);
	const format = stringOption(values, "format") ?? "mp4";
	if (format !== "mp4" && format !== "mkv") throw new StudioError("INVALID_ARGUMENT", `--format wants mp4 or mkv, got ${JSON.stringify(format)}`);
	const prefix = normalizePrefix(prefixText);
	const folder = resolve(outDir);
	// A folder that cannot be used fails now, not at the first announcement.
	try {
		await mkdir(folder, { recursive: true });
		if (!(await stat(folder)).isDirectory()) throw new Error("not a directory");
	} catch (err) {
		throw new StudioError("IO", `cannot use --out-dir ${folder}: ${(err as Error).message}`);
	}

	const held = holdSession(ctx, {
		url,
		token: stringOption(values, "token"),
		transport: transportOption(values),
		json: flagOption(values, "json"),
		role: "consume",
		// The relay sends only what matches; the rule matches again, by segments.
		prefix: prefix === "" ? undefined : prefix,
	});
	const log = held.studio.logger.scope("record");
	const recordings = new RecordingManager({
		origins: held.studio.origins,
		events: held.studio.events,
		log,
		folder: () => folder,
		sessionConnectedAt: (id) => held.studio.sessions.get(id).connectedAt,
		describeSource: () => ({ originName: null, relay: held.studio.sessions.get(held.sessionId).url }),
	});
	const rules = new AutoRecordRules({ origins: held.studio.origins, recordings, events: held.studio.events, log });
	const files: string[] = [];
	const seen = new Map<string, RecordingInfo["state"]>();
	const stopPrinting = held.studio.events.listen((event, payload) => {
		if (event !== "recordings.progress") return;
		const info = payload as RecordingInfo;
		const was = seen.get(info.id);
		if (was === info.state) return;
		seen.set(info.id, info.state);
		if (info.state === "recording") {
			held.printer.print("recording", { path: info.path, file: info.file }, `recording ${info.path} to ${info.file ?? "?"}`);
		} else if (info.state === "finished" && info.file) {
			files.push(info.file);
			const frames = Object.fromEntries(info.tracks.map((t) => [t.name, t.frames]));
			held.printer.print(
				"recorded",
				{ path: info.path, file: info.file, durationS: info.durationS, bytes: info.bytes, frames, reason: info.end, epochs: info.epochs },
				`recorded ${info.path}: ${info.file}: ${info.durationS.toFixed(1)} s, ${info.bytes} bytes (${info.end ?? "finished"})`,
			);
		} else if (info.state === "failed") {
			held.printer.print("recording-failed", { path: info.path, file: info.file, error: info.error?.name ?? "INTERNAL", message: info.error?.message ?? "" }, `recording ${info.path} failed: ${info.error?.message ?? "unknown error"}`);
		}
	});
	try {
		rules.create({ originId: held.originId, prefix, format });
		held.printer.print("rule", { prefix, outDir: folder }, `recording every broadcast${prefix === "" ? "" : ` under ${prefix}`} into ${folder} (Ctrl+C to stop)`);
		await Promise.race([held.interrupted, failOnGiveUp(held)]);
		// Interrupted: running recordings stop with complete files.
		await rules.close();
		held.printer.print("done", { recorded: files.length, files }, `recorded ${files.length} broadcast${files.length === 1 ? "" : "s"}`);
		return 0;
	} finally {
		await rules.close();
		await recordings.stopAll();
		stopPrinting();
		await held.close();
	}
}
