/**
 * Bandwidth adaptation for simulcast Go Live (issue 16): every video rendition has its own
 * bounds and its own target, and moves on its own.
 *
 * The links give one signal per destination (bytes queued in its socket, see adapt.ts), not one
 * per track. What tells renditions apart is whether a relay subscribes to them: a relay pulls a
 * track only while one of its viewers wants it, so a rendition nobody watches puts nothing on the
 * link and has no reason to give way when it is congested. The ones that are sent each back off
 * multiplicatively from their own target and recover additively by a share of their own maximum,
 * so a 360p rendition never borrows from or lends to the 1080p one.
 */
import type { SessionStats } from "../../../shared/sessions";
import { adaptBitrate } from "./adapt";
import type { RenditionBounds } from "./live-broadcast";

/**
 * The next target of each rendition, in the same order. One rendition adapts exactly as
 * {@link adaptBitrate} does; under simulcast a congested link lowers only the renditions someone
 * subscribes to, and a clear one raises every rendition within its own bounds.
 */
export function adaptRenditions(renditions: readonly RenditionBounds[], destinations: SessionStats[]): number[] {
	if (renditions.length <= 1) return renditions.map((r) => adaptBitrate(r, destinations));
	return renditions.map((r) => {
		const next = adaptBitrate(r, destinations);
		return next < r.target && !r.subscribed ? r.target : next;
	});
}
