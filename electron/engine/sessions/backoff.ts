/**
 * Exponential backoff with jitter, and the give-up rule of libmoq's reconnect loop.
 */

/** Backoff settings, in milliseconds. */
export interface BackoffSettings {
	/** Delay before the first retry. */
	initial: number;
	/** Factor applied to the delay after each failed attempt. */
	multiplier: number;
	/** Largest delay between attempts. */
	max: number;
	/** Total time spent failing (since the last success) after which the session gives up; 0 retries forever. */
	timeout: number;
}

/** The studio's defaults: quick first retry, at most 30 s between attempts, never give up. */
export const DEFAULT_BACKOFF: Readonly<BackoffSettings> = { initial: 500, multiplier: 2, max: 30_000, timeout: 0 };

/**
 * The delay before retry number `attempt` (1-based): `initial * multiplier^(attempt-1)`, capped at
 * `max`, with ±20 % jitter so many sessions knocked offline together do not retry in lockstep.
 */
export function backoffDelay(settings: BackoffSettings, attempt: number, random: () => number = Math.random): number {
	const base = Math.min(settings.max, settings.initial * settings.multiplier ** Math.max(0, attempt - 1));
	const jitter = 1 + (random() * 2 - 1) * 0.2;
	return Math.max(0, Math.round(Math.min(settings.max, base * jitter)));
}

/** Whether a session that has been failing since `failingSince` should give up at `now`. */
export function shouldGiveUp(settings: BackoffSettings, failingSince: number, now: number): boolean {
	return settings.timeout > 0 && now - failingSince >= settings.timeout;
}
