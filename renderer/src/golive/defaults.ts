/**
 * Go Live's defaults from Settings: the quality preset and the origin the form starts with.
 * They fill the form once the saved preferences and the origins are known, and again whenever
 * they change in Settings; in between, what the person picks in the form stays (switching views
 * does not reset it). Never while a broadcast is live or starting.
 */
import { useEffect } from "react";
import { useOrigins } from "../stores/origins";
import { usePreferences } from "../stores/preferences";
import { PRESETS } from "./presets";
import { useGoLive } from "./store";

/** The defaults last written into the form in this page (a value is applied once per change). */
const applied: { preset?: string; origin?: string } = {};

/** Fills the Go Live form from the Settings defaults (call from the Go Live view). */
export function useGoLiveDefaults(): void {
	const loaded = usePreferences((s) => s.loaded);
	const preset = usePreferences((s) => s.goLivePreset);
	const origin = usePreferences((s) => s.goLiveOrigin);
	const originKnown = useOrigins((s) => origin !== "" && s.origins.some((o) => o.id === origin));
	const idle = useGoLive((s) => s.phase === "idle");
	useEffect(() => {
		if (!loaded || !idle) return;
		const patch: { presetId?: string; originId?: string } = {};
		if (applied.preset !== preset && PRESETS.some((p) => p.id === preset)) {
			applied.preset = preset;
			patch.presetId = preset;
		}
		if (applied.origin !== origin && originKnown) {
			applied.origin = origin;
			patch.originId = origin;
		}
		if (patch.presetId || patch.originId) useGoLive.getState().setForm(patch);
	}, [loaded, idle, preset, origin, originKnown]);
}
