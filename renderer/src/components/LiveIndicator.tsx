import { Radio } from "lucide-react";
import { useEffect, useState } from "react";
import { useGoLive } from "../golive/store";
import { useHost } from "../stores/host";
import { useNavigation } from "../stores/navigation";

/** How often the engine is asked what is live (it also hears this window's own Go Live at once). */
const POLL_MS = 2_000;

interface OnAir {
	/** Go Live broadcasts the engine runs (from any window). */
	live: number;
	/** Media files being published. */
	files: number;
}

/** What the sidebar's live badge says, or null when nothing is on air. */
export function onAirLabel({ live, files }: OnAir): string | null {
	if (live === 0 && files === 0) return null;
	const parts: string[] = [];
	if (live > 0) parts.push(live === 1 ? "Live" : `Live ×${live}`);
	if (files > 0) parts.push(files === 1 ? "publishing a file" : `publishing ${files} files`);
	const text = parts.join(" · ");
	return `${text[0]!.toUpperCase()}${text.slice(1)}`;
}

/**
 * The sidebar's on-air badge, seen from every view while a Go Live or a file publication runs
 * anywhere in the engine (another window or the CLI included). Opens Go Live when chosen.
 */
export function LiveIndicator() {
	const api = useHost((s) => s.api);
	const connected = useHost((s) => s.connected);
	// This window's own Go Live is known at once; the poll catches everything else.
	const phase = useGoLive((s) => s.phase);
	const go = useNavigation((s) => s.go);
	const [onAir, setOnAir] = useState<OnAir>({ live: 0, files: 0 });

	useEffect(() => {
		if (!api || !connected) {
			setOnAir({ live: 0, files: 0 });
			return;
		}
		let alive = true;
		const poll = () =>
			Promise.all([api.invoke("golive.list", {}), api.invoke("publishing.list", {})]).then(
				([live, files]) => alive && setOnAir({ live: live.length, files: files.filter((f) => f.state === "publishing").length }),
				() => undefined,
			);
		void poll();
		const timer = setInterval(() => void poll(), POLL_MS);
		const off = api.on("publishing.progress", () => void poll());
		return () => {
			alive = false;
			clearInterval(timer);
			off();
		};
	}, [api, connected, phase]);

	const label = onAirLabel(onAir);
	if (!label) return null;
	return (
		<button type="button" className="live-indicator" onClick={() => go("golive")} aria-label={`On air: ${label}. Open Go Live`} title="Open Go Live">
			<span className="live-dot" aria-hidden />
			<Radio size={14} aria-hidden />
			<span className="live-text">{label}</span>
		</button>
	);
}
