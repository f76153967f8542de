/**
 * Announced broadcasts in the contract: every broadcast in every origin, with where it came from.
 */
import { z } from "zod";

/** One broadcast as the Broadcasts view lists it. */
export const AnnouncedBroadcast = z.object({
	/** Stable key: `${originId}\u0000${path}`. */
	key: z.string(),
	path: z.string(),
	originId: z.string(),
	/** `local` when the studio produces it, else the session that consumed it. */
	source: z.enum(["local", "session"]),
	sessionId: z.string().nullable(),
	/** `Date.now()` when it was announced. */
	since: z.number(),
});
/** @see AnnouncedBroadcast */
export type AnnouncedBroadcast = z.infer<typeof AnnouncedBroadcast>;

/** A batch of announcement changes, delivered at about 10 Hz. */
export const BroadcastsChanged = z.object({
	added: z.array(AnnouncedBroadcast),
	/** Keys of broadcasts that ended, with when. */
	removed: z.array(z.object({ key: z.string(), at: z.number() })),
});
/** @see BroadcastsChanged */
export type BroadcastsChanged = z.infer<typeof BroadcastsChanged>;

/** The key of a broadcast in an origin. */
export function broadcastKey(originId: string, path: string): string {
	return `${originId}\u0000${path}`;
}
