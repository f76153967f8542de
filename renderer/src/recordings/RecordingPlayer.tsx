/**
 * Plays a file of the recordings folder in the studio's own player: the engine reads the file and
 * sends it on a media channel like a live monitor, the monitor's decode worker paints it, and a
 * seek bar drives `playback.control` (play, pause, seek). The position shown is the engine's:
 * the time of the newest frame it sent.
 */
import { Pause, Play, Volume2, VolumeX } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import type { PlaybackInfo } from "../../../shared/playback";
import { IconButton } from "../components/IconButton";
import { errorText } from "../lib/errors";
import { MonitorPlayer } from "../monitor/player";
import { useHost } from "../stores/host";
import { useNotifications } from "../stores/notifications";
import { formatMediaTime } from "../views/RecordingsView";
import "./playback.css";

/** Seek requests while the thumb is dragged are coalesced to one per this many ms. */
const SEEK_COALESCE_MS = 150;

/** The player for one recording; opening it starts playback, unmounting closes it in the engine. */
export function RecordingPlayer({ name }: { name: string }) {
	const api = useHost((s) => s.api);
	const pictureRef = useRef<HTMLDivElement>(null);
	const [info, setInfo] = useState<PlaybackInfo | null>(null);
	const [draft, setDraft] = useState<number | null>(null);
	const [muted, setMuted] = useState(true);
	const [problem, setProblem] = useState<string | null>(null);
	const playerRef = useRef<MonitorPlayer | null>(null);
	const seekTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

	useEffect(() => {
		if (!api) return;
		let cancelled = false;
		let id: string | null = null;
		const player = new MonitorPlayer({
			onError: (message) => setProblem(message),
			onClosed: () => {},
		});
		playerRef.current = player;
		pictureRef.current?.appendChild(player.canvas);
		const off = api.on("playback.state", (p) => {
			if (p.id === id && !p.closed) setInfo(p);
		});
		api.invoke("playback.open", { name }).then(
			(opened) => {
				if (cancelled) {
					void api.invoke("playback.close", { id: opened.id }).catch(() => {});
					return;
				}
				id = opened.id;
				setInfo(opened);
				void player.attach(opened.channel);
			},
			(err: unknown) => {
				if (!cancelled) setProblem(errorText(err));
			},
		);
		return () => {
			cancelled = true;
			off();
			clearTimeout(seekTimer.current);
			player.dispose();
			playerRef.current = null;
			if (id) void api.invoke("playback.close", { id }).catch(() => {});
		};
	}, [api, name]);

	const control = (args: { playing?: boolean; seekS?: number }) => {
		if (!api || !info) return;
		api.invoke("playback.control", { id: info.id, ...args }).then(setInfo, (err: unknown) => useNotifications.getState().push("error", "Playback", errorText(err)));
	};
	const seek = (seconds: number) => {
		setDraft(seconds);
		clearTimeout(seekTimer.current);
		seekTimer.current = setTimeout(() => {
			control({ seekS: seconds });
			// The engine's position takes over once it reports from the new epoch.
			setTimeout(() => setDraft(null), 400);
		}, SEEK_COALESCE_MS);
	};
	const toggleMute = () => {
		const next = !muted;
		setMuted(next);
		playerRef.current?.setMuted(next);
	};

	const playing = info?.state === "playing";
	const duration = info?.durationS ?? 0;
	const position = draft ?? info?.positionS ?? 0;
	return (
		<div className="recording-player" data-playback-state={info?.state ?? "opening"}>
			<div ref={pictureRef} className="playback-picture" data-testid="playback-picture" />
			<div className="playback-controls">
				<IconButton icon={playing ? Pause : Play} label={playing ? "Pause" : "Play"} disabled={!info} onClick={() => control({ playing: !playing })} />
				<input
					type="range"
					aria-label="Seek"
					min={0}
					max={Math.max(duration, 0.1)}
					step={0.1}
					value={Math.min(position, duration)}
					disabled={!info || duration <= 0}
					onChange={(e) => seek(Number(e.target.value))}
				/>
				<span className="playback-time muted" data-testid="playback-position" data-position-s={position.toFixed(2)}>
					{formatMediaTime(position)} / {formatMediaTime(duration)}
				</span>
				<IconButton icon={muted ? VolumeX : Volume2} label={muted ? "Unmute" : "Mute"} onClick={toggleMute} />
			</div>
			{(problem ?? info?.error) && <p className="form-error">{problem ?? info?.error?.message}</p>}
		</div>
	);
}
