/**
 * Playing and replaying recordings in the contract.
 *
 * Replay publishes a file of the recordings folder into an origin as a broadcast (the file
 * publisher's path: same tracks and codecs, packets byte for byte, released at their own timing),
 * so a show can be re-aired or a bug reproduced.
 *
 * Playback plays a file of the folder in the studio's own player: the engine reads the file and
 * sends it on a media channel exactly as a monitor sends a live broadcast (shared/monitor.ts: a
 * `config` message, then frames), paced at the file's timing. A seek starts a new epoch: a
 * config, then frames from the video keyframe at or before the target, the first of each track
 * flagged `discontinuity`.
 */
import { z } from "zod";
import { OriginId } from "./models";
import { LibraryFileName } from "./recordings";

/** Arguments of `recordings.replay`: publish a file of the recordings folder as a broadcast of an origin. */
export const ReplayArgs = z
	.object({
		/** The file's name in the recordings folder (as the library lists it). */
		name: LibraryFileName,
		originId: OriginId,
		/** The broadcast path to publish it at. */
		path: z.string().min(1).max(512).regex(/^[^\s]+$/, "a broadcast path has no spaces"),
		/** Start over at the end until stopped (`publishing.stop`); timestamps keep increasing. */
		loop: z.boolean().optional(),
		/**
		 * Hold the first frame until every track has a subscriber (a relay serving a viewer, a
		 * recorder waiting for the path), so the first viewer gets the file from its first frame.
		 */
		waitForViewer: z.boolean().optional(),
	})
	.strict();
/** @see ReplayArgs */
export type ReplayArgs = z.infer<typeof ReplayArgs>;

/** Arguments of `playback.open`: play a file of the recordings folder in the studio's player. */
export const PlaybackOpenArgs = z
	.object({
		name: LibraryFileName,
		/** Start paused (the first picture is still sent, so the player shows where it stands). */
		paused: z.boolean().optional(),
	})
	.strict();
/** @see PlaybackOpenArgs */
export type PlaybackOpenArgs = z.infer<typeof PlaybackOpenArgs>;

/** Arguments of `playback.control`: play, pause, and/or seek (absent fields change nothing). */
export const PlaybackControlArgs = z
	.object({
		id: z.string().max(64),
		/** True plays (from the start again once ended), false pauses. */
		playing: z.boolean().optional(),
		/** Seconds from the start of the file; clamped to [0, duration]. */
		seekS: z.number().finite().min(0).optional(),
	})
	.strict();
/** @see PlaybackControlArgs */
export type PlaybackControlArgs = z.infer<typeof PlaybackControlArgs>;

/**
 * Where a playback stands: `paused`, `playing`, `ended` (the whole file was sent; play starts it
 * over), `failed` (the file could not be read further; `error` says why).
 */
export const PlaybackState = z.enum(["paused", "playing", "ended", "failed"]);
/** @see PlaybackState */
export type PlaybackState = z.infer<typeof PlaybackState>;

const ErrorInfo = z.object({ code: z.number(), name: z.string(), message: z.string() });

/** A playback's state; the `playback.state` event carries it on every change and about four times a second while playing. */
export const PlaybackInfo = z.object({
	id: z.string(),
	/** The media channel the renderer opens to receive frames (opaque, unguessable; same wire format as a monitor's). */
	channel: z.string(),
	name: z.string(),
	state: PlaybackState,
	/** Seconds from the start of the file of the newest frame sent. */
	positionS: z.number(),
	/** Length of the file's media, in seconds. */
	durationS: z.number(),
	/** Increases at every seek (and every restart after the end); frames of older epochs are stale. */
	epoch: z.number(),
	/** The renditions sent, as a monitor's config names them. */
	video: z.string().nullable(),
	audio: z.string().nullable(),
	error: ErrorInfo.nullable(),
	/** Set on the last event of a playback, once it is closed; after it the id is unknown. */
	closed: z.boolean().optional(),
});
/** @see PlaybackInfo */
export type PlaybackInfo = z.infer<typeof PlaybackInfo>;
