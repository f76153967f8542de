/**
 * The mixer's saved strips (issue 16) in the engine's preferences: each strip is one key,
 * `mixer.strip.N` (N < {@link MAX_MIXER_INPUTS}), holding JSON `{source, gainDb, muted, solo}`
 * or null; one key per strip because a value holds at most 1,000 characters.
 */
import type { Preferences } from "../../../../shared/sessions";
import { MAX_MIXER_INPUTS } from "./protocol";

/** Where a strip's audio comes from. */
export type MixerSource =
	/** A microphone; the default one when `deviceId` is empty. */
	| { kind: "microphone"; deviceId: string }
	/** The audio of the screen, window or tab shared with audio (asked for when the strip opens). */
	| { kind: "screen" }
	/**
	 * A scene's remote source (an announced broadcast or a media file layer), decoded by the
	 * monitor's decode worker: `key` is its source key (compositor/source-key.ts), `label` what
	 * the user calls it. It comes and goes with the scenes, so it is never saved.
	 */
	| { kind: "remote"; key: string; label: string };

/** A strip as saved. */
export interface SavedStrip {
	source: MixerSource;
	/** -60..+12 dB. */
	gainDb: number;
	muted: boolean;
	solo: boolean;
}

/** The fader's range, dB. */
export const MIN_GAIN_DB = -60;
/** @see MIN_GAIN_DB */
export const MAX_GAIN_DB = 12;

const KEY = "mixer.strip.";

/** A saved value read back, or null when it is not a strip (an older or hand-edited file). */
export function parseStrip(value: unknown): SavedStrip | null {
	if (typeof value !== "string") return null;
	try {
		const v = JSON.parse(value) as Partial<SavedStrip> & { source?: Partial<MixerSource> & { deviceId?: unknown } };
		const s = v.source;
		const source: MixerSource | null =
			s?.kind === "microphone" && typeof s.deviceId === "string" ? { kind: "microphone", deviceId: s.deviceId } : s?.kind === "screen" ? { kind: "screen" } : null;
		if (!source || typeof v.gainDb !== "number" || !Number.isFinite(v.gainDb)) return null;
		return { source, gainDb: Math.min(MAX_GAIN_DB, Math.max(MIN_GAIN_DB, v.gainDb)), muted: v.muted === true, solo: v.solo === true };
	} catch {
		return null;
	}
}

/** The saved strips, in order. */
export function stripsFromPreferences(record: Preferences): SavedStrip[] {
	const out: SavedStrip[] = [];
	for (let i = 0; i < MAX_MIXER_INPUTS; i++) {
		const strip = parseStrip(record[`${KEY}${i}`]);
		if (strip) out.push(strip);
	}
	return out;
}

/** The preference entries for `strips` (every key, so removed strips are cleared); remote strips are left out. */
export function stripsToPreferences(all: readonly SavedStrip[]): Preferences {
	const strips = all.filter((s) => s.source.kind !== "remote");
	const out: Preferences = {};
	for (let i = 0; i < MAX_MIXER_INPUTS; i++) {
		const s = strips[i];
		out[`${KEY}${i}`] = s ? JSON.stringify({ source: s.source, gainDb: s.gainDb, muted: s.muted, solo: s.solo }) : null;
	}
	return out;
}

/** A stable identity for a source: one strip per device. */
export function sourceKey(source: MixerSource): string {
	if (source.kind === "remote") return `remote:${source.key}`;
	return source.kind === "microphone" ? `microphone:${source.deviceId}` : "screen";
}
