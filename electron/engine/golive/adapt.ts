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

/**
 * The next target bitrate: multiplicative decrease (×0.7) while any destination is congested,
 * additive increase (+5 % of max) when all are clear, clamped to `[min, max]`.
 */
export function adaptBitrate(bounds: { min: number; max: number; target: number }, destinations: SessionStats[]): number {
	if (destinations.length === 0) return bounds.target;
	const congested = destinations.some((d) => d.queuedBytes > CONGESTED_QUEUE_BYTES);
	const next = congested ? bounds.target * 0.7 : bounds.target + bounds.max * 0.05;
	return Math.round(Math.min(bounds.max, Math.max(bounds.min, next)));
}
