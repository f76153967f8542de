import { Clapperboard, Disc3, Layers, Radio, RadioTower, type LucideIcon } from "lucide-react";
import { useEffect } from "react";
import { Notifications } from "./components/Notifications";
import { useHost } from "./stores/host";
import { useNavigation, type View } from "./stores/navigation";
import { OriginsView } from "./views/OriginsView";
import { BroadcastsView, GoLiveView, RecordingsView, SessionsView } from "./views/Placeholders";

const NAV: { view: View; label: string; icon: LucideIcon }[] = [
	{ view: "sessions", label: "Sessions", icon: RadioTower },
	{ view: "origins", label: "Origins", icon: Layers },
	{ view: "broadcasts", label: "Broadcasts", icon: Radio },
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
		case "golive":
			return <GoLiveView />;
		case "recordings":
			return <RecordingsView />;
	}
}

/** The app shell: navigation, the current view, connection status and notifications. */
export function App() {
	const { start, connected, problem, kind, info } = useHost();
	const { view, go } = useNavigation();
	useEffect(() => start(), [start]);

	if (kind === "none" && problem) {
		return (
			<main className="fatal" role="alert">
				<h1>MoQ Studio</h1>
				<p>{problem}</p>
			</main>
		);
	}

	return (
		<div className="shell">
			<nav className="sidebar" aria-label="Main">
				<div className="brand">
					<span className="brand-mark" aria-hidden>
						M
					</span>
					MoQ Studio
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
				<div className="sidebar-footer" role="status" aria-live="polite">
					<span className={`dot ${connected ? "dot-ok" : "dot-bad"}`} aria-hidden />
					{connected ? `Engine ${info ? `v${info.version}` : ""} · ${kind}` : "Engine unreachable"}
				</div>
			</nav>
			<main className="content">
				<CurrentView view={view} />
			</main>
			<Notifications />
		</div>
	);
}
