/**
 * Auto-record rules in the contract: "record every broadcast whose path starts with P, seen
 * through origin O". Each new matching announcement starts a recording in the recordings folder;
 * the end of the broadcast finalizes it. Rules persist with the engine's settings.
 */
import { z } from "zod";
import { OriginId } from "./models";
import { RecordingInfo } from "./recordings";

const ErrorInfo = z.object({ code: z.number(), name: z.string(), message: z.string() });

/**
 * A broadcast path prefix as a rule takes it. Matching is by whole path segments, as MoQ
 * announcements are filtered (`live` matches `live` and `live/show.hang`, not `lively.hang`).
 * Leading and trailing slashes are ignored; the empty prefix matches every broadcast of the origin.
 */
export const AutoRecordPrefix = z
	.string()
	.max(512)
	.regex(/^[^\s]*$/, "a path prefix has no spaces");

/** Arguments of `recordings.rules.create`. */
export const AutoRecordRuleArgs = z
	.object({
		originId: OriginId,
		prefix: AutoRecordPrefix,
		/** The container of the files it writes (mp4 by default). */
		format: z.enum(["mp4", "mkv"]).optional(),
	})
	.strict();
/** @see AutoRecordRuleArgs */
export type AutoRecordRuleArgs = z.input<typeof AutoRecordRuleArgs>;

/** One recording a rule started: what it recorded and where it stands. */
export const AutoRecorded = z.object({
	/** The recording of this engine run (for `recordings.stop`); null for one from before a restart. */
	recordingId: z.string().nullable(),
	/** The broadcast path recorded. */
	path: z.string(),
	/** The file, once created (after the broadcast's first catalog). */
	file: z.string().nullable(),
	state: RecordingInfo.shape.state,
	/** Why it finished (as `RecordingInfo.end`); null while it runs. */
	end: RecordingInfo.shape.end,
	startedAt: z.number(),
	endedAt: z.number().nullable(),
	/** Media seconds and bytes written, as of its last report. */
	durationS: z.number(),
	bytes: z.number(),
	error: ErrorInfo.nullable(),
});
/** @see AutoRecorded */
export type AutoRecorded = z.infer<typeof AutoRecorded>;

/** The most recordings a rule lists (the newest); `recorded` keeps counting past it. */
export const AUTO_RECORD_HISTORY = 200;

/** A rule and what it recorded. */
export const AutoRecordRule = z.object({
	id: z.string(),
	originId: z.string(),
	/** The origin's current name (null once the origin is gone). */
	originName: z.string().nullable(),
	/** Normalized: no leading or trailing slash; empty means every broadcast of the origin. */
	prefix: z.string(),
	format: z.enum(["mp4", "mkv"]),
	createdAt: z.number(),
	/** Files it has written since it was created, across restarts (the list below keeps the newest). */
	recorded: z.number(),
	/** Its recordings, newest first, at most {@link AUTO_RECORD_HISTORY}. */
	recordings: z.array(AutoRecorded),
	/** Its last failure to start a recording (a full disk, too many at once), null when none. */
	error: ErrorInfo.nullable(),
});
/** @see AutoRecordRule */
export type AutoRecordRule = z.infer<typeof AutoRecordRule>;

/** A prefix as rules keep it: without leading or trailing slashes. */
export function normalizePrefix(prefix: string): string {
	return prefix.replace(/^\/+|\/+$/g, "");
}

/** True when `path` is `prefix` or lies under it, segment by segment; the empty prefix matches all. */
export function pathMatchesPrefix(path: string, prefix: string): boolean {
	const p = normalizePrefix(prefix);
	return p === "" || path === p || path.startsWith(`${p}/`);
}
