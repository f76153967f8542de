/**
 * The Scenes panel's pickers for sources the engine sends (issue 16): an announced broadcast
 * (from the Broadcasts list) or a media file of the recordings folder, and the state a layer of
 * such a source shows in the layer list.
 */
import { useEffect, useMemo, useState } from "react";
import type { LayerSource } from "../../../shared/scenes";
import { useBroadcasts } from "../stores/broadcasts";
import { useScenes } from "./compositor/scenes-store";
import { liveSourceKey } from "./compositor/source-key";
import { useFinishedRecordings } from "./use-finished-recordings";

/** The announced broadcasts (live ones), sorted by path. */
function useAnnounced(): { key: string; originId: string; path: string }[] {
	const version = useBroadcasts((s) => s.version);
	return useMemo(() => {
		void version;
		return [...useBroadcasts.getState().entries.values()]
			.filter((e) => e.endedAt === null)
			.map((e) => ({ key: e.key, originId: e.originId, path: e.path }))
			.sort((a, b) => a.path.localeCompare(b.path));
	}, [version]);
}

/**
 * A select of announced broadcasts (`kind` "broadcast") or library files ("file"); `onChange`
 * gets the chosen source, or null while none is chosen.
 */
export function SceneSourcePicker({ kind, onChange }: { kind: "broadcast" | "file"; onChange: (source: LayerSource | null) => void }) {
	const broadcasts = useAnnounced();
	const files = useFinishedRecordings().map((f) => f.name);
	const [chosen, setChosen] = useState("");
	const options = kind === "broadcast" ? broadcasts.map((b) => ({ value: b.key, label: b.path })) : files.map((f) => ({ value: f, label: f }));
	// The first one is chosen until the user picks another (or it goes away).
	const value = options.some((o) => o.value === chosen) ? chosen : (options[0]?.value ?? "");
	useEffect(() => {
		if (!value) return onChange(null);
		if (kind === "file") return onChange({ kind: "file", name: value });
		const b = broadcasts.find((x) => x.key === value);
		onChange(b ? { kind: "broadcast", originId: b.originId, path: b.path } : null);
	}, [kind, value, broadcasts, onChange]);
	const label = kind === "broadcast" ? "Announced broadcast" : "Media file";
	if (options.length === 0) return <span className="muted">{kind === "broadcast" ? "No broadcast is announced" : "No file in the recordings folder"}</span>;
	return (
		<select aria-label={label} value={value} onChange={(e) => setChosen(e.target.value)}>
			{options.map((o) => (
				<option key={o.value} value={o.value}>
					{o.label}
				</option>
			))}
		</select>
	);
}

const STATE_TEXT: Record<string, string> = {
	opening: "Opening",
	waiting: "Not announced",
	live: "Live",
	stalled: "Stalled",
	ended: "Ended",
	failed: "Failed",
	playing: "Playing",
	reopening: "Reopening",
};

/** The state of a layer's broadcast or file (nothing for other sources). */
export function LayerSourceState({ source, name }: { source: LayerSource; name: string }) {
	const key = source.kind === "broadcast" || source.kind === "file" ? liveSourceKey(source) : undefined;
	const state = useScenes((s) => (key ? s.program?.sourceStates.get(key) : undefined));
	const problem = useScenes((s) => (key ? s.program?.problems.get(key) : undefined));
	useScenes((s) => s.tick);
	if (!key) return null;
	return (
		<span className="badge" aria-label={`${name} source state`} data-state={state ?? "closed"} title={problem ?? undefined}>
			{source.kind === "broadcast" ? source.path : source.kind === "file" ? source.name : ""} · {state ? (STATE_TEXT[state] ?? state) : "Not open"}
		</span>
	);
}
