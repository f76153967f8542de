import { Disc3, Square } from "lucide-react";
import { useEffect, useId, useState, type FormEvent } from "react";
import type { RecordingInfo } from "../../../shared/recordings";
import { EmptyState } from "../components/EmptyState";
import { IconButton } from "../components/IconButton";
import { explainError } from "../lib/errors";
import { formatBytes } from "../lib/format";
import { useHost } from "../stores/host";
import { useOrigins } from "../stores/origins";
import { useRecordings } from "../stores/recordings";

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

/** Starts a recording: an origin and a broadcast path (it may be announced later). */
function NewRecording() {
	// The app shell follows the origins while the engine is reachable.
	const origins = useOrigins((s) => s.origins);
	const start = useRecordings((s) => s.start);
	const [originId, setOriginId] = useState("");
	const [path, setPath] = useState("");
	const ids = { origin: useId(), path: useId() };
	const chosen = originId || origins[0]?.id || "";
	const submit = async (e: FormEvent) => {
		e.preventDefault();
		if (await start(chosen, path.trim())) setPath("");
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
			<button type="submit" className="button primary" disabled={!chosen || path.trim() === ""}>
				<Disc3 size={16} aria-hidden /> Record
			</button>
		</form>
	);
}

/** Recordings: start one, follow every recording of this run live, stop. */
export function RecordingsView() {
	const { byId, order, follow, stop } = useRecordings();
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
			{order.length === 0 ? (
				<EmptyState icon={Disc3} title="No recordings yet">
					<p>Record any broadcast of an origin to a fragmented MP4 that plays in any player and survives a crash. A reconnect continues the same file.</p>
					<p>Pick the origin, type the broadcast path as Broadcasts lists it, and choose Record. It waits if the broadcast is not announced yet.</p>
				</EmptyState>
			) : (
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
