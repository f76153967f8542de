/**
 * Bandwidth adaptation for simulcast Go Live (issue 16): every video rendition has its own
 * bounds and its own target, and moves on its own.
 *
 * A link gives signals per destination, not per track:
 * - bytes queued in its socket (adapt.ts);
 * - a throughput deficit: what reached the relay (`deliveredBps`, proven by WebSocket pongs,
 *   else what left the socket) is clearly less than the subscribed renditions bring in;
 * - a queue delay: the ping's round trip grew well past the shortest seen.
 * The socket's queue alone never saw a slow link: the kernel's socket buffers take megabytes
 * first (a link throttled to 2 Mb/s under 3.75 Mb/s of video: 0 bytes queued in the socket,
 * 3.5 Mb/s leaving it, seconds of delay building up, and no rendition ever adapted). What
 * reached the relay is then the link's capacity.
 *
 * What tells renditions apart is whether a relay subscribes to them (a rendition nobody watches
 * puts nothing on the link) and their size. A congested link is shared from the smallest
 * subscribed rendition up: each gets its maximum while what the smaller ones use still leaves it
 * room, so the large renditions give way and the small one, which the viewers on poor links fall
 * back to, holds. A clear link raises every rendition additively by a share of its own maximum.
 */
import type { SessionStats } from "../../../shared/sessions";
import { adaptBitrate, CONGESTED_QUEUE_BYTES, DECREASE_FACTOR } from "./adapt";
import type { RenditionBounds } from "./live-broadcast";

/** A link carrying less than this share of what the subscribed renditions bring in is congested. */
export const DEFICIT_SHARE = 0.8;
/** A deficit smaller than this (b/s) is noise, not congestion (a quiet picture, a keyframe's burst). */
export const DEFICIT_MIN_BPS = 150_000;
/** Of what a congested link was shown to carry, the renditions get this share: the rest drains the backlog. */
export const CAPACITY_SHARE = 0.9;
/**
 * The share while the round trip says a queue stands on the way: lower, so it drains (an
 * encoder overshoots its target by 10–15%, which at 0.9 kept a 3.7 s queue standing).
 */
export const DRAIN_SHARE = 0.75;

/**
 * Consecutive steps a deficit must last before it counts: the rates are smoothed over about two
 * seconds, so a track a relay just subscribed to is counted in full at once while the link's rate
 * is still climbing to it. After three one-second steps the link's rate has caught up.
 */
export const DEFICIT_STEPS = 3;

/**
 * A round trip this much longer than the shortest one seen on the link means data waits in a
 * queue on the way (the sender's kernel, a router): the link carries less than is sent.
 */
export const QUEUE_DELAY_MS = 400;

/**
 * Steps at the start of a broadcast in which a deficit or a delay is not judged: the encoders'
 * first keyframes make every rate read high for a few seconds while the links ramp up.
 */
export const WARMUP_STEPS = 5;

/** What {@link adaptRenditions} remembers between steps of one broadcast; keep one per broadcast. */
export interface AdaptMemory {
	/** Steps taken so far. */
	steps: number;
	/** Consecutive steps each destination (by session id) looked short of capacity. */
	deficits: Map<string, number>;
	/** The shortest round trip seen per destination, ms. */
	minRttMs: Map<string, number>;
}

/** A fresh {@link AdaptMemory}. */
export function adaptMemory(): AdaptMemory {
	return { steps: 0, deficits: new Map(), minRttMs: new Map() };
}

/** Whether a destination counts as congested, and what it carries (b/s) when that is its capacity. */
function congestion(d: SessionStats, offered: number, memory: AdaptMemory | undefined): { congested: boolean; capacity: number | undefined } {
	// What reached the relay when pongs tell it; what left the socket otherwise (a socket can
	// take seconds of data into the kernel's buffers, so the latter overstates a slow link).
	const carried = d.deliveredBps ?? d.bitrateOut;
	const deficit = offered > 0 && carried < DEFICIT_SHARE * offered && offered - carried > DEFICIT_MIN_BPS;
	let delayed = false;
	if (d.rttMs !== undefined) {
		const min = Math.min(memory?.minRttMs.get(d.id) ?? d.rttMs, d.rttMs);
		memory?.minRttMs.set(d.id, min);
		delayed = d.rttMs - min > QUEUE_DELAY_MS;
	}
	const short = (deficit || delayed) && (memory === undefined || memory.steps > WARMUP_STEPS);
	const steps = short ? (memory?.deficits.get(d.id) ?? 0) + 1 : 0;
	memory?.deficits.set(d.id, steps);
	const lasting = short && (memory === undefined || steps >= DEFICIT_STEPS);
	const capacity = lasting && (deficit || d.deliveredBps !== undefined) ? carried * (delayed ? DRAIN_SHARE : CAPACITY_SHARE) : undefined;
	return { congested: lasting || d.queuedBytes > CONGESTED_QUEUE_BYTES, capacity };
}

/**
 * The next target of each rendition, in the same order (largest first, as published).
 *
 * `rates` are the renditions' measured bitrates (b/s, by track): what each really puts on a
 * link, which a content-limited encoder keeps below its target. Without them only the queue
 * signal is read. With `memory` (one per broadcast) a deficit counts once it lasted
 * {@link DEFICIT_STEPS} steps; without it, at once. One rendition adapts exactly as {@link adaptBitrate} does on the queue signal,
 * and on a deficit takes what the link carries.
 *
 * Congested: renditions nobody subscribes to keep their targets; the subscribed ones are served
 * smallest first from the link's capacity ({@link CAPACITY_SHARE} of what the most constrained
 * destination carries, {@link DRAIN_SHARE} while a queue stands on its way): each gets what the smaller ones left (less the larger ones' minimums,
 * which they send whatever happens), within its own bounds, so the small renditions keep their
 * maximum while the link has room for it and the large ones take the rest. Without a capacity (only the queue says so), the largest
 * subscribed rendition above its minimum backs off (× DECREASE_FACTOR) and the others hold.
 * Clear: each rises by a share of its own maximum ({@link adaptBitrate}).
 */
export function adaptRenditions(renditions: readonly RenditionBounds[], destinations: readonly SessionStats[], rates?: ReadonlyMap<string, number>, memory?: AdaptMemory): number[] {
	if (memory) memory.steps++;
	if (destinations.length === 0) return renditions.map((r) => r.target);
	const subscribed = renditions.filter((r) => r.subscribed || renditions.length === 1);
	const rate = (r: RenditionBounds) => rates?.get(r.track) ?? r.target;
	const offered = rates ? subscribed.reduce((sum, r) => sum + rate(r), 0) : 0;
	const links = destinations.map((d) => congestion(d, offered, memory));
	if (!links.some((l) => l.congested)) return renditions.map((r) => adaptBitrate(r, [{ queuedBytes: 0 } as SessionStats]));
	const capacities = links.flatMap((l) => (l.capacity === undefined ? [] : [l.capacity]));
	const next = renditions.map((r) => r.target);
	const clamp = (r: RenditionBounds, bps: number) => Math.round(Math.min(r.max, Math.max(r.min, bps)));
	if (capacities.length > 0) {
		let left = Math.min(...capacities);
		// The larger renditions send at least their minimums whatever happens: that much is theirs.
		let floors = subscribed.reduce((sum, r) => sum + r.min, 0);
		for (let i = renditions.length - 1; i >= 0; i--) {
			const r = renditions[i]!;
			if (!subscribed.includes(r)) continue;
			floors -= r.min;
			// What the link can carry, not what the target was: capacity readings wander, and taking
			// the lower of the two at every congested step would ratchet every rendition to its floor.
			const given = clamp(r, left - floors);
			next[i] = given;
			left -= Math.min(rate(r), given);
		}
		return next;
	}
	const largest = renditions.findIndex((r) => subscribed.includes(r) && r.target > r.min);
	if (largest >= 0) next[largest] = clamp(renditions[largest]!, renditions[largest]!.target * DECREASE_FACTOR);
	return next;
}
