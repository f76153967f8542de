/**
 * Monitor: watch announced broadcasts. A tile per open monitor (picture, tally, audio meter,
 * mute and volume), and for the selected one its rendition pickers, catalog and live stats.
 *
 * Tiles re-render only when their monitor's state or catalog changes (narrow selectors on the
 * store); pictures, meters, graphs and the numbers table update outside React or in their own
 * small component.
 */
import { MonitorPlay, Volume2, VolumeX, X } from "lucide-react";
import { memo, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { MonitorRendition, MonitorState, MonitorTrackStats } from "../../../shared/monitor";
import { EmptyState } from "../components/EmptyState";
import { formatBitrate, formatBytes } from "../lib/format";
import { useInView } from "../lib/hooks";
import { useNavigation } from "../stores/navigation";
import { Meter } from "./Meter";
import { StatsCharts } from "./StatsCharts";
import { monitorRuntime, useMonitors, type MonitorView as MonitorViewModel } from "./store";
import type { StatsHistory } from "./stats";
import "./monitor.css";

const TALLY: Record<MonitorState, string> = {
	live: "Live",
	stalled: "Stalled",
	ended: "Ended",
	waiting: "Waiting",
	failed: "Failed",
};

/** The Monitor view. */
export function MonitorView() {
	const order = useMonitors((s) => s.order);
	const selected = useMonitors((s) => s.selected);
	const opening = useMonitors((s) => s.opening);
	const go = useNavigation((s) => s.go);
	return (
		<section className="view" aria-labelledby="monitor-title">
			<header className="view-header">
				<div>
					<h1 id="monitor-title">Monitor</h1>
					<p className="muted view-subtitle" role="status">
						{order.length === 0 ? "Nothing watched" : `${order.length} watched`}
						{opening.length > 0 && ` · opening ${opening.map((k) => k.slice(k.indexOf("\u0000") + 1)).join(", ")}…`}
					</p>
				</div>
			</header>
			{order.length === 0 && opening.length === 0 ? (
				<EmptyState icon={MonitorPlay} title="Nothing to watch yet">
					<p>Pick Watch on a broadcast in Broadcasts to see and hear it here, with its catalog and live numbers.</p>
					<button type="button" className="button" onClick={() => go("broadcasts")}>
						Open Broadcasts
					</button>
				</EmptyState>
			) : (
				<>
					<div className="monitor-tiles" role="list" aria-label="Watched broadcasts">
						{order.map((id) => (
							<MonitorTile key={id} id={id} selected={id === selected} />
						))}
					</div>
					{selected && <MonitorDetails key={selected} id={selected} />}
				</>
			)}
		</section>
	);
}

const MonitorTile = memo(function MonitorTile({ id, selected }: { id: string; selected: boolean }) {
	const view = useMonitors((s) => s.byId[id]);
	const setSelected = useMonitors((s) => s.setSelected);
	const close = useMonitors((s) => s.close);
	const runtime = monitorRuntime(id);
	const hostRef = useRef<HTMLDivElement>(null);
	const inView = useInView(hostRef);
	const [muted, setMuted] = useState(() => runtime?.player.muted ?? true);
	const [volume, setVolume] = useState(() => runtime?.player.volume ?? 1);

	useEffect(() => {
		const host = hostRef.current;
		if (!runtime || !host) return;
		host.appendChild(runtime.player.canvas);
		return () => runtime.player.canvas.remove();
	}, [runtime]);
	useEffect(() => runtime?.player.setVisible(inView), [runtime, inView]);

	if (!view || !runtime) return null;
	const { player } = runtime;
	return (
		<article
			role="listitem"
			aria-label={`Monitor of ${view.path}`}
			className={`monitor-tile${selected ? " selected" : ""}`}
			data-state={view.state}
			onClick={() => setSelected(id)}
		>
			<div className="monitor-picture">
				<div ref={hostRef} className="monitor-canvas-host" data-testid="monitor-picture" />
				<span className={`tally tally-${view.state}`} data-testid="tally" role="status">
					{TALLY[view.state]}
				</span>
				{view.state === "failed" && view.error && <p className="monitor-error">{view.error.message}</p>}
				<Meter player={player} label={`Audio level of ${view.path}`} />
			</div>
			<footer className="monitor-tile-bar">
				<span className="mono monitor-path" title={view.path}>
					{view.path}
				</span>
				<button
					type="button"
					className="icon-button"
					aria-label={muted ? "Unmute" : "Mute"}
					title={muted ? "Unmute" : "Mute"}
					aria-pressed={!muted}
					onClick={(e) => {
						e.stopPropagation();
						player.setMuted(!muted);
						setMuted(!muted);
					}}
				>
					{muted ? <VolumeX size={16} aria-hidden /> : <Volume2 size={16} aria-hidden />}
				</button>
				<input
					type="range"
					min={0}
					max={1}
					step={0.01}
					value={volume}
					aria-label="Volume"
					title="Volume"
					onClick={(e) => e.stopPropagation()}
					onChange={(e) => {
						const v = Number(e.target.value);
						player.setVolume(v);
						setVolume(v);
					}}
				/>
				<button
					type="button"
					className="icon-button"
					aria-label={`Stop watching ${view.path}`}
					title="Stop watching"
					onClick={(e) => {
						e.stopPropagation();
						void close(id);
					}}
				>
					<X size={16} aria-hidden />
				</button>
			</footer>
		</article>
	);
});

function MonitorDetails({ id }: { id: string }) {
	const view = useMonitors((s) => s.byId[id]);
	const runtime = monitorRuntime(id);
	if (!view || !runtime) return null;
	return (
		<div className="monitor-details">
			<RenditionPickers view={view} />
			<CatalogPanel view={view} />
			<section className="panel" aria-labelledby="monitor-stats-title">
				<h2 id="monitor-stats-title">Live stats</h2>
				<StatsTable history={runtime.history} />
				<StatsCharts history={runtime.history} />
			</section>
		</div>
	);
}

function RenditionPickers({ view }: { view: MonitorViewModel }) {
	const choose = useMonitors((s) => s.choose);
	const kinds = (["video", "audio"] as const).filter((k) => view.renditions.filter((r) => r.kind === k).length > 1);
	if (kinds.length === 0) return null;
	return (
		<div className="monitor-pickers">
			{kinds.map((kind) => (
				<label key={kind} className="field-inline">
					<span>{kind === "video" ? "Video rendition" : "Audio rendition"}</span>
					<select value={view[kind] ?? ""} onChange={(e) => void choose(view.id, kind, e.target.value || null)}>
						{view.renditions
							.filter((r) => r.kind === kind)
							.map((r) => (
								<option key={r.name} value={r.name} disabled={!r.playable}>
									{describeRendition(r)}
								</option>
							))}
						<option value="">None</option>
					</select>
				</label>
			))}
		</div>
	);
}

function describeRendition(r: MonitorRendition): string {
	const parts = [r.name, r.codec];
	if (r.width && r.height) parts.push(`${r.width}×${r.height}`);
	if (r.bitrate) parts.push(formatBitrate(r.bitrate));
	if (!r.playable) parts.push("(not playable)");
	return parts.join(" · ");
}

const dash = "—";
const num = (v: number | null, unit = "") => (v === null ? dash : `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`);

function CatalogPanel({ view }: { view: MonitorViewModel }) {
	return (
		<section className="panel" aria-labelledby="monitor-catalog-title" data-testid="catalog">
			<h2 id="monitor-catalog-title">Catalog</h2>
			{view.renditions.length === 0 ? (
				<p className="muted">{view.catalog === null || view.catalog === undefined ? "No catalog yet." : "The catalog lists no rendition."}</p>
			) : (
				<div className="monitor-table-wrap">
					<table className="monitor-table">
						<thead>
							<tr>
								<th scope="col">Track</th>
								<th scope="col">Kind</th>
								<th scope="col">Codec</th>
								<th scope="col">Resolution</th>
								<th scope="col">Frame rate</th>
								<th scope="col">Bitrate</th>
								<th scope="col">Sample rate</th>
								<th scope="col">Channels</th>
								<th scope="col">Container</th>
								<th scope="col">Priority</th>
							</tr>
						</thead>
						<tbody>
							{view.renditions.map((r) => (
								<tr key={`${r.kind}:${r.name}`} data-rendition={r.name} aria-current={r.name === view.video || r.name === view.audio ? "true" : undefined}>
									<td className="mono">{r.name}</td>
									<td>{r.kind}</td>
									<td className="mono">{r.codec}</td>
									<td>{r.width && r.height ? `${r.width}×${r.height}` : dash}</td>
									<td>{num(r.framerate, " fps")}</td>
									<td>{r.bitrate ? formatBitrate(r.bitrate) : dash}</td>
									<td>{r.sampleRate ? `${r.sampleRate} Hz` : dash}</td>
									<td>{num(r.channels)}</td>
									<td>{r.container}</td>
									<td>{r.priority}</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
			<details className="monitor-raw">
				<summary>Raw catalog</summary>
				<pre className="mono" data-testid="raw-catalog">
					{JSON.stringify(view.catalog ?? null, null, 2)}
				</pre>
			</details>
		</section>
	);
}

/** The numbers table: its own small component, re-rendered at each sample (about 2 Hz). */
function StatsTable({ history }: { history: StatsHistory }) {
	useSyncExternalStore(history.subscribe, history.snapshot);
	const { tracks, decoder } = history.latest;
	if (tracks.length === 0) return <p className="muted">No frames yet.</p>;
	const rows: [string, (t: MonitorTrackStats) => string][] = [
		["Bitrate", (t) => formatBitrate(t.bitrate)],
		["Frame rate", (t) => `${t.fps.toFixed(1)} fps`],
		["Group rate", (t) => `${t.groupRate.toFixed(2)} /s`],
		["Keyframe interval", (t) => (t.keyframeIntervalS === null ? dash : `${t.keyframeIntervalS.toFixed(2)} s`)],
		["Frame size (avg / max)", (t) => `${formatBytes(t.frameBytesAvg)} / ${formatBytes(t.frameBytesMax)}`],
		["Latency", (t) => num(t.latencyMs, " ms")],
		["Jitter", (t) => num(t.jitterMs, " ms")],
		["Skipped groups / frames", (t) => `${t.skippedGroups} / ${t.skippedFrames}`],
		["Frames / groups", (t) => `${t.frames} / ${t.groups}`],
		["Decoded", (t) => (decoder ? String(decoder[t.kind].decoded) : dash)],
		["Decode errors", (t) => (decoder ? String(decoder[t.kind].errors) : dash)],
		["Buffered", (t) => (decoder ? `${decoder[t.kind].bufferedMs.toFixed(0)} ms` : dash)],
		["Picture", (t) => (t.kind === "video" && decoder && decoder.video.width > 0 ? `${decoder.video.width}×${decoder.video.height}` : dash)],
		["Arrival to paint", (t) => (t.kind === "video" && decoder ? num(decoder.video.paintDelayAvgMs === null ? null : Math.round(decoder.video.paintDelayAvgMs), " ms") : dash)],
	];
	return (
		<div className="monitor-table-wrap">
			<table className="monitor-table" data-testid="live-stats">
				<thead>
					<tr>
						<th scope="col">Metric</th>
						{tracks.map((t) => (
							<th key={t.name} scope="col">
								{t.kind} <span className="mono muted">{t.name}</span>
							</th>
						))}
					</tr>
				</thead>
				<tbody>
					{rows.map(([label, value]) => (
						<tr key={label}>
							<th scope="row">{label}</th>
							{tracks.map((t) => (
								<td key={t.name}>{value(t)}</td>
							))}
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}
