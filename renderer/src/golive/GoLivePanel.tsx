import { Circle, Radio, Square } from "lucide-react";
import { useEffect, useId, useState, type FormEvent } from "react";
import type { CaptureSource } from "../../../shared/media";
import { requireApi, useHost } from "../stores/host";
import { useOrigins } from "../stores/origins";
import { useGoLiveDefaults } from "./defaults";
import { FilePicker } from "./FilePicker";
import { MicMeter } from "./MicMeter";
import { Preview } from "./Preview";
import { ProgramPreview } from "./compositor/ProgramPreview";
import { ScenesPanel } from "./ScenesPanel";
import { MixerPanel } from "./mixer/MixerPanel";
import { PRESETS } from "./presets";
import { RenditionsTable } from "./RenditionsTable";
import { planRenditions, RENDITION_CHOICES, type RenditionCount } from "./simulcast";
import { selectedPreset, useGoLive } from "./store";
import "./golive.css";

function formatBitrate(bps: number): string {
	return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mb/s` : `${Math.round(bps / 1e3)} kb/s`;
}

function formatFps(fps: number | undefined): string {
	return `${(fps ?? 0).toFixed(1)} fps`;
}

/** One counter of the Go Live pipeline: its value also sits in `data-value`, unformatted, for tests and tools. */
function Counter({ name, label, value, text, title }: { name: string; label: string; value: number; text?: string; title: string }) {
	return (
		<>
			<dt title={title}>{label}</dt>
			<dd data-stat={name} data-value={value} title={title}>
				{text ?? value}
			</dd>
		</>
	);
}

function formatDuration(ms: number): string {
	const s = Math.floor(ms / 1000);
	return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** Go Live: sources, preset, preview, and the live indicator with per-destination counters. */
export function GoLivePanel() {
	const { form, setForm, cameras, microphones, phase, error, live, publication, start, stop, loadDevices } = useGoLive();
	const fromFile = form.video === "file";
	const running = Boolean(live || publication);
	useGoLive((s) => s.tick);
	const origins = useOrigins((s) => s.origins);
	const [now, setNow] = useState(Date.now());
	const ids = { origin: useId(), path: useId(), video: useId(), camera: useId(), screen: useId(), audio: useId(), mic: useId(), preset: useId() };
	const renditionsId = useId();
	const desktop = useHost((s) => s.kind === "electron");
	const [screens, setScreens] = useState<CaptureSource[]>([]);
	const [screenId, setScreenId] = useState("");
	useEffect(() => {
		if (!desktop || form.video !== "screen") return;
		requireApi().invoke("capture.sources", {}).then(setScreens, () => setScreens([]));
	}, [desktop, form.video]);
	const chooseScreen = (id: string) => {
		setScreenId(id);
		void requireApi().invoke("capture.select", { id: id || null });
	};

	// The app shell follows the origins while the engine is reachable (App.tsx); following them
	// here too crashed the panel when the page opened on #/golive before the host connected.
	useEffect(() => void loadDevices(), [loadDevices]);
	useEffect(() => {
		if (!form.originId && origins[0]) setForm({ originId: (origins.find((o) => o.name === "studio") ?? origins[0]).id });
	}, [origins, form.originId, setForm]);
	// After the fallback above: effects run in order, so a default from Settings wins over it.
	useGoLiveDefaults();
	useEffect(() => {
		if (!running) return;
		const timer = setInterval(() => setNow(Date.now()), 1000);
		return () => clearInterval(timer);
	}, [running]);

	const submit = (e: FormEvent) => {
		e.preventDefault();
		void (phase === "live" ? stop() : start());
	};
	const busy = phase === "starting" || phase === "stopping";
	const preset = selectedPreset(form);
	const video = live?.info.tracks.find((t) => t.kind === "video");
	const encoderVideo = live?.encoders.get("video");

	return (
		<section className="view golive" aria-labelledby="golive-title">
			<header className="view-header">
				<h1 id="golive-title">Go Live</h1>
				{running && (
					<div className="live-indicator" role="status" aria-label="Live status">
						<Circle size={12} className="live-dot" aria-hidden /> LIVE · {formatDuration(now - (live?.info.startedAt ?? publication?.startedAt ?? now))}
					</div>
				)}
			</header>
			<div className="golive-grid">
				{form.video === "scene" ? <ProgramPreview /> : <Preview screenThumbnail={screens.find((src) => src.id === screenId)?.thumbnail} />}
				<form className="golive-form" onSubmit={submit} aria-label="Go Live settings">
					<label htmlFor={ids.origin}>Origin</label>
					<select id={ids.origin} value={form.originId} disabled={running || busy} onChange={(e) => setForm({ originId: e.target.value })}>
						{origins.map((o) => (
							<option key={o.id} value={o.id}>
								{o.name}
							</option>
						))}
					</select>
					<label htmlFor={ids.path}>Broadcast path</label>
					<input id={ids.path} value={form.path} disabled={running || busy} onChange={(e) => setForm({ path: e.target.value })} />
					<label htmlFor={ids.video}>Video</label>
					<select id={ids.video} value={form.video} disabled={running || busy} onChange={(e) => setForm({ video: e.target.value as typeof form.video })}>
						<option value="camera">Camera</option>
						<option value="screen">Screen or window</option>
						<option value="scene">Scenes</option>
						<option value="file">Media file</option>
						<option value="none">No video</option>
					</select>
					{fromFile && (
						<>
							<FilePicker disabled={running || busy} />
							<label className="checkbox-row">
								<input type="checkbox" checked={form.loop} disabled={running || busy} onChange={(e) => setForm({ loop: e.target.checked })} /> Loop the file
							</label>
						</>
					)}
					{form.video === "camera" && (
						<>
							<label htmlFor={ids.camera}>Camera</label>
							<select id={ids.camera} value={form.cameraId} disabled={running || busy} onChange={(e) => setForm({ cameraId: e.target.value })}>
								<option value="">Default camera</option>
								{cameras.map((d, i) => (
									<option key={d.deviceId || i} value={d.deviceId}>
										{d.label || `Camera ${i + 1}`}
									</option>
								))}
							</select>
						</>
					)}
					{form.video === "screen" && desktop && (
						<>
							<label htmlFor={ids.screen}>Screen or window</label>
							<select id={ids.screen} value={screenId} disabled={running || busy} onChange={(e) => chooseScreen(e.target.value)}>
								<option value="">Ask when going live</option>
								{screens.map((src) => (
									<option key={src.id} value={src.id}>
										{src.kind === "screen" ? "Screen: " : "Window: "}
										{src.name}
									</option>
								))}
							</select>
						</>
					)}
					{!fromFile && (
						<>
					<label htmlFor={ids.audio}>Audio</label>
					<select id={ids.audio} value={form.audio} disabled={running || busy} onChange={(e) => setForm({ audio: e.target.value as typeof form.audio })}>
						<option value="microphone">Microphone</option>
						<option value="mixer">Mixer</option>
						<option value="none">No audio</option>
					</select>
					{form.audio === "microphone" && (
						<>
							<label htmlFor={ids.mic}>Microphone</label>
							<select id={ids.mic} value={form.microphoneId} disabled={running || busy} onChange={(e) => setForm({ microphoneId: e.target.value })}>
								<option value="">Default microphone</option>
								{microphones.map((d, i) => (
									<option key={d.deviceId || i} value={d.deviceId}>
										{d.label || `Microphone ${i + 1}`}
									</option>
								))}
							</select>
						</>
					)}
					<MicMeter />
					<label htmlFor={ids.preset}>Quality</label>
					<select id={ids.preset} value={form.presetId} disabled={running || busy} onChange={(e) => setForm({ presetId: e.target.value })}>
						{PRESETS.map((p) => (
							<option key={p.id} value={p.id}>
								{p.label}
							</option>
						))}
						<option value="custom">Custom…</option>
					</select>
					{form.presetId === "custom" && (
						<fieldset className="custom-preset" disabled={running || busy}>
							<legend>Custom quality</legend>
							{(
								[
									["width", "Width"],
									["height", "Height"],
									["framerate", "Frames per second"],
									["bitrate", "Bitrate (b/s)"],
									["keyframeInterval", "Keyframe every (frames)"],
								] as const
							).map(([key, label]) => (
								<label key={key}>
									{label}
									<input type="number" min={1} value={form.custom[key]} onChange={(e) => setForm({ custom: { ...form.custom, [key]: Number(e.target.value) } })} />
								</label>
							))}
						</fieldset>
					)}
					{form.video !== "none" && (
						<>
							<label htmlFor={renditionsId}>Renditions</label>
							<select id={renditionsId} value={form.renditions} disabled={running || busy} onChange={(e) => setForm({ renditions: Number(e.target.value) as RenditionCount })}>
								{RENDITION_CHOICES.map((c) => (
									<option key={c.count} value={c.count}>
										{c.label}
									</option>
								))}
							</select>
						</>
					)}
						</>
					)}
					<p className="muted">
						{fromFile
							? "MP4, MKV or WebM on this machine, published as it is: no re-encoding, at its own timing."
							: form.renditions > 1 && form.video !== "none"
								? `Up to ${planRenditions(preset, preset, form.renditions).map((r) => `${r.width}×${r.height} at ${formatBitrate(r.bitrate)}`).join(", ")} · ${preset.framerate} fps · never above the source's size`
								: `${preset.width}×${preset.height} · ${preset.framerate} fps · ${formatBitrate(preset.bitrate)} · a group every ${preset.keyframeInterval} frames`}
					</p>
					<button type="submit" className={`button ${running ? "danger" : "primary"}`} disabled={busy || !form.originId || (fromFile && !running && !form.filePath.trim())}>
						{running ? <Square size={16} aria-hidden /> : <Radio size={16} aria-hidden />}
						{phase === "starting" ? "Starting…" : phase === "stopping" ? "Stopping…" : running ? "Stop" : "Go Live"}
					</button>
					{error && (
						<p className="form-error" role="alert">
							{error}
						</p>
					)}
				</form>
			</div>
			{form.video === "scene" && <ScenesPanel />}
			{form.audio === "mixer" && !fromFile && <MixerPanel />}
			{publication && (
				<div className="live-stats" aria-label="Live statistics">
					<dl>
						<dt>File</dt>
						<dd className="mono">{publication.file}</dd>
						<dt>Position</dt>
						<dd>
							{publication.positionS.toFixed(1)} s{publication.loops > 0 ? ` · loop ${publication.loops + 1}` : ""}
						</dd>
						<dt>Frames sent</dt>
						<dd>{publication.frames}</dd>
					</dl>
				</div>
			)}
			{live && (
				<div className="live-stats" aria-label="Live statistics">
					<dl>
						<dt>Codec</dt>
						<dd>{live.videoCodec ?? "audio only"}</dd>
						<dt>Video bitrate</dt>
						<dd>
							{formatBitrate(video?.bitrate ?? 0)}
							{video?.targetBitrate ? ` (target ${formatBitrate(video.targetBitrate)})` : ""}
						</dd>
						{/* Every frame's fate from the camera to the studio, counted where it happens, so the
						    rows add up and a low frame rate shows where the frames went (issue 14). */}
						<Counter
							name="captured-fps"
							label="Frame rate captured"
							value={encoderVideo?.capturedFps ?? 0}
							text={`${formatFps(encoderVideo?.capturedFps)}${live.sourceFramerate && live.sourceFramerate < preset.framerate ? ` (the source runs at ${Math.round(live.sourceFramerate)} fps)` : ""}`}
							title="Frames per second the camera or screen delivered, measured over the last 3 seconds: a source slower than the target limits everything after it"
						/>
						<Counter name="sent-fps" label="Frame rate sent" value={encoderVideo?.sentFps ?? 0} text={`${formatFps(encoderVideo?.sentFps)} of ${preset.framerate}`} title="Video chunks sent to the studio per second, measured over the last 3 seconds" />
						<Counter name="received-fps" label="Frame rate received" value={video?.fps ?? 0} text={formatFps(video?.fps)} title="Video chunks per second the studio received, measured over the last 3 seconds" />
						<Counter name="captured" label="Frames captured" value={encoderVideo?.captured ?? 0} title="Frames the camera or screen delivered while live" />
						<Counter name="capture-skipped" label="Skipped by capture" value={encoderVideo?.captureSkipped ?? 0} title="Frames the capture discarded because the encoder thread was not reading fast enough" />
						<Counter
							name="encoder-skipped"
							label="Skipped by encoder"
							value={(encoderVideo?.encoderBusy ?? 0) + (encoderVideo?.repeated ?? 0) + (encoderVideo?.encoderDropped ?? 0)}
							title={`Frames not encoded: ${encoderVideo?.encoderBusy ?? 0} while the encoder was busy, ${encoderVideo?.encoderDropped ?? 0} dropped by the encoder, ${encoderVideo?.repeated ?? 0} repeated`}
						/>
						<Counter name="encoder-queue" label="Encoder queue" value={encoderVideo?.inEncoder ?? 0} text={`${encoderVideo?.inEncoder ?? 0} frames`} title="Frames handed to the encoder and not encoded yet" />
						<Counter name="encoded" label="Frames encoded" value={encoderVideo?.encoded ?? 0} title="Chunks the encoder produced" />
						<Counter
							name="sink-dropped"
							label="Dropped before sending"
							value={encoderVideo?.dropped ?? 0}
							title="Encoded chunks not sent: the link to the studio was congested (skipped to the next keyframe), or a group was replaced before the link opened"
						/>
						<Counter name="sent" label="Frames sent" value={encoderVideo?.sent ?? 0} title="Chunks sent to the studio" />
						<Counter
							name="received"
							label="Studio received"
							value={video?.received ?? 0}
							text={`${video?.received ?? 0}${video?.dropped ? ` (${video.dropped} unusable)` : ""}`}
							title="Chunks the studio received; unusable ones (a delta before any keyframe) are not published"
						/>
					</dl>
					<RenditionsTable live={live} />
					<table>
						<caption>Destinations</caption>
						<thead>
							<tr>
								<th scope="col">Relay</th>
								<th scope="col">State</th>
								<th scope="col">Out</th>
								<th scope="col">Queued</th>
							</tr>
						</thead>
						<tbody>
							{live.info.destinations.length === 0 ? (
								<tr>
									<td colSpan={4}>No session publishes this origin yet: attach it to a session in Origins.</td>
								</tr>
							) : (
								live.info.destinations.map((d) => (
									<tr key={d.sessionId}>
										<td>{d.url}</td>
										<td>{d.phase}</td>
										<td>{formatBitrate(d.bitrateOut)}</td>
										<td>{Math.round(d.queuedBytes / 1024)} KiB</td>
									</tr>
								))
							)}
						</tbody>
					</table>
				</div>
			)}
		</section>
	);
}
