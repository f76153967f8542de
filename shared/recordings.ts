/**
 * Recording and file publishing in the contract: start, stop, list and progress, so the UI can
 * drive what `moq-studio record` and `moq-studio publish` do.
 */
import { z } from "zod";
import { OriginId } from "./models";

const ErrorInfo = z.object({ code: z.number(), name: z.string(), message: z.string() });

/** Arguments of `recordings.start`: record a broadcast of an origin into the recordings folder. */
export const RecordingStartArgs = z
	.object({
		originId: OriginId,
		path: z.string().min(1).max(512),
		/** A file name inside the recordings folder; the default is built from the path and time. */
		fileName: z.string().min(1).max(255).optional(),
		format: z.enum(["mp4", "mkv"]).optional(),
		/** Stop after this many seconds of media. */
		durationS: z.number().positive().max(7 * 24 * 3600).optional(),
		/**
		 * Rotate to a new file every this many minutes of media, each segment starting at a
		 * keyframe and named after its start time (for recordings that run for days).
		 */
		segmentMinutes: z.number().positive().max(7 * 24 * 60).optional(),
		/** Rotate to a new file once the current one holds this many MB (1 MB = 1,000,000 bytes). */
		segmentMB: z.number().positive().max(10_000_000).optional(),
	})
	.strict();

/**
 * Where one recorded track's subscription stands: `waiting` (subscribed, nothing yet),
 * `recording`, `stalled` (silent while other tracks arrive, or closed by the relay while the
 * broadcast is announced), `resubscribing` (subscribing again from the next group not written),
 * `ended` (no longer recorded).
 */
export const RecordingTrackState = z.enum(["waiting", "recording", "stalled", "resubscribing", "ended"]);
/** @see RecordingTrackState */
export type RecordingTrackState = z.infer<typeof RecordingTrackState>;

/** One recorded track's state and counters. */
export const RecordingTrack = z.object({
	name: z.string(),
	kind: z.enum(["video", "audio"]),
	codec: z.string(),
	frames: z.number(),
	bytes: z.number(),
	/** Packets not written (duplicates after a reconnect, late or undecodable frames). */
	dropped: z.number(),
	state: RecordingTrackState,
	/** Why the track is in `state`, in words (null before the first change). */
	reason: z.string().nullable(),
	/** The group sequence the last state change named (see the engine's TrackStateChange). */
	group: z.number().nullable(),
	/** Holes in the track's media time the recorder could not avoid, and their total length. */
	gaps: z.number(),
	gapS: z.number(),
	/** Groups the relay no longer held when the track was subscribed again. */
	skippedGroups: z.number(),
	/** Times the track was subscribed again within one connection. */
	resubscribes: z.number(),
});
/** @see RecordingTrack */
export type RecordingTrack = z.infer<typeof RecordingTrack>;

/** A recording's state and counters. */
export const RecordingInfo = z.object({
	id: z.string(),
	originId: z.string(),
	path: z.string(),
	/** The file, once created (after the broadcast's first catalog). */
	file: z.string().nullable(),
	state: z.enum(["waiting", "recording", "finished", "failed"]),
	/**
	 * Why it finished: the publisher ended it, the duration was reached, it was stopped, or
	 * (`disk-low`) free space in the recordings folder fell below the setting's minimum: the file
	 * was completed cleanly and `error` (IO) says how much space was left.
	 */
	end: z.enum(["ended", "duration", "stopped", "failed", "disk-low"]).nullable(),
	startedAt: z.number(),
	endedAt: z.number().nullable(),
	durationS: z.number(),
	bytes: z.number(),
	/** Connections recorded from (1 + reconnects). */
	epochs: z.number(),
	/** With segments: every file written so far, oldest first (`file` is the last); `bytes` counts them all. */
	segments: z.array(z.string()).optional(),
	/** The segment limits asked for at the start, when any. */
	segmentMinutes: z.number().optional(),
	segmentMB: z.number().optional(),
	tracks: z.array(RecordingTrack),
	error: ErrorInfo.nullable(),
});
/** @see RecordingInfo */
export type RecordingInfo = z.infer<typeof RecordingInfo>;

/** Arguments of `publishing.start`: publish a media file into an origin. */
export const FilePublishArgs = z
	.object({
		originId: OriginId,
		path: z.string().min(1).max(512).regex(/^[^\s]+$/, "a broadcast path has no spaces"),
		/** An absolute path of an MP4, MKV or WebM file on the engine's machine. */
		file: z.string().min(1).max(4096),
		loop: z.boolean().optional(),
	})
	.strict();

/** A file publication's state and counters. */
export const FilePublishInfo = z.object({
	id: z.string(),
	originId: z.string(),
	path: z.string(),
	file: z.string(),
	state: z.enum(["publishing", "finished", "failed"]),
	positionS: z.number(),
	loops: z.number(),
	frames: z.number(),
	startedAt: z.number(),
	error: ErrorInfo.nullable(),
});
/** @see FilePublishInfo */
export type FilePublishInfo = z.infer<typeof FilePublishInfo>;

/** A file name inside the recordings folder, as the library names its files (no path). */
export const LibraryFileName = z.string().min(1).max(255);

/**
 * Where a file of the library stands: `recording` (a running recording of this engine writes it),
 * `complete` (a finished file, with its index), `interrupted` (a fragmented MP4 without its final
 * index, or one that ends mid-fragment: a crash or a full disk cut it; it plays up to its last
 * complete fragment).
 */
export const LibraryFileState = z.enum(["recording", "complete", "interrupted"]);
/** @see LibraryFileState */
export type LibraryFileState = z.infer<typeof LibraryFileState>;

/** One track of a file in the library, as its container describes it. */
export const LibraryTrack = z.object({
	kind: z.enum(["video", "audio"]),
	/** mediabunny's codec family (`avc`, `vp9`, `opus`, `aac`, ...), or `unknown`. */
	codec: z.string(),
	/** Display size of a video track (null for audio or when unknown). */
	width: z.number().nullable(),
	height: z.number().nullable(),
});
/** @see LibraryTrack */
export type LibraryTrack = z.infer<typeof LibraryTrack>;

/**
 * What was recorded, from the sidecar `<file>.json` the engine writes next to each new recording
 * (absent for files from elsewhere or older versions). The relay URL never carries a token.
 */
export const LibrarySource = z.object({
	originId: z.string(),
	/** The origin's name when the recording started (origin ids mean little to a person). */
	originName: z.string().nullable(),
	/** The broadcast path recorded. */
	path: z.string(),
	/** The relay the origin was fed from, without credentials; null for a local publication. */
	relay: z.string().nullable(),
});
/** @see LibrarySource */
export type LibrarySource = z.infer<typeof LibrarySource>;

/** One file of the recordings folder. */
export const LibraryFile = z.object({
	/** The file name inside the recordings folder: what rename and delete take. */
	name: z.string(),
	/** Its absolute path on the engine's machine (to copy, or reveal in the desktop host). */
	file: z.string(),
	format: z.enum(["mp4", "mkv", "webm"]),
	bytes: z.number(),
	/** Last modification, ms since the epoch. */
	modifiedAt: z.number(),
	/** Media duration in seconds; null when the file could not be read. */
	durationS: z.number().nullable(),
	/** When the recording started (from the sidecar, else the file's creation time), ms since the epoch. */
	startedAt: z.number().nullable(),
	state: LibraryFileState,
	tracks: z.array(LibraryTrack),
	source: LibrarySource.nullable(),
	/** The running recording writing it (state `recording`), to stop it from the library. */
	recordingId: z.string().nullable(),
	/** Why the file is interrupted or unreadable, in words; null for a healthy file. */
	problem: z.string().nullable(),
});
/** @see LibraryFile */
export type LibraryFile = z.infer<typeof LibraryFile>;

/** The result of `recordings.library`: the folder and its media files, newest first. */
export const LibraryListing = z.object({
	folder: z.string(),
	files: z.array(LibraryFile),
});
/** @see LibraryListing */
export type LibraryListing = z.infer<typeof LibraryListing>;

/** Arguments of `recordings.rename`: the new name keeps the file's extension (added when left out). */
export const LibraryRenameArgs = z.object({ name: LibraryFileName, newName: LibraryFileName }).strict();

/** The minimum free space (MB) a recording needs by default: below it none starts and running ones stop. */
export const DEFAULT_MIN_FREE_MB = 500;

/**
 * Free space where recordings are written, as the engine last measured it (statfs of the
 * recordings folder, or of its nearest existing parent before the folder is created).
 */
export const DiskSpace = z.object({
	/** The recordings folder measured. */
	folder: z.string(),
	/** Bytes an unprivileged writer may still use; null when the filesystem could not be measured. */
	freeBytes: z.number().nullable(),
	totalBytes: z.number().nullable(),
	/** The setting: below this no recording starts and running ones stop cleanly. */
	minFreeBytes: z.number(),
	/** True when `freeBytes` is below `minFreeBytes`. */
	low: z.boolean(),
	/** When it was measured, ms since the epoch. */
	checkedAt: z.number(),
	/** Why it could not be measured, in words; null when it was. */
	problem: z.string().nullable(),
});
/** @see DiskSpace */
export type DiskSpace = z.infer<typeof DiskSpace>;

/** The engine's recording settings, as `recordings.settings` reports them. */
export const RecordingSettings = z.object({
	/** Where new recordings go (the chosen folder, else the default). */
	folder: z.string(),
	/** The engine's own folder, used when none is chosen. */
	defaultFolder: z.string(),
	/** True when `folder` was chosen in the settings. */
	custom: z.boolean(),
	/** Minimum free space in MB: below it no recording starts and running ones stop (0 turns the check off). */
	minFreeMB: z.number(),
});
/** @see RecordingSettings */
export type RecordingSettings = z.infer<typeof RecordingSettings>;

/** Arguments of `recordings.configure`: the settings to change (absent ones stay). */
export const RecordingSettingsPatch = z
	.object({
		/** An absolute folder on the engine's machine (created if missing); null goes back to the default. */
		folder: z.string().min(1).max(1000).nullable().optional(),
		minFreeMB: z.number().int().min(0).max(100_000_000).optional(),
	})
	.strict();
/** @see RecordingSettingsPatch */
export type RecordingSettingsPatch = z.infer<typeof RecordingSettingsPatch>;

/** Arguments of `recordings.finalize`: an interrupted file of the library to write again as a regular MP4. */
export const LibraryFinalizeArgs = z.object({ name: LibraryFileName }).strict();
