import * as Tooltip from "@radix-ui/react-tooltip";
import { Clapperboard, Disc3, Layers, MonitorPlay, Radio, RadioTower, ScrollText, Settings, type LucideIcon } from "lucide-react";
import { useEffect, useState } from "react";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { HostProblem } from "./components/HostProblem";
import { LiveIndicator } from "./components/LiveIndicator";
import { LogPanel } from "./components/LogPanel";
import { Notifications } from "./components/Notifications";
import { SettingsDialog } from "./components/SettingsDialog";
import { followBrowserNotices } from "./lib/browser-notices";
import { installShortcuts } from "./lib/shortcuts";
import { useBroadcasts } from "./stores/broadcasts";
import { useHost } from "./stores/host";
import { useLog } from "./stores/log";
import { useNavigation, type View } from "./stores/navigation";
import { useOrigins } from "./stores/origins";
import { usePreferences } from "./stores/preferences";
import { useSessions } from "./stores/sessions";
import { BroadcastsView } from "./views/BroadcastsView";
import { OriginsView } from "./views/OriginsView";
import { GoLivePanel } from "./golive/GoLivePanel";
import { MonitorView } from "./monitor/MonitorView";
import { useMonitors } from "./monitor/store";
import { RecordingsView } from "./views/RecordingsView";
import { SessionsView } from "./views/sessions/SessionsView";

const NAV: { view: View; label: string; icon: LucideIcon }[] = [
	{ view: "sessions", label: "Sessions", icon: RadioTower },
	{ view: "origins", label: "Origins", icon: Layers },
	{ view: "broadcasts", label: "Broadcasts", icon: Radio },
	{ view: "monitor", label: "Monitor", icon: MonitorPlay },
	{ view: "golive", label: "Go Live", icon: Clapperboard },
	{ view: "recordings", label: "Recordings", icon: Disc3 },
];

function CurrentView({ view }: { view: View }) {
	switch (view) {
		case "sessions":
			return <SessionsView />;
		case "origins":
			return <OriginsView />;
		case "broadcasts":
			return <BroadcastsView />;
		case "monitor":
			return <MonitorView />;
		case "golive":
			return <GoLivePanel />;
		case "recordings":
			return <RecordingsView />;
	}
}

/** Follows the engine's state into the stores while the host is reachable (again after a reconnect). */
function useEngineState(): void {
	const api = useHost((s) => s.api);
	const connected = useHost((s) => s.connected);
	useEffect(() => {
		if (!api || !connected) return;
		void usePreferences.getState().load();
		const stops = [useOrigins.getState().follow(), useSessions.getState().follow(), useBroadcasts.getState().follow(), useLog.getState().follow(), useMonitors.getState().follow()];
		// The desktop shell shows its own notifications; a browser page shows the engine's.
		if (useHost.getState().kind === "web") stops.push(followBrowserNotices(api));
		return () => stops.forEach((stop) => stop());
	}, [api, connected]);
}

/** Applies the theme override: `data-theme` on the root element, or nothing to follow the OS. */
function useTheme(): void {
	const theme = usePreferences((s) => s.theme);
	useEffect(() => {
		const root = document.documentElement;
		if (theme === "system") delete root.dataset.theme;
		else root.dataset.theme = theme;
	}, [theme]);
}

/** The app shell: navigation, the current view, the log dock, connection status and notifications. */
export function App() {
	const { start, connected, problem, kind, info, refused } = useHost();
	const { view, go } = useNavigation();
	const logOpen = usePreferences((s) => s.logOpen);
	const setPref = usePreferences((s) => s.set);
	const unseenErrors = useLog((s) => s.unseenErrors);
	const [settingsOpen, setSettingsOpen] = useState(false);
	useEffect(() => start(), [start]);
	useEffect(() => installShortcuts(), []);
	useEngineState();
	useTheme();

	if ((kind === "none" && problem) || refused) return <HostProblem />;

	return (
		<Tooltip.Provider delayDuration={400}>
			<div className="shell">
				<nav className="sidebar" aria-label="Main">
					<div className="brand">
						<span className="brand-mark" aria-hidden>
							M
						</span>
						<span>
							MoQ Studio
							<span className="brand-sub">Media over QUIC</span>
						</span>
					</div>
					<ul>
						{NAV.map(({ view: v, label, icon: Icon }) => (
							<li key={v}>
								<button type="button" className="nav-item" aria-current={view === v ? "page" : undefined} onClick={() => go(v)}>
									<Icon size={18} aria-hidden />
									{label}
								</button>
							</li>
						))}
					</ul>
					<LiveIndicator />
					<div className="sidebar-tools">
						<button type="button" className="nav-item" aria-pressed={logOpen} onClick={() => setPref("logOpen", !logOpen)}>
							<ScrollText size={18} aria-hidden />
							Log
							{unseenErrors > 0 && !logOpen && (
								<span className="badge-count" aria-label={`${unseenErrors} new errors`}>
									{unseenErrors > 99 ? "99+" : unseenErrors}
								</span>
							)}
						</button>
						<button type="button" className="nav-item" onClick={() => setSettingsOpen(true)}>
							<Settings size={18} aria-hidden />
							Settings
						</button>
					</div>
					<div className="sidebar-footer" role="status" aria-live="polite">
						<span className={`dot ${connected ? "dot-ok" : "dot-bad"}`} aria-hidden />
						{connected ? `Engine ${info ? `v${info.version}` : ""} · ${kind}` : "Engine unreachable"}
					</div>
				</nav>
				<div className={`workspace${logOpen ? " with-log" : ""}`}>
					<main className="content">
						<ErrorBoundary resetKey={view}>
							<CurrentView view={view} />
						</ErrorBoundary>
					</main>
					{logOpen && <LogPanel onClose={() => setPref("logOpen", false)} />}
				</div>
				<Notifications />
				<SettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} />
			</div>
		</Tooltip.Provider>
	);
}
