import { useEffect, useId, useState, type FormEvent } from "react";
import { DEFAULT_MIN_FREE_MB } from "../../../shared/recordings";
import { useHost } from "../stores/host";
import { useStorage } from "../stores/storage";

/**
 * The engine's recording settings in the Settings dialog: the folder new recordings go to (a
 * path on the engine's machine, which the browser host cannot browse to, so it is typed) and the
 * free space they need. Saved with Save; the engine checks the folder before keeping it.
 */
export function RecordingSettingsGroup({ open }: { open: boolean }) {
	const settings = useStorage((s) => s.settings);
	const configure = useStorage((s) => s.configure);
	const api = useHost((s) => s.api);
	const [folder, setFolder] = useState("");
	const [minFree, setMinFree] = useState("");
	const ids = { folder: useId(), minFree: useId(), hint: useId() };

	useEffect(() => {
		if (open && api) void useStorage.getState().loadSettings();
	}, [open, api]);
	// The form starts from what the engine says each time it answers (a save, a reopen).
	useEffect(() => {
		if (!settings) return;
		setFolder(settings.folder);
		setMinFree(String(settings.minFreeMB));
	}, [settings]);

	const minFreeMB = Number(minFree);
	const validMin = minFree.trim() !== "" && Number.isInteger(minFreeMB) && minFreeMB >= 0;
	const changed = settings !== null && (folder.trim() !== settings.folder || (validMin && minFreeMB !== settings.minFreeMB));
	const save = async (e: FormEvent) => {
		e.preventDefault();
		if (!settings || !validMin) return;
		await configure({ ...(folder.trim() !== settings.folder ? { folder: folder.trim() } : {}), minFreeMB });
	};

	return (
		<fieldset className="settings-group" aria-label="Recordings">
			<legend>Recordings</legend>
			<form className="form" onSubmit={save}>
				<div className="field">
					<label htmlFor={ids.folder}>Folder for new recordings</label>
					<input id={ids.folder} className="mono" value={folder} onChange={(e) => setFolder(e.target.value)} aria-describedby={ids.hint} spellCheck={false} data-setting="recordings.folder" />
				</div>
				<p className="muted" id={ids.hint}>
					An absolute path on the studio engine&apos;s machine; it is created if missing. Recordings already running stay where they are.
					{settings?.custom ? ` The default is ${settings.defaultFolder}.` : ""}
				</p>
				<div className="field">
					<label htmlFor={ids.minFree}>Minimum free space (MB)</label>
					<input
						id={ids.minFree}
						type="number"
						min={0}
						step={1}
						value={minFree}
						onChange={(e) => setMinFree(e.target.value)}
						aria-invalid={!validMin}
						data-setting="recordings.minFreeMB"
					/>
				</div>
				<p className="muted">Below it no recording starts and running ones stop cleanly, their files complete. 0 turns the check off; the default is {DEFAULT_MIN_FREE_MB} MB.</p>
				<div className="inline-form">
					<button type="submit" className="button" disabled={!changed || !validMin || folder.trim() === ""}>
						Save recording settings
					</button>
					{settings?.custom && (
						<button type="button" className="button" onClick={() => void configure({ folder: null })}>
							Use the default folder
						</button>
					)}
				</div>
			</form>
		</fieldset>
	);
}
