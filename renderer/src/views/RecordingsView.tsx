import { Disc3, Square } from "lucide-react";
import { useEffect } from "react";
import type { RecordingInfo } from "../../../shared/recordings";
import { EmptyState } from "../components/EmptyState";
import { IconButton } from "../components/IconButton";
import { formatBytes } from "../lib/format";
import { useRecordings } from "../stores/recordings";

const STATE_LABEL: Record<RecordingInfo["state"], string> = {
	waiting: "waiting for the broadcast",
	recording: "recording",
	finished: "finished",
	failed: "failed",
};

function describeEnd(r: RecordingInfo): string {
	if (r.state === "failed") return r.error ? `${r.error.name}: ${r.error.message}` : "failed";
	if (r.end === "ended") return "the broadcast ended";
	if (r.end === "duration") return "duration reached";
	if (r.end === "stopped") return "stopped";
	return "";
}

/** Recordings: every recording of this run, live progress, stop. */
export function RecordingsView() {
	const { byId, order, follow, stop } = useRecordings();
	useEffect(() => follow(), [follow]);

	if (order.length === 0) {
		return (
			<EmptyState icon={Disc3} title="No recordings yet">
				<p>Record any announced broadcast to a fragmented MP4 that plays in any player and survives a crash.</p>
				<p>Pick a broadcast in Broadcasts and choose Record.</p>
			</EmptyState>
		);
	}
	return (
		<section className="view" aria-labelledby="recordings-title">
			<header className="view-header">
				<h1 id="recordings-title">Recordings</h1>
			</header>
			<ul className="card-list" aria-label="Recordings">
				{order.map((id) => {
					const r = byId[id]!;
					const active = r.state === "waiting" || r.state === "recording";
					return (
						<li key={id} className="card" data-state={r.state}>
							<Disc3 size={18} aria-hidden className={r.state === "recording" ? "recording-icon" : "muted"} />
							<div className="grow">
								<div className="card-title mono">{r.path}</div>
								<div className="muted">
									{STATE_LABEL[r.state]} · {r.durationS.toFixed(1)} s · {formatBytes(r.bytes)}
									{r.epochs > 1 ? ` · ${r.epochs - 1} reconnect${r.epochs > 2 ? "s" : ""}` : ""}
									{r.tracks.length > 0 ? ` · ${r.tracks.map((t) => `${t.kind} ${t.codec} ${t.frames} frames`).join(", ")}` : ""}
								</div>
								{r.file && <div className="muted mono">{r.file}</div>}
								{!active && <div className={r.state === "failed" ? "form-error" : "muted"}>{describeEnd(r)}</div>}
							</div>
							{active && <IconButton icon={Square} tone="danger" label={`Stop recording ${r.path}`} onClick={() => void stop(id)} />}
						</li>
					);
				})}
			</ul>
		</section>
	);
}
