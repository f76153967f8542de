/**
 * Monitor: a multiview of announced broadcasts. A grid of 1, 4, 9 or 16 tiles (the layout
 * picker), each a broadcast with its picture, name, tally (live / stalled "no frames for N s" /
 * ended with the last frame kept / waiting / failed) and audio meter. A click solos a tile's
 * audio (every other tile muted), a double-click enlarges it (and back); empty tiles offer to
 * pick a broadcast. Below, the selected monitor's rendition pickers, catalog and live stats.
 *
 * Tiles re-render only when their own slot or monitor state changes (narrow selectors on the
 * store); pictures, meters, graphs and the numbers table update outside React or in their own
 * small component. Tiles off-screen, hidden behind an enlarged one, or of a view left stop painting.
 */
import { Maximize2, Minimize2, MonitorPlay, Plus, RotateCcw, Volume2, VolumeX, X } from "lucide-react";
import { memo, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { MonitorRendition, MonitorState, MonitorTrackStats } from "../../../shared/monitor";
import { formatBitrate, formatBytes } from "../lib/format";
import { useInView, useNow } from "../lib/hooks";
import { useBroadcasts } from "../stores/broadcasts";
import { useNavigation } from "../stores/navigation";
import { useOrigins } from "../stores/origins";
import { MULTIVIEW_LAYOUTS, type MultiviewLayout } from "../stores/preferences";
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
	const watched = useMonitors((s) => s.order.length);
	const selected = useMonitors((s) => s.selected);
	const opening = useMonitors((s) => s.opening);
	const activate = useMonitors((s) => s.activate);
	useEffect(() => activate(), [activate]);
	return (
		<section className="view" aria-labelledby="monitor-title">
			<header className="view-header">
				<div>
					<h1 id="monitor-title">Monitor</h1>
					<p className="muted view-subtitle" role="status">
						{watched === 0 ? "Nothing watched" : `${watched} watched`}
						{opening.length > 0 && ` · opening ${opening.map((k) => k.slice(k.indexOf("\u0000") + 1)).join(", ")}…`}
					</p>
				</div>
				<LayoutPicker />
			</header>
			<MonitorGrid />
			{selected && <MonitorDetails key={selected} id={selected} />}
		</section>
	);
}

const LAYOUT_LABEL: Record<MultiviewLayout, string> = { 1: "1×1", 4: "2×2", 9: "3×3", 16: "4×4" };

function LayoutPicker() {
	const layout = useMonitors((s) => s.layout);
	const setLayout = useMonitors((s) => s.setLayout);
	return (
		<div className="layout-picker" role="radiogroup" aria-label="Layout">
			{MULTIVIEW_LAYOUTS.map((l) => (
				<button
					key={l}
					type="button"
					role="radio"
					aria-checked={l === layout}
					aria-label={l === 1 ? "1 tile" : `${l} tiles`}
					title={l === 1 ? "One tile" : `${l} tiles`}
					className={l === layout ? "active" : undefined}
					onClick={() => setLayout(l)}
				>
					{LAYOUT_LABEL[l]}
				</button>
			))}
		</div>
	);
}

function MonitorGrid() {
	const layout = useMonitors((s) => s.layout);
	const enlarged = useMonitors((s) => s.enlarged);
	return (
		<div className={`monitor-grid${enlarged !== null ? " enlarged" : ""}`} data-layout={layout} role="list" aria-label="Watched broadcasts">
			{Array.from({ length: layout }, (_, i) => (
				<Slot key={i} index={i} hidden={enlarged !== null && enlarged !== i} />
			))}
		</div>
	);
}

/** One tile of the grid: a monitor, a broadcast being opened (or that failed), or an empty tile. */
const Slot = memo(function Slot({ index, hidden }: { index: number; hidden: boolean }) {
	const slot = useMonitors((s) => s.slots[index]);
	if (!slot) return null;
	if (slot.monitor) return <MonitorTile id={slot.monitor} index={index} hidden={hidden} />;
	return (
		<div role="listitem" aria-label={slot.tile ? `Tile ${index + 1}: ${slot.tile.path}` : `Tile ${index + 1}: empty`} className="monitor-tile monitor-tile-empty" hidden={hidden}>
			{slot.tile ? <PendingTile index={index} path={slot.tile.path} failure={slot.failure} /> : <EmptyTile index={index} />}
		</div>
	);
});

function PendingTile({ index, path, failure }: { index: number; path: string; failure: string | null }) {
	const retry = useMonitors((s) => s.retry);
	const clear = useMonitors((s) => s.clear);
	return (
		<div className="monitor-empty-body">
			<p className="mono monitor-path" title={path}>
				{path}
			</p>
			{failure ? (
				<>
					<p className="form-error">Could not watch: {failure}</p>
					<div className="monitor-empty-actions">
						<button type="button" className="button small" onClick={() => retry(index)}>
							<RotateCcw size={14} aria-hidden /> Retry
						</button>
						<button type="button" className="button small" onClick={() => void clear(index)}>
							<X size={14} aria-hidden /> Empty the tile
						</button>
					</div>
				</>
			) : (
				<p className="muted">Opening…</p>
			)}
		</div>
	);
}

/** The most broadcasts the picker lists at once; the search narrows a longer list. */
const PICKER_LIMIT = 50;

/** An empty tile: pick one of the announced broadcasts for it. */
function EmptyTile({ index }: { index: number }) {
	const [picking, setPicking] = useState(false);
	const go = useNavigation((s) => s.go);
	return (
		<div className="monitor-empty-body">
			{picking ? (
				<BroadcastPicker index={index} onDone={() => setPicking(false)} />
			) : (
				<>
					<MonitorPlay size={28} strokeWidth={1.5} aria-hidden className="muted" />
					<div className="monitor-empty-actions">
						<button type="button" className="button small" onClick={() => setPicking(true)} aria-label={`Pick a broadcast for tile ${index + 1}`}>
							<Plus size={14} aria-hidden /> Pick a broadcast
						</button>
						{index === 0 && (
							<button type="button" className="button small" onClick={() => go("broadcasts")}>
								Open Broadcasts
							</button>
						)}
					</div>
				</>
			)}
		</div>
	);
}

/** The picker's list: live broadcasts matching the search, by path; only while it is open. */
function BroadcastPicker({ index, onDone }: { index: number; onDone: () => void }) {
	const version = useBroadcasts((s) => s.version);
	const entries = useBroadcasts((s) => s.entries);
	const origins = useOrigins((s) => s.origins);
	const assign = useMonitors((s) => s.assign);
	const [search, setSearch] = useState("");
	const matches = useMemo(() => {
		const needle = search.trim().toLowerCase();
		const out = [];
		for (const e of entries.values()) if (e.endedAt === null && (!needle || e.path.toLowerCase().includes(needle))) out.push(e);
		out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
		return out;
		// `entries` is changed in place; `version` says when.
	}, [entries, version, search]);
	const originName = (id: string) => origins.find((o) => o.id === id)?.name ?? id;
	return (
		<div className="monitor-picker" role="dialog" aria-label={`Pick a broadcast for tile ${index + 1}`} onKeyDown={(e) => e.key === "Escape" && onDone()}>
			<input type="search" autoFocus placeholder="Search paths" aria-label="Search broadcasts" value={search} onChange={(e) => setSearch(e.target.value)} />
			{matches.length === 0 ? (
				<p className="muted">{entries.size === 0 ? "No broadcast is announced yet." : "No live broadcast matches."}</p>
			) : (
				<ul className="monitor-picker-list">
					{matches.slice(0, PICKER_LIMIT).map((e) => (
						<li key={e.key}>
							<button
								type="button"
								title={`${e.path} in ${originName(e.originId)}`}
								onClick={() => {
									onDone();
									void assign(index, e.originId, e.path);
								}}
							>
								<span className="mono">{e.path}</span>
								{origins.length > 1 && <span className="muted"> · {originName(e.originId)}</span>}
							</button>
						</li>
					))}
				</ul>
			)}
			{matches.length > PICKER_LIMIT && <p className="muted">{matches.length - PICKER_LIMIT} more: narrow the search.</p>}
			<button type="button" className="button small" onClick={onDone}>
				Cancel
			</button>
		</div>
	);
}

/** "no frames for N s" while a monitor is stalled, from the newest frame any of its tracks had. */
function StallNote({ history }: { history: StatsHistory }) {
	const now = useNow(1000);
	useSyncExternalStore(history.subscribe, history.snapshot);
	const last = Math.max(0, ...history.latest.tracks.map((t) => t.lastFrameAt ?? 0));
	return (
		<span className="tally-note" data-testid="tally-note">
			{last === 0 ? "no frames yet" : `no frames for ${Math.max(0, Math.round((now - last) / 1000))} s`}
		</span>
	);
}

const MonitorTile = memo(function MonitorTile({ id, index, hidden }: { id: string; index: number; hidden: boolean }) {
	const view = useMonitors((s) => s.byId[id]);
	const selected = useMonitors((s) => s.selected === id);
	const soloed = useMonitors((s) => s.soloed === id);
	const enlarged = useMonitors((s) => s.enlarged === index);
	const { setSelected, close, solo, setEnlarged } = useMonitors.getState();
	const runtime = monitorRuntime(id);
	const hostRef = useRef<HTMLDivElement>(null);
	const inView = useInView(hostRef);
	const [volume, setVolume] = useState(() => runtime?.player.volume ?? 1);

	useEffect(() => {
		const host = hostRef.current;
		if (!runtime || !host) return;
		host.appendChild(runtime.player.canvas);
		return () => runtime.player.canvas.remove();
	}, [runtime]);
	useEffect(() => {
		runtime?.player.setVisible(inView);
		// A tile gone (view left, tile emptied) paints nothing until it shows again.
		return () => runtime?.player.setVisible(false);
	}, [runtime, inView]);

	if (!view || !runtime) return null;
	const { player } = runtime;
	const toggleEnlarged = () => setEnlarged(enlarged ? null : index);
	return (
		<article
			role="listitem"
			aria-label={`Monitor of ${view.path}`}
			className={`monitor-tile${selected ? " selected" : ""}${soloed ? " soloed" : ""}`}
			data-state={view.state}
			data-epoch={view.epoch}
			hidden={hidden}
			title="Click to hear this tile alone, double-click to enlarge"
			onClick={(e) => {
				// The second click of a double-click enlarges; it does not undo the first one's solo.
				if (e.detail > 1) return;
				setSelected(id);
				solo(soloed ? null : id);
			}}
			onDoubleClick={toggleEnlarged}
		>
			<div className="monitor-picture">
				<div ref={hostRef} className="monitor-canvas-host" data-testid="monitor-picture" />
				<div className="tally-row">
					<span className={`tally tally-${view.state}`} data-testid="tally" role="status">
						{TALLY[view.state]}
					</span>
					{view.state === "stalled" && <StallNote history={runtime.history} />}
					{view.state === "ended" && <span className="tally-note">last frame</span>}
				</div>
				{view.state === "failed" && view.error && <p className="monitor-error">{view.error.message}</p>}
				<Meter source={player} label={`Audio level of ${view.path}`} />
			</div>
			<footer className="monitor-tile-bar" onDoubleClick={(e) => e.stopPropagation()}>
				<span className="mono monitor-path" title={view.path}>
					{view.path}
				</span>
				<button
					type="button"
					className="icon-button"
					aria-label={soloed ? "Mute" : "Unmute"}
					title={soloed ? "Mute" : "Hear this tile alone"}
					aria-pressed={soloed}
					onClick={(e) => {
						e.stopPropagation();
						solo(soloed ? null : id);
					}}
				>
					{soloed ? <Volume2 size={16} aria-hidden /> : <VolumeX size={16} aria-hidden />}
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
					aria-label={enlarged ? "Back to the grid" : `Enlarge ${view.path}`}
					title={enlarged ? "Back to the grid" : "Enlarge"}
					onClick={(e) => {
						e.stopPropagation();
						toggleEnlarged();
					}}
				>
					{enlarged ? <Minimize2 size={16} aria-hidden /> : <Maximize2 size={16} aria-hidden />}
				</button>
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
	const { decoder, restarts } = history.latest;
	// Video first, then audio, by name: columns must not swap places with the engine's order.
	const tracks = [...history.latest.tracks].sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === "video" ? -1 : 1));
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
		// The player's own skips to a keyframe when decoding fell behind, and worker restarts.
		["Player skips / restarts", (t) => (t.kind === "video" && decoder ? `${decoder.video.skipped} / ${restarts}` : dash)],
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
