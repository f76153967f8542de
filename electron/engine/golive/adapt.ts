/**
 * Bandwidth adaptation for Go Live: the encoder's target follows the worst destination.
 *
 * The WebSocket transport gives no congestion-controller estimate, so the engine reads two
 * signals per session: bytes queued in the socket (growing = the path carries less than we send)
 * and the recent peak send rate (what the path has shown it can carry).
 */
import type { SessionStats } from "../../../shared/sessions";

/** Queued bytes above which a destination counts as congested. */
export const CONGESTED_QUEUE_BYTES = 256 * 1024;

/** Factor applied to the target on each step while a destination is congested (AIMD's decrease). */
export const DECREASE_FACTOR = 0.7;

/** Fraction of the maximum added on each step while every destination is clear (AIMD's increase). */
export const INCREASE_FRACTION_OF_MAX = 0.05;

/**
 * The next target bitrate: multiplicative decrease (× {@link DECREASE_FACTOR}) while any
 * destination is congested, additive increase (+ {@link INCREASE_FRACTION_OF_MAX} of max) when all
 * are clear, clamped to `[min, max]`.
 */
export function adaptBitrate(bounds: { min: number; max: number; target: number }, destinations: SessionStats[]): number {
	if (destinations.length === 0) return bounds.target;
	const congested = destinations.some((d) => d.queuedBytes > CONGESTED_QUEUE_BYTES);
	const next = congested ? bounds.target * DECREASE_FACTOR : bounds.target + bounds.max * INCREASE_FRACTION_OF_MAX;
	return Math.round(Math.min(bounds.max, Math.max(bounds.min, next)));
}
