import { Monitor, Moon, Sun } from "lucide-react";
import { useEffect, useId, useState } from "react";
import type { LogLevel } from "../../../shared/models";
import { LOG_LEVELS } from "../stores/log";
import { usePreferences, type ThemeChoice } from "../stores/preferences";
import { useHost } from "../stores/host";
import { useNotifications } from "../stores/notifications";
import { useOrigins } from "../stores/origins";
import { PRESETS } from "../golive/presets";
import { Dialog } from "./Dialog";
import { RecordingSettingsGroup } from "./RecordingSettings";

/**
 * The desktop shell's switches, as the Electron main process reads them from the engine's
 * preferences (`electron/shell/settings.ts`): the keys and their defaults must match it.
 */
export const DESKTOP_SETTINGS = [
	{ key: "shell.closeToTray", label: "Keep running in the tray when the window is closed while live or recording", fallback: true },
	{ key: "notify.live", label: "Notify when a broadcast goes live or stops", fallback: true },
	{ key: "notify.recording", label: "Notify when a recording finishes or fails, or disk space runs low", fallback: true },
	{ key: "notify.sessionFailed", label: "Notify when a relay session stops reconnecting", fallback: true },
	{ key: "notify.sessionReconnected", label: "Notify when a relay session reconnects", fallback: true },
] as const;

/** One of {@link DESKTOP_SETTINGS}' keys. */
export type DesktopSettingKey = (typeof DESKTOP_SETTINGS)[number]["key"];

/** The notification switches, which a browser page also honours (the engine decides for both hosts). */
const NOTIFY_SETTINGS = DESKTOP_SETTINGS.filter((s) => s.key.startsWith("notify."));

/** Asks the browser for permission to show notifications, and shows where that stands. */
function BrowserPermission() {
	const [permission, setPermission] = useState(() => (typeof Notification === "undefined" ? "unsupported" : Notification.permission));
	if (permission === "unsupported") return <p className="muted">This browser cannot show notifications.</p>;
	if (permission === "granted") return <p className="muted">This browser shows them while the studio's tab is in the background.</p>;
	if (permission === "denied") return <p className="muted">Notifications are blocked for this page in the browser's site settings.</p>;
	return (
		<button type="button" className="button" onClick={() => void Notification.requestPermission().then(setPermission)}>
			Allow browser notifications
		</button>
	);
}

/**
 * The shell's preferences, read when the dialog opens and written one key at a time (the shell
 * and the web host read them from the engine, so there is nothing to keep in a renderer store).
 * A browser has no tray: it gets the notification switches and the permission prompt.
 */
function DesktopSettings({ open, desktop }: { open: boolean; desktop: boolean }) {
	const api = useHost((s) => s.api);
	const [values, setValues] = useState<Partial<Record<DesktopSettingKey, boolean>>>({});
	useEffect(() => {
		if (!open || !api) return;
		let live = true;
		api.invoke("preferences.get", {}).then(
			(record) => {
				if (!live) return;
				const next: Partial<Record<DesktopSettingKey, boolean>> = {};
				for (const { key } of DESKTOP_SETTINGS) if (typeof record[key] === "boolean") next[key] = record[key];
				setValues(next);
			},
			() => undefined,
		);
		return () => {
			live = false;
		};
	}, [open, api]);
	const change = (key: DesktopSettingKey, value: boolean) => {
		setValues((v) => ({ ...v, [key]: value }));
		api?.invoke("preferences.set", { preferences: { [key]: value } }).catch((err: unknown) => {
			setValues((v) => ({ ...v, [key]: !value }));
			useNotifications.getState().error("Could not save the setting", err);
		});
	};
	return (
		<fieldset className="settings-group">
			<legend>{desktop ? "Desktop" : "Notifications"}</legend>
			{!desktop && <BrowserPermission />}
			{(desktop ? DESKTOP_SETTINGS : NOTIFY_SETTINGS).map(({ key, label, fallback }) => (
				<label key={key} className="check">
					<input type="checkbox" checked={values[key] ?? fallback} onChange={(e) => change(key, e.target.checked)} data-setting={key} />
					{label}
				</label>
			))}
		</fieldset>
	);
}

/** Go Live's defaults: the quality and the origin its form starts with (`golive/defaults.ts` applies them). */
function GoLiveDefaults() {
	const preset = usePreferences((s) => s.goLivePreset);
	const origin = usePreferences((s) => s.goLiveOrigin);
	const set = usePreferences((s) => s.set);
	const origins = useOrigins((s) => s.origins);
	const ids = { preset: useId(), origin: useId() };
	return (
		<fieldset className="settings-group">
			<legend>Go Live</legend>
			<div className="field">
				<label htmlFor={ids.preset}>Default quality</label>
				<select id={ids.preset} value={preset} onChange={(e) => set("goLivePreset", e.target.value)}>
					{PRESETS.map((p) => (
						<option key={p.id} value={p.id}>
							{p.label}
						</option>
					))}
				</select>
			</div>
			<div className="field">
				<label htmlFor={ids.origin}>Default origin</label>
				<select id={ids.origin} value={origins.some((o) => o.id === origin) ? origin : ""} onChange={(e) => set("goLiveOrigin", e.target.value)}>
					<option value="">The "studio" origin (or the first)</option>
					{origins.map((o) => (
						<option key={o.id} value={o.id}>
							{o.name}
						</option>
					))}
				</select>
			</div>
		</fieldset>
	);
}

const THEMES: { value: ThemeChoice; label: string; icon: typeof Sun }[] = [
	{ value: "system", label: "System", icon: Monitor },
	{ value: "dark", label: "Dark", icon: Moon },
	{ value: "light", label: "Light", icon: Sun },
];

/**
 * Preferences the engine keeps: theme, log level, Go Live's defaults, and in the desktop host the
 * shell's tray and notification switches. Changes apply at once.
 */
export function SettingsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
	const theme = usePreferences((s) => s.theme);
	const logLevel = usePreferences((s) => s.logLevel);
	const set = usePreferences((s) => s.set);
	const info = useHost((s) => s.info);
	const desktop = useHost((s) => s.kind === "electron");
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
				<GoLiveDefaults />
				<DesktopSettings open={open} desktop={desktop} />
				<RecordingSettingsGroup open={open} />
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
