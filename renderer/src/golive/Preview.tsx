/**
 * Go Live's preview pane: the chosen source's picture before going live and while live.
 * - camera: a preview capture of the chosen camera at the chosen quality before, the live
 *   capture itself while live (so the preview shows exactly what is encoded);
 * - screen: the chosen source's thumbnail in the desktop host (a browser shows its own picker
 *   only when going live), the live capture while live;
 * - media file: the engine's own broadcast of the file while live, watched through a monitor
 *   (the file is on the engine's machine; a page cannot open it).
 * Reads the Go Live store with narrow selectors.
 */
import { useEffect, useRef, useState } from "react";
import { MonitorPlayer } from "../monitor/player";
import { requireApi } from "../stores/host";
import { selectedPreset, useGoLive } from "./store";

/** The camera's preview capture: same device and size as going live would ask, no audio (the microphone meter has its own). */
function useCameraPreview(wanted: boolean): { stream: MediaStream | null; problem: string | null } {
	const deviceId = useGoLive((s) => s.form.cameraId);
	const preset = useGoLive((s) => selectedPreset(s.form));
	const [stream, setStream] = useState<MediaStream | null>(null);
	const [problem, setProblem] = useState<string | null>(null);
	const { width, height, framerate } = preset;
	useEffect(() => {
		setProblem(null);
		if (!wanted) return setStream(null);
		let cancelled = false;
		let captured: MediaStream | undefined;
		navigator.mediaDevices
			.getUserMedia({
				video: { deviceId: deviceId ? { exact: deviceId } : undefined, width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: framerate } },
				audio: false,
			})
			.then(
				(s) => {
					captured = s;
					if (cancelled) return s.getTracks().forEach((t) => t.stop());
					setStream(s);
					// Device labels show only once capture was allowed.
					void useGoLive.getState().loadDevices();
				},
				(err: unknown) => {
					if (!cancelled) setProblem(`The camera is not available: ${err instanceof Error ? err.message : String(err)}`);
				},
			);
		return () => {
			cancelled = true;
			captured?.getTracks().forEach((t) => t.stop());
			setStream(null);
		};
	}, [wanted, deviceId, width, height, framerate]);
	return { stream, problem };
}

/** The picture of the running file publication, through a monitor of its broadcast. */
function FileBroadcastPicture({ originId, path }: { originId: string; path: string }) {
	const holder = useRef<HTMLDivElement>(null);
	const [problem, setProblem] = useState<string | null>(null);
	useEffect(() => {
		let closed = false;
		let id: string | undefined;
		const player = new MonitorPlayer({ onError: (m) => setProblem(m), onClosed: () => undefined });
		player.canvas.setAttribute("aria-label", "File preview");
		player.canvas.setAttribute("role", "img");
		player.canvas.classList.add("preview");
		holder.current?.append(player.canvas);
		const api = requireApi();
		api.invoke("monitor.open", { originId, path }).then(
			(info) => {
				id = info.id;
				if (closed) return void api.invoke("monitor.close", { id }).catch(() => undefined);
				void player.attach(info.channel);
			},
			(err: unknown) => !closed && setProblem(err instanceof Error ? err.message : String(err)),
		);
		return () => {
			closed = true;
			player.dispose();
			player.canvas.remove();
			if (id) void api.invoke("monitor.close", { id }).catch(() => undefined);
		};
	}, [originId, path]);
	return (
		<>
			<div ref={holder} className="preview-holder" />
			{problem && <div className="preview-empty">The file's picture is not available: {problem}</div>}
		</>
	);
}

/** The preview pane of the Go Live view; `screenThumbnail` is the chosen screen's picture in the desktop host. */
export function Preview({ screenThumbnail }: { screenThumbnail?: string | null }) {
	const source = useGoLive((s) => s.form.video);
	const liveStream = useGoLive((s) => s.live?.stream ?? null);
	const publication = useGoLive((s) => s.publication);
	const { stream: cameraStream, problem } = useCameraPreview(source === "camera" && !liveStream);
	const video = useRef<HTMLVideoElement>(null);
	const shown = liveStream ?? cameraStream;
	useEffect(() => {
		if (video.current && video.current.srcObject !== shown) video.current.srcObject = shown;
	}, [shown]);

	let note: string | null = null;
	if (!shown && !publication) {
		if (source === "camera") note = problem ?? "Starting the camera preview…";
		else if (source === "screen") note = screenThumbnail ? null : "The screen or window you share appears here once you go live.";
		else if (source === "file") note = "A media file is published as it is: its picture appears here once you go live.";
		else note = "No video: only the microphone is sent.";
	}
	return (
		<div className="preview-pane" data-preview={liveStream || publication ? "live" : shown ? "preview" : "none"}>
			<video ref={video} className="preview" autoPlay muted playsInline aria-label="Local preview" hidden={Boolean(publication)} />
			{publication && <FileBroadcastPicture originId={publication.originId} path={publication.path} />}
			{!shown && !publication && source === "screen" && screenThumbnail && <img className="preview preview-thumbnail" src={screenThumbnail} alt="Chosen screen or window" />}
			{note && <div className="preview-empty">{note}</div>}
		</div>
	);
}
