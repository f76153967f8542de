/**
 * Go Live's audio mixer (issue 16): a strip per source (name, meter, gain fader, mute, solo,
 * remove; a scene's remote source has a strip as long as a layer shows it), a program meter, and a picker to add a microphone or the shared screen's audio.
 * Holds the mixer open while shown; meters draw from the worklet's levels without re-rendering.
 */
import { useEffect, useId, useState } from "react";
import { Meter } from "../../monitor/Meter";
import { useGoLive } from "../store";
import { MAX_GAIN_DB, MIN_GAIN_DB, type MixerSource } from "./settings";
import { useMixer, type MixerStrip } from "./store";
import "./mixer.css";

/** A readable name for a source, from the devices the Go Live view knows. */
function sourceName(source: MixerSource, microphones: readonly MediaDeviceInfo[]): string {
	if (source.kind === "screen") return "Screen audio";
	if (source.kind === "remote") return source.label;
	if (!source.deviceId) return "Default microphone";
	const i = microphones.findIndex((d) => d.deviceId === source.deviceId);
	return i < 0 ? "Microphone (not connected)" : microphones[i]!.label || `Microphone ${i + 1}`;
}

function formatDb(db: number): string {
	return `${db > 0 ? "+" : ""}${db.toFixed(1)} dB`;
}

function Strip({ strip, name }: { strip: MixerStrip; name: string }) {
	const { setFader, remove } = useMixer.getState();
	const gainId = useId();
	return (
		<li className={`mixer-strip${strip.muted ? " muted" : ""}`} role="group" aria-label={`${name} strip`} data-source={strip.id}>
			<span className="mixer-strip-name" title={name}>
				{name}
			</span>
			<div className="mixer-strip-meter">
				{strip.levels ? (
					<Meter source={strip.levels} label={`${name} level`} orientation="horizontal" className="mixer-meter-bar" />
				) : strip.error ? (
					<span className="form-error" role="alert">
						{strip.error}{" "}
						<button type="button" className="button small" onClick={() => void useMixer.getState().retry(strip.id)}>
							Try again
						</button>
					</span>
				) : (
					<span className="muted">Opening…</span>
				)}
			</div>
			<label className="mixer-gain" htmlFor={gainId}>
				<input
					id={gainId}
					type="range"
					min={MIN_GAIN_DB}
					max={MAX_GAIN_DB}
					step={0.5}
					value={strip.gainDb}
					aria-label={`${name} gain`}
					aria-valuetext={formatDb(strip.gainDb)}
					onChange={(e) => setFader(strip.id, { gainDb: Number(e.target.value) })}
				/>
				<output className="mono">{formatDb(strip.gainDb)}</output>
			</label>
			<button type="button" className={`button small${strip.muted ? " danger" : ""}`} aria-pressed={strip.muted} aria-label={`Mute ${name}`} onClick={() => setFader(strip.id, { muted: !strip.muted })}>
				M
			</button>
			<button type="button" className="button small" aria-pressed={strip.solo} aria-label={`Solo ${name}`} onClick={() => setFader(strip.id, { solo: !strip.solo })}>
				S
			</button>
			{strip.source.kind === "remote" ? (
				// A scene's source: its strip goes with the layer that shows it.
				<span className="mixer-strip-remote muted" title="From a scene layer">
					scene
				</span>
			) : (
				<button type="button" className="button small" aria-label={`Remove ${name}`} onClick={() => remove(strip.id)}>
					×
				</button>
			)}
		</li>
	);
}

/** The mixer panel of the Go Live view. */
export function MixerPanel() {
	const strips = useMixer((s) => s.strips);
	const program = useMixer((s) => s.program);
	const running = useMixer((s) => s.running);
	const error = useMixer((s) => s.error);
	const microphones = useGoLive((s) => s.microphones);
	const [adding, setAdding] = useState("");
	const addId = useId();

	useEffect(() => useMixer.getState().open(), []);

	const present = new Set(strips.map((s) => s.id));
	const choices: { value: string; label: string }[] = [
		...(present.has("microphone:") ? [] : [{ value: "microphone:", label: "Default microphone" }]),
		...microphones.filter((d) => d.deviceId && !present.has(`microphone:${d.deviceId}`)).map((d, i) => ({ value: `microphone:${d.deviceId}`, label: d.label || `Microphone ${i + 1}` })),
		...(present.has("screen") ? [] : [{ value: "screen", label: "Screen or tab audio" }]),
	];
	const add = () => {
		if (!adding) return;
		const source: MixerSource = adding === "screen" ? { kind: "screen" } : { kind: "microphone", deviceId: adding.slice("microphone:".length) };
		setAdding("");
		void useMixer.getState().add(source);
	};

	return (
		<section className="mixer-panel" aria-label="Audio mixer">
			<h2>Audio mixer</h2>
			{!running && program && (
				<p className="muted">
					The browser holds audio until you interact with the page.{" "}
					<button type="button" className="button small" onClick={() => void useMixer.getState().resume()}>
						Start audio
					</button>
				</p>
			)}
			<ul className="mixer-strips" aria-label="Mixer strips">
				{strips.map((s) => (
					<Strip key={s.id} strip={s} name={sourceName(s.source, microphones)} />
				))}
			</ul>
			<div className="mixer-program">
				<span>Program</span>
				{program ? <Meter source={program} label="Program level" orientation="horizontal" className="mixer-meter-bar" /> : <span className="muted">Opening…</span>}
			</div>
			<div className="mixer-add">
				<label htmlFor={addId}>Add a source</label>
				<select id={addId} value={adding} onChange={(e) => setAdding(e.target.value)}>
					<option value="">Choose…</option>
					{choices.map((c) => (
						<option key={c.value} value={c.value}>
							{c.label}
						</option>
					))}
				</select>
				<button type="button" className="button small" disabled={!adding} onClick={add}>
					Add
				</button>
			</div>
			{error && (
				<p className="form-error" role="alert">
					{error}
				</p>
			)}
		</section>
	);
}
