/**
 * What the library offers for one file beyond managing it: play it in the studio's player (with a
 * seek bar), or replay it onto an origin as a broadcast at its own timing.
 */
import { Play, Radio, Square } from "lucide-react";
import { useEffect, useId, useState, type FormEvent } from "react";
import type { LibraryFile } from "../../../shared/recordings";
import { Dialog } from "../components/Dialog";
import { IconButton } from "../components/IconButton";
import { errorText } from "../lib/errors";
import { useHost } from "../stores/host";
import { useNotifications } from "../stores/notifications";
import { useOrigins } from "../stores/origins";
import { RecordingPlayer } from "./RecordingPlayer";
import { useReplays } from "./replays";

/** A broadcast path for a replay of `name`: `replay/<stem>.hang`, only characters paths allow. */
export function replayPath(name: string): string {
	const stem = name.replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9._-]+/g, "_") || "recording";
	return `replay/${stem}.hang`;
}

/** Play and Replay buttons for a file of the library, and their dialogs. */
export function LibraryFileActions({ file: f }: { file: LibraryFile }) {
	const [playing, setPlaying] = useState(false);
	const [replaying, setReplaying] = useState(false);
	const retain = useReplays((s) => s.retain);
	useEffect(() => retain(), [retain]);
	const running = useReplays((s) => s.byFile[f.file]);
	const stopReplay = useReplays((s) => s.stop);
	// A file still being written has no end yet: it plays and replays once finished.
	const busy = f.state === "recording";
	return (
		<>
			<IconButton icon={Play} label={`Play ${f.name}`} disabled={busy} onClick={() => setPlaying(true)} />
			{running ? (
				<IconButton icon={Square} tone="danger" label={`Stop replaying ${f.name} (${running.path})`} onClick={() => void stopReplay(running.id)} />
			) : (
				<IconButton icon={Radio} label={`Replay ${f.name} as a broadcast`} disabled={busy} onClick={() => setReplaying(true)} />
			)}
			<Dialog open={playing} onClose={() => setPlaying(false)} title={f.name} wide>
				{playing && <RecordingPlayer name={f.name} />}
			</Dialog>
			<Dialog
				open={replaying}
				onClose={() => setReplaying(false)}
				title={`Replay ${f.name}`}
				description="Publishes the file into an origin as a broadcast with its own tracks, codecs and timing; every relay the origin goes to carries it."
			>
				{replaying && <ReplayForm name={f.name} onDone={() => setReplaying(false)} />}
			</Dialog>
		</>
	);
}

function ReplayForm({ name, onDone }: { name: string; onDone: () => void }) {
	const api = useHost((s) => s.api);
	const origins = useOrigins((s) => s.origins);
	const [originId, setOriginId] = useState("");
	const [path, setPath] = useState(() => replayPath(name));
	const [loop, setLoop] = useState(false);
	const [waitForViewer, setWaitForViewer] = useState(false);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const ids = { origin: useId(), path: useId(), loop: useId(), wait: useId() };
	const chosen = originId || origins[0]?.id || "";
	const submit = async (e: FormEvent) => {
		e.preventDefault();
		if (!api) return;
		setBusy(true);
		setError(null);
		try {
			const started = await api.invoke("recordings.replay", { name, originId: chosen, path: path.trim(), loop, waitForViewer });
			useNotifications.getState().push("info", "Replaying", `${name} is published as ${started.path}${loop ? ", looping" : ""}.`);
			onDone();
		} catch (err) {
			setError(errorText(err));
		} finally {
			setBusy(false);
		}
	};
	return (
		<form onSubmit={submit} aria-label={`Replay ${name}`}>
			<div className="field">
				<label htmlFor={ids.origin}>Origin</label>
				<select id={ids.origin} value={chosen} onChange={(e) => setOriginId(e.target.value)}>
					{origins.map((o) => (
						<option key={o.id} value={o.id}>
							{o.name}
						</option>
					))}
				</select>
			</div>
			<div className="field">
				<label htmlFor={ids.path}>Broadcast path</label>
				<input id={ids.path} value={path} onChange={(e) => setPath(e.target.value)} />
			</div>
			<label className="check" htmlFor={ids.loop}>
				<input id={ids.loop} type="checkbox" checked={loop} onChange={(e) => setLoop(e.target.checked)} /> Loop until stopped
			</label>
			<label className="check" htmlFor={ids.wait}>
				<input id={ids.wait} type="checkbox" checked={waitForViewer} onChange={(e) => setWaitForViewer(e.target.checked)} /> Start with the first viewer
				(a recorder waiting for the path gets the first frame)
			</label>
			{error && <p className="form-error">{error}</p>}
			<footer className="dialog-footer">
				<button type="button" className="button" onClick={onDone}>
					Cancel
				</button>
				<button type="submit" className="button primary" disabled={busy || !chosen || path.trim() === "" || /\s/.test(path.trim())}>
					Replay
				</button>
			</footer>
		</form>
	);
}
