/**
 * An audio meter: one bar per channel (RMS filled, peak as a line), drawn on a canvas each
 * animation frame from a {@link LevelSource}'s newest levels, with peaks falling back slowly.
 * Used by every monitor tile (the decode worker meters) and by Go Live's microphone.
 * Never re-renders React; `aria-valuenow` (the loudest peak, dBFS) is refreshed a few times a
 * second for assistive technology and tests.
 */
import { useEffect, useRef } from "react";
import type { ChannelLevel } from "./protocol";

/**
 * Where a meter reads its levels: plain fields the producer overwrites (a monitor's player, Go
 * Live's microphone), read by the meter on its own schedule so nothing re-renders React.
 */
export interface LevelSource {
	/** The newest peak and RMS per channel, dBFS; empty without audio. */
	readonly levels: readonly ChannelLevel[];
	/** `performance.now()` when `levels` came; older than a few hundred ms reads as silence. */
	readonly levelsAt: number;
}

/** The bottom of the scale: quieter shows as silence. */
export const METER_FLOOR_DB = -60;
/** How fast a displayed peak falls, dB per second. */
const FALL_DB_PER_S = 24;
/** At most one redraw this often (about 25 Hz). */
const DRAW_EVERY_MS = 40;
/** Levels older than this are silence (the stream stopped sending audio). */
const STALE_MS = 400;

/** A meter for `source`'s audio: vertical (a tile's edge) or horizontal (a form row), sized by CSS. */
export function Meter({ source, label, orientation = "vertical", className }: { source: LevelSource; label: string; orientation?: "vertical" | "horizontal"; className?: string }) {
	const ref = useRef<HTMLCanvasElement>(null);
	useEffect(() => {
		const canvas = ref.current;
		if (!canvas) return;
		const ctx = canvas.getContext("2d");
		const horizontal = orientation === "horizontal";
		let shown: { peak: number; rms: number }[] = [];
		let last = performance.now();
		let lastAria = 0;
		let drawn = "";
		let raf = 0;
		const styles = getComputedStyle(canvas);
		const colour = (name: string, fallback: string) => styles.getPropertyValue(name).trim() || fallback;
		const ok = colour("--ok", "#2fbf71");
		const warn = colour("--warn", "#f0a83a");
		const bad = colour("--bad", "#ef4f5f");
		const track = colour("--panel-3", "#222");
		const draw = (now: number) => {
			raf = requestAnimationFrame(draw);
			// Levels come at about 20 Hz: redrawing at the display's 60 Hz would only make the main
			// thread paint every frame for every tile of a wall.
			if (now - last < DRAW_EVERY_MS) return;
			const dt = (now - last) / 1000;
			last = now;
			const fresh = now - source.levelsAt < STALE_MS ? source.levels : [];
			const n = Math.max(1, source.levels.length);
			shown = Array.from({ length: n }, (_, c) => {
				const prev = shown[c] ?? { peak: METER_FLOOR_DB, rms: METER_FLOOR_DB };
				const level = fresh[c];
				const peak = Math.max(METER_FLOOR_DB, level?.peakDb ?? -Infinity);
				const rms = Math.max(METER_FLOOR_DB, level?.rmsDb ?? -Infinity);
				return { peak: Math.max(peak, prev.peak - FALL_DB_PER_S * dt), rms: Math.max(rms, prev.rms - FALL_DB_PER_S * 2 * dt) };
			});
			// Nothing moved (silence, or no audio): no redraw. A wall of 16 silent tiles costs nothing.
			const key = shown.map((s) => `${s.peak.toFixed(1)}/${s.rms.toFixed(1)}`).join(" ");
			if (ctx && key !== drawn) {
				drawn = key;
				const w = canvas.width;
				const h = canvas.height;
				ctx.clearRect(0, 0, w, h);
				const gap = 2;
				// Bars across the short side, levels along the long one (bottom to top, or left to right).
				const across = horizontal ? h : w;
				const along = horizontal ? w : h;
				const bar = (across - gap * (n - 1)) / n;
				const pos = (db: number) => ((db - METER_FLOOR_DB) / -METER_FLOOR_DB) * along;
				const rect = (a: number, b: number, from: number, to: number) =>
					horizontal ? ctx.fillRect(from, a, to - from, b) : ctx.fillRect(a, along - to, b, to - from);
				shown.forEach((s, c) => {
					const x = c * (bar + gap);
					ctx.fillStyle = track;
					rect(x, bar, 0, along);
					ctx.fillStyle = s.peak > -3 ? bad : s.peak > -12 ? warn : ok;
					rect(x, bar, 0, pos(s.rms));
					rect(x, bar, Math.max(0, pos(s.peak) - 1), pos(s.peak) + 1);
				});
			}
			if (now - lastAria > 250) {
				lastAria = now;
				const loudest = Math.max(METER_FLOOR_DB, ...shown.map((s) => s.peak));
				canvas.setAttribute("aria-valuenow", loudest.toFixed(1));
				canvas.setAttribute("aria-valuetext", loudest <= METER_FLOOR_DB ? "silence" : `${loudest.toFixed(0)} dBFS peak`);
			}
		};
		raf = requestAnimationFrame(draw);
		return () => cancelAnimationFrame(raf);
	}, [source, orientation]);
	const horizontal = orientation === "horizontal";
	return (
		<canvas
			ref={ref}
			className={className ?? "monitor-meter"}
			width={horizontal ? 240 : 14}
			height={horizontal ? 14 : 120}
			aria-orientation={orientation}
			role="meter"
			aria-label={label}
			aria-valuemin={METER_FLOOR_DB}
			aria-valuemax={0}
			aria-valuenow={METER_FLOOR_DB}
		/>
	);
}
