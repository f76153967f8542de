/**
 * The audio meter of a monitor: one bar per channel (RMS filled, peak as a line), drawn on a
 * canvas each animation frame from the player's newest levels, with peaks falling back slowly.
 * Never re-renders React; `aria-valuenow` (the loudest peak, dBFS) is refreshed a few times a
 * second for assistive technology and tests.
 */
import { useEffect, useRef } from "react";
import type { MonitorPlayer } from "./player";

/** The bottom of the scale: quieter shows as silence. */
export const METER_FLOOR_DB = -60;
/** How fast a displayed peak falls, dB per second. */
const FALL_DB_PER_S = 24;
/** Levels older than this are silence (the stream stopped sending audio). */
const STALE_MS = 400;

/** A meter for `player`'s audio. */
export function Meter({ player, label }: { player: MonitorPlayer; label: string }) {
	const ref = useRef<HTMLCanvasElement>(null);
	useEffect(() => {
		const canvas = ref.current;
		if (!canvas) return;
		const ctx = canvas.getContext("2d");
		let shown: { peak: number; rms: number }[] = [];
		let last = performance.now();
		let lastAria = 0;
		let raf = 0;
		const styles = getComputedStyle(canvas);
		const colour = (name: string, fallback: string) => styles.getPropertyValue(name).trim() || fallback;
		const ok = colour("--ok", "#2fbf71");
		const warn = colour("--warn", "#f0a83a");
		const bad = colour("--bad", "#ef4f5f");
		const track = colour("--panel-3", "#222");
		const draw = (now: number) => {
			raf = requestAnimationFrame(draw);
			const dt = (now - last) / 1000;
			last = now;
			const fresh = now - player.levelsAt < STALE_MS ? player.levels : [];
			const n = Math.max(1, player.levels.length);
			shown = Array.from({ length: n }, (_, c) => {
				const prev = shown[c] ?? { peak: METER_FLOOR_DB, rms: METER_FLOOR_DB };
				const level = fresh[c];
				const peak = Math.max(METER_FLOOR_DB, level?.peakDb ?? -Infinity);
				const rms = Math.max(METER_FLOOR_DB, level?.rmsDb ?? -Infinity);
				return { peak: Math.max(peak, prev.peak - FALL_DB_PER_S * dt), rms: Math.max(rms, prev.rms - FALL_DB_PER_S * 2 * dt) };
			});
			if (ctx) {
				const w = canvas.width;
				const h = canvas.height;
				ctx.clearRect(0, 0, w, h);
				const gap = 2;
				const bar = (w - gap * (n - 1)) / n;
				const y = (db: number) => h - ((db - METER_FLOOR_DB) / -METER_FLOOR_DB) * h;
				shown.forEach((s, c) => {
					const x = c * (bar + gap);
					ctx.fillStyle = track;
					ctx.fillRect(x, 0, bar, h);
					ctx.fillStyle = s.peak > -3 ? bad : s.peak > -12 ? warn : ok;
					ctx.fillRect(x, y(s.rms), bar, h - y(s.rms));
					ctx.fillRect(x, y(s.peak) - 1, bar, 2);
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
	}, [player]);
	return (
		<canvas
			ref={ref}
			className="monitor-meter"
			width={14}
			height={120}
			role="meter"
			aria-label={label}
			aria-valuemin={METER_FLOOR_DB}
			aria-valuemax={0}
			aria-valuenow={METER_FLOOR_DB}
		/>
	);
}
