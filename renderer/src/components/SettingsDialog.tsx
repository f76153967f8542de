import { Monitor, Moon, Sun } from "lucide-react";
import { useId } from "react";
import type { LogLevel } from "../../../shared/models";
import { LOG_LEVELS } from "../stores/log";
import { usePreferences, type ThemeChoice } from "../stores/preferences";
import { useHost } from "../stores/host";
import { Dialog } from "./Dialog";

const THEMES: { value: ThemeChoice; label: string; icon: typeof Sun }[] = [
	{ value: "system", label: "System", icon: Monitor },
	{ value: "dark", label: "Dark", icon: Moon },
	{ value: "light", label: "Light", icon: Sun },
];

/** Preferences the engine keeps for the UI: theme, log level. Changes apply at once. */
export function SettingsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
	const theme = usePreferences((s) => s.theme);
	const logLevel = usePreferences((s) => s.logLevel);
	const set = usePreferences((s) => s.set);
	const info = useHost((s) => s.info);
	const levelId = useId();
	return (
		<Dialog open={open} onClose={onClose} title="Settings" description="Saved by the engine and restored at the next start.">
			<div className="form">
				<fieldset className="segmented">
					<legend>Theme</legend>
					{THEMES.map(({ value, label, icon: Icon }) => (
						<label key={value} className="segment">
							<input type="radio" name="theme" value={value} checked={theme === value} onChange={() => set("theme", value)} data-autofocus={theme === value ? true : undefined} />
							<span>
								<Icon size={14} aria-hidden /> {label}
							</span>
						</label>
					))}
				</fieldset>
				<div className="field">
					<label htmlFor={levelId}>Log panel shows</label>
					<select id={levelId} value={logLevel} onChange={(e) => set("logLevel", e.target.value as LogLevel)}>
						{LOG_LEVELS.map((l) => (
							<option key={l} value={l}>
								{l === "error" ? "errors only" : `${l} and above`}
							</option>
						))}
					</select>
				</div>
				{info && (
					<p className="muted about">
						{info.name} {info.version} · {info.host} host · {info.platform}
						{info.embeddedRelayUrl ? ` · local relay ${info.embeddedRelayUrl}` : ""}
					</p>
				)}
			</div>
			<footer className="dialog-footer">
				<button type="button" className="button primary" onClick={onClose}>
					Done
				</button>
			</footer>
		</Dialog>
	);
}
