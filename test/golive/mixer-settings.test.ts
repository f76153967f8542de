/**
 * The audio mixer's saved strips (issue 16): what goes into the engine's preferences comes back
 * the same, fits the preferences' limits, and a value of the wrong shape is ignored rather than
 * breaking the mixer. The round trip through a real engine is in mixer.test.ts.
 */
import { describe, expect, it } from "vitest";
import { Preferences } from "../../shared/sessions";
import { MAX_MIXER_INPUTS } from "../../renderer/src/golive/mixer/protocol";
import { parseStrip, sourceKey, stripsFromPreferences, stripsToPreferences, type SavedStrip } from "../../renderer/src/golive/mixer/settings";

const strips: SavedStrip[] = [
	{ source: { kind: "microphone", deviceId: "" }, gainDb: 0, muted: false, solo: false },
	{ source: { kind: "microphone", deviceId: "a".repeat(64) }, gainDb: -20, muted: true, solo: false },
	{ source: { kind: "screen" }, gainDb: 6.5, muted: false, solo: true },
];

describe("mixer settings", () => {
	it("round-trips through the preferences record, clearing every other strip key", () => {
		const record = stripsToPreferences(strips);
		expect(Preferences.safeParse(record).success).toBe(true);
		expect(Object.keys(record)).toHaveLength(MAX_MIXER_INPUTS);
		expect(record[`mixer.strip.${strips.length}`]).toBeNull();
		expect(stripsFromPreferences(record)).toEqual(strips);
	});

	it("ignores values of the wrong shape and clamps gains to the fader's range", () => {
		expect(parseStrip("not json")).toBeNull();
		expect(parseStrip(42)).toBeNull();
		expect(parseStrip(JSON.stringify({ source: { kind: "camera" }, gainDb: 0 }))).toBeNull();
		expect(parseStrip(JSON.stringify({ source: { kind: "screen" }, gainDb: "loud" }))).toBeNull();
		expect(parseStrip(JSON.stringify({ source: { kind: "screen" }, gainDb: 99 }))?.gainDb).toBe(12);
		expect(parseStrip(JSON.stringify({ source: { kind: "screen" }, gainDb: -999, muted: "yes" }))).toEqual({ source: { kind: "screen" }, gainDb: -60, muted: false, solo: false });
		expect(stripsFromPreferences({ "mixer.strip.0": "{", "mixer.strip.1": stripsToPreferences(strips)["mixer.strip.2"]! })).toEqual([strips[2]]);
	});

	it("keys one strip per source", () => {
		expect(new Set(strips.map((s) => sourceKey(s.source))).size).toBe(strips.length);
	});
});
