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
	/** Why it finished: the publisher ended it, the duration was reached, or it was stopped. */
	end: z.enum(["ended", "duration", "stopped", "failed"]).nullable(),
	startedAt: z.number(),
	endedAt: z.number().nullable(),
	durationS: z.number(),
	bytes: z.number(),
	/** Connections recorded from (1 + reconnects). */
	epochs: z.number(),
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
