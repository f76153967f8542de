import { Check, Copy, Disc3, FileCheck, FileVideo, FolderOpen, HardDrive, Pencil, Square, Trash2, X } from "lucide-react";
import { useEffect, useId, useState, type FormEvent } from "react";
import type { LibraryFile, RecordingInfo } from "../../../shared/recordings";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { EmptyState } from "../components/EmptyState";
import { IconButton } from "../components/IconButton";
import { explainError } from "../lib/errors";
import { formatBytes } from "../lib/format";
import { useHost } from "../stores/host";
import { useNotifications } from "../stores/notifications";
import { useOrigins } from "../stores/origins";
import { useRecordings } from "../stores/recordings";
import { AutoRecordRules } from "./AutoRecordRules";
import { useStorage } from "../stores/storage";
import { LibraryFileActions } from "../recordings/LibraryFileActions";

/** The state in one word: waiting is not recording (nothing is written yet). */
const STATE_LABEL: Record<RecordingInfo["state"], string> = {
	waiting: "waiting",
	recording: "recording",
	finished: "finished",
	failed: "failed",
};

/** One line on where the recording stands: what it waits for, or why it stopped. */
export function describeRecording(r: RecordingInfo): string {
	if (r.state === "waiting") return "Waiting for the broadcast to be announced; nothing is written yet.";
	if (r.state === "recording") return "Writing to the file.";
	if (r.state === "failed" || r.end === "failed") return r.error ? `Stopped by an error: ${explainError(r.error).sentence}` : "Stopped by an error.";
	if (r.end === "disk-low") return `Stopped because disk space ran low; the file is complete.${r.error ? ` ${explainError(r.error).sentence}` : ""}`;
	if (r.end === "ended") return "Stopped because the broadcast ended.";
	if (r.end === "duration") return "Stopped after the requested duration.";
	if (r.end === "stopped") return "Stopped by you.";
	return "Finished.";
}

// Set through the DOM (not a style attribute), which the strict CSP allows.
const TRACK_LIST_STYLE = { listStyle: "none", margin: 0, padding: 0 } as const;

/** One line per track: its state (and why, when it is not plainly recording) and the gaps in the file. */
function TrackLine({ track: t, live }: { track: RecordingInfo["tracks"][number]; live: boolean }) {
	const trouble = t.state === "stalled" || t.state === "resubscribing" || (t.state === "ended" && live);
	const gaps = t.gaps > 0 ? ` · ${t.gaps} gap${t.gaps === 1 ? "" : "s"} (${t.gapS.toFixed(2)} s)` : "";
	const again = t.resubscribes > 0 ? ` · subscribed again ${t.resubscribes}×` : "";
	return (
		<li className={trouble ? "form-error" : "muted"} data-track-state={t.state}>
			{t.kind} {t.name}: {live ? t.state : "done"}
			{trouble && t.reason ? ` (${t.reason})` : ""} · {t.frames} frames{gaps}
			{again}
		</li>
	);
}

/** How often a recording may start a new file (minutes; 0 = one file). */
const SEGMENT_CHOICES: readonly (readonly [number, string])[] = [
	[0, "One file"],
	[15, "File every 15 min"],
	[60, "File every hour"],
	[360, "File every 6 h"],
	[1440, "File every day"],
];

// As wide as its words, so the Record button stays on the line (set through the DOM, as above).
const SEGMENT_SELECT_STYLE = { flex: "0 0 auto", width: "auto" } as const;

/** Starts a recording: an origin and a broadcast path (it may be announced later). */
function NewRecording() {
	// The app shell follows the origins while the engine is reachable.
	const origins = useOrigins((s) => s.origins);
	const start = useRecordings((s) => s.start);
	const [originId, setOriginId] = useState("");
	const [path, setPath] = useState("");
	const [segmentMinutes, setSegmentMinutes] = useState(0);
	const ids = { origin: useId(), path: useId(), segments: useId() };
	const chosen = originId || origins[0]?.id || "";
	const submit = async (e: FormEvent) => {
		e.preventDefault();
		if (await start(chosen, path.trim(), segmentMinutes > 0 ? { segmentMinutes } : {})) setPath("");
	};
	return (
		<form className="inline-form" onSubmit={submit} aria-label="New recording">
			<label htmlFor={ids.origin} className="sr-only">
				Origin to record from
			</label>
			<select id={ids.origin} value={chosen} onChange={(e) => setOriginId(e.target.value)}>
				{origins.map((o) => (
					<option key={o.id} value={o.id}>
						{o.name}
					</option>
				))}
			</select>
			<label htmlFor={ids.path} className="sr-only">
				Broadcast path to record
			</label>
			<input id={ids.path} value={path} placeholder="Broadcast path, e.g. live/show.hang" onChange={(e) => setPath(e.target.value)} />
			<label htmlFor={ids.segments} className="sr-only">
				New file every
			</label>
			{/* Segments for recordings that run for days: each a complete file from a keyframe, named after its start. */}
			<select id={ids.segments} value={segmentMinutes} onChange={(e) => setSegmentMinutes(Number(e.target.value))} title="Split the recording into files" style={SEGMENT_SELECT_STYLE}>
				{SEGMENT_CHOICES.map(([minutes, label]) => (
					<option key={minutes} value={minutes}>
						{label}
					</option>
				))}
			</select>
			<button type="submit" className="button primary" disabled={!chosen || path.trim() === ""}>
				<Disc3 size={16} aria-hidden /> Record
			</button>
		</form>
	);
}

/** Media time as a player shows it: `0:04.2`, `12:05.0`, `1:02:03.0`. */
export function formatMediaTime(s: number): string {
	const tenths = Math.max(0, Math.round(s * 10));
	const h = Math.floor(tenths / 36000);
	const m = Math.floor((tenths % 36000) / 600);
	const sec = ((tenths % 600) / 10).toFixed(1).padStart(4, "0");
	return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** A file's tracks in one line: `video avc 1280×720, audio opus`. */
export function describeTracks(f: LibraryFile): string {
	return f.tracks.map((t) => `${t.kind} ${t.codec}${t.width && t.height ? ` ${t.width}×${t.height}` : ""}`).join(", ");
}

const FILE_STATE_LABEL: Record<LibraryFile["state"], string> = {
	recording: "being recorded",
	complete: "complete",
	interrupted: "interrupted",
};

/** One file of the recordings folder: what it holds, where it came from, and what can be done with it. */
function LibraryRow({ file: f, canReveal }: { file: LibraryFile; canReveal: boolean }) {
	const { rename, remove, reveal } = useRecordings();
	const finalize = useStorage((s) => s.finalize);
	const finalizing = useStorage((s) => s.finalizing[f.name] === true);
	const [editing, setEditing] = useState(false);
	const [draft, setDraft] = useState("");
	const [confirmDelete, setConfirmDelete] = useState(false);
	const busy = f.state === "recording";
	const ext = f.name.slice(f.name.lastIndexOf("."));
	const stem = f.name.slice(0, f.name.length - ext.length);

	const save = async (e: FormEvent) => {
		e.preventDefault();
		if (!draft.trim()) return;
		if (draft.trim() === stem || (await rename(f.name, draft.trim()))) setEditing(false);
	};
	const copyPath = async () => {
		try {
			await navigator.clipboard.writeText(f.file);
			useNotifications.getState().push("info", "Path copied", f.file);
		} catch {
			// No clipboard (an insecure page, a denied permission): the path is on the row to select.
			useNotifications.getState().push("info", "Path of the file", f.file);
		}
	};
	const source = f.source
		? `${f.source.path} from ${f.source.originName ?? "an origin"}${f.source.relay ? ` via ${f.source.relay}` : ""}`
		: null;

	return (
		<li className="card" aria-label={`File ${f.name}`} data-file-state={f.state}>
			<FileVideo size={18} aria-hidden className={busy ? "recording-icon" : "muted"} />
			<div className="grow">
				{editing ? (
					<form className="inline-form" onSubmit={save}>
						<input
							aria-label={`New name for ${f.name}`}
							value={draft}
							onChange={(e) => setDraft(e.target.value)}
							onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
							maxLength={200}
							autoFocus
						/>
						<span className="muted">{ext}</span>
						<button type="submit" className="icon-button" aria-label="Save name" disabled={draft.trim() === ""}>
							<Check size={16} aria-hidden />
						</button>
						<button type="button" className="icon-button" aria-label="Cancel rename" onClick={() => setEditing(false)}>
							<X size={16} aria-hidden />
						</button>
					</form>
				) : (
					<div className="card-title mono ellipsis" title={f.name}>
						{f.name}
					</div>
				)}
				<div className="muted" data-file-summary>
					<span data-file-state-label={f.state} className={f.state === "interrupted" ? "form-error" : undefined}>
						{FILE_STATE_LABEL[f.state]}
					</span>
					{f.durationS !== null ? ` · ${formatMediaTime(f.durationS)}` : ""} · {formatBytes(f.bytes)}
					{f.tracks.length > 0 ? ` · ${describeTracks(f)}` : ""}
				</div>
				<div className="muted">
					{/* Without a sidecar the start is only the file's creation time (a copy's is when it was copied). */}
					{f.startedAt !== null
						? `${f.source ? "Started" : "Created"} ${new Date(f.startedAt).toLocaleString()}`
						: `Modified ${new Date(f.modifiedAt).toLocaleString()}`}
					{source ? ` · ${source}` : ""}
				</div>
				{f.problem && <div className="form-error">{f.state === "interrupted" ? `Interrupted: ${f.problem}. It plays up to its last complete part.` : f.problem}</div>}
				<div className="muted mono ellipsis" title={f.file} data-file-path>
					{f.file}
				</div>
			</div>
			{!editing && (
				<div className="row-actions">
					<LibraryFileActions file={f} />
					<IconButton
						icon={Pencil}
						label={`Rename ${f.name}`}
						disabled={busy}
						onClick={() => {
							setDraft(stem);
							setEditing(true);
						}}
					/>
					{f.state === "interrupted" && (
						<IconButton icon={FileCheck} label={`Finalize ${f.name} into a regular MP4`} disabled={finalizing} onClick={() => void finalize(f.name)} />
					)}
					<IconButton icon={Copy} label={`Copy path of ${f.name}`} onClick={() => void copyPath()} />
					{canReveal && <IconButton icon={FolderOpen} label={`Show ${f.name} in its folder`} onClick={() => void reveal(f.name)} />}
					<IconButton icon={Trash2} tone="danger" label={`Delete ${f.name}`} disabled={busy} onClick={() => setConfirmDelete(true)} />
				</div>
			)}
			<ConfirmDialog
				open={confirmDelete}
				onClose={() => setConfirmDelete(false)}
				onConfirm={() => void remove(f.name)}
				title={`Delete ${f.name}?`}
				description={canReveal ? "The file goes to the trash." : "The file is deleted from the recordings folder for good."}
				confirmLabel="Delete"
			/>
		</li>
	);
}

/**
 * Free space where recordings are written, and the minimum below which none starts (a running
 * one stops cleanly): the engine measures it about once a second.
 */
function DiskSpaceLine() {
	const disk = useStorage((s) => s.disk);
	const api = useHost((s) => s.api);
	const connected = useHost((s) => s.connected);
	useEffect(() => (api && connected ? useStorage.getState().followDisk() : undefined), [api, connected]);
	if (!disk || disk.freeBytes === null) return null;
	const total = disk.totalBytes ? ` of ${formatBytes(disk.totalBytes)}` : "";
	const minimum = disk.minFreeBytes > 0 ? ` · recordings need ${formatBytes(disk.minFreeBytes)}` : "";
	return (
		<p className={disk.low ? "form-error" : "muted"} data-disk-space={disk.low ? "low" : "ok"} role={disk.low ? "alert" : undefined}>
			<HardDrive size={14} aria-hidden /> {formatBytes(disk.freeBytes)} free{total}
			{minimum}
			{disk.low ? ". Disk space low: no recording starts and running ones stop. Free some space, or change the folder or the minimum in Settings." : ""}
		</p>
	);
}

/** Every file of the recordings folder, also those from before a restart or cut by a crash. */
function Library({ files, folder, canReveal }: { files: LibraryFile[]; folder: string | null; canReveal: boolean }) {
	const titleId = useId();
	return (
		<section aria-labelledby={titleId}>
			<h2 id={titleId}>Files</h2>
			{folder && (
				<p className="muted mono ellipsis" title={folder}>
					{folder}
				</p>
			)}
			{files.length === 0 ? (
				<p className="muted">No files in the recordings folder yet.</p>
			) : (
				<ul className="card-list" aria-label="Recording files">
					{files.map((f) => (
						<LibraryRow key={f.name} file={f} canReveal={canReveal} />
					))}
				</ul>
			)}
		</section>
	);
}

/** Recordings: start one, follow every recording of this run live, stop; and the files of the folder. */
export function RecordingsView() {
	const { byId, order, follow, stop, library, folder } = useRecordings();
	// Only the desktop host can open the file manager; the web host shows the path to copy.
	const canReveal = useHost((s) => s.info?.host === "electron");
	const api = useHost((s) => s.api);
	const connected = useHost((s) => s.connected);
	// Only with a reachable engine: opened straight on #/recordings, this runs before the host is known.
	useEffect(() => (api && connected ? follow() : undefined), [api, connected, follow]);

	return (
		<section className="view" aria-labelledby="recordings-title">
			<header className="view-header">
				<h1 id="recordings-title">Recordings</h1>
				<NewRecording />
			</header>
			<DiskSpaceLine />
			{order.length === 0 && library === null ? null : order.length === 0 && library?.length === 0 ? (
				<EmptyState icon={Disc3} title="No recordings yet">
					<p>Record any broadcast of an origin to a fragmented MP4 that plays in any player and survives a crash. A reconnect continues the same file.</p>
					<p>Pick the origin, type the broadcast path as Broadcasts lists it, and choose Record. It waits if the broadcast is not announced yet.</p>
				</EmptyState>
			) : order.length === 0 ? null : (
				<ul className="card-list" aria-label="Recordings">
					{order.map((id) => {
						const r = byId[id]!;
						const active = r.state === "waiting" || r.state === "recording";
						return (
							<li key={id} className="card" data-state={r.state}>
								<Disc3 size={18} aria-hidden className={r.state === "recording" ? "recording-icon" : "muted"} />
								<div className="grow">
									<div className="card-title mono ellipsis" title={r.path}>
										{r.path}
									</div>
									<div className={`recording-status state-${r.state}`} data-recording-status={r.state}>
										{describeRecording(r)}
									</div>
									<div className="muted">
										{STATE_LABEL[r.state]} · {r.durationS.toFixed(1)} s · {formatBytes(r.bytes)}
										{r.epochs > 1 ? ` · ${r.epochs - 1} reconnect${r.epochs > 2 ? "s" : ""}` : ""}
										{r.segmentMinutes !== undefined ? ` · new file every ${r.segmentMinutes} min` : ""}
										{r.segments && r.segments.length > 1 ? ` · ${r.segments.length} files` : ""}
										{r.tracks.length > 0 ? ` · ${r.tracks.map((t) => `${t.kind} ${t.codec}`).join(", ")}` : ""}
									</div>
									{r.tracks.length > 0 && (
										<ul style={TRACK_LIST_STYLE} aria-label={`Tracks of ${r.path}`}>
											{r.tracks.map((t) => (
												<TrackLine key={t.name} track={t} live={active} />
											))}
										</ul>
									)}
									{r.file && (
										<div className="muted mono ellipsis" title={r.file}>
											{r.file}
										</div>
									)}
									{r.state === "failed" && r.error && <ErrorDetails text={explainError(r.error).details} />}
								</div>
								{active && <IconButton icon={Square} tone="danger" label={`Stop recording ${r.path}`} onClick={() => void stop(id)} />}
							</li>
						);
					})}
				</ul>
			)}
			<AutoRecordRules />
			{library !== null && library.length > 0 && <Library files={library} folder={folder} canReveal={canReveal} />}
		</section>
	);
}

function ErrorDetails({ text }: { text: string }) {
	return (
		<details className="error-details">
			<summary>Details</summary>
			<code>{text}</code>
		</details>
	);
}
