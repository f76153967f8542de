/**
 * Media files chosen for Go Live: what the engine's probe says about a file before anything is
 * published (`publishing.probe`), and what the web host answers to an upload into the
 * recordings folder (`POST /upload`).
 */
import { z } from "zod";

/** The extensions the studio publishes from and accepts as uploads (the recordings folder lists the same). */
export const MEDIA_FILE_EXTENSIONS = ["mp4", "mkv", "webm"] as const;

/** The largest upload the web host accepts unless configured otherwise: 4 GiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024 ** 3;

/** The header that carries the web host's token on an upload (never the URL: URLs end up in logs). */
export const UPLOAD_TOKEN_HEADER = "x-studio-token";

/** The web host's upload endpoint; the file name is the `name` query parameter, the body the file's bytes. */
export const UPLOAD_PATH = "/upload";

/** One publishable track of a probed file. */
export const ProbedTrack = z.discriminatedUnion("kind", [
	z.object({
		kind: z.literal("video"),
		codec: z.string(),
		width: z.number(),
		height: z.number(),
		/** Frames per second as the file's first packets say, when known. */
		framerate: z.number().optional(),
	}),
	z.object({ kind: z.literal("audio"), codec: z.string(), sampleRate: z.number(), channels: z.number() }),
]);
/** @see ProbedTrack */
export type ProbedTrack = z.infer<typeof ProbedTrack>;

/**
 * The result of `publishing.probe`: the file opened, its container read and at least one track
 * found that the studio can publish as it is. A file that fails any of that is refused with a
 * typed error instead (IO unreadable, MEDIA not media or nothing publishable).
 */
export const MediaProbe = z.object({
	file: z.string(),
	/** The container as the demuxer names it (`MP4`, `Matroska`, `WebM`). */
	format: z.string(),
	/** The length of one pass over the file, in seconds. */
	durationS: z.number(),
	/** Publishable tracks, videos first. */
	tracks: z.array(ProbedTrack),
	/** Tracks left out because the studio cannot carry them, each with the reason. */
	skipped: z.array(z.string()),
});
/** @see MediaProbe */
export type MediaProbe = z.infer<typeof MediaProbe>;

/** Arguments of `publishing.probe`: a path on the engine's machine. */
export const MediaProbeArgs = z.object({ file: z.string().min(1).max(4096) }).strict();

/** What the web host answers to a successful upload: where the file landed and what it holds. */
export const UploadedMediaFile = z.object({
	/** The name inside the recordings folder (a free name: an existing file is never replaced). */
	name: z.string(),
	/** Its absolute path on the engine's machine, as `publishing.start` takes it. */
	file: z.string(),
	bytes: z.number(),
	probe: MediaProbe,
});
/** @see UploadedMediaFile */
export type UploadedMediaFile = z.infer<typeof UploadedMediaFile>;
