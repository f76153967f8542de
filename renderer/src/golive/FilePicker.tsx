/**
 * Go Live's media file picker: the path (typed, or chosen with the system's open dialog in the
 * desktop host), the media files of the recordings folder, an upload into that folder from a
 * browser, and what the engine's probe says the chosen file holds before anything is published.
 * Rows of the Go Live form's grid (label, control).
 */
import { FolderOpen } from "lucide-react";
import { useEffect, useId, useState } from "react";
import type { MediaProbe, ProbedTrack } from "../../../shared/media-file";
import { StudioError } from "../../../shared/errors";
import { explainError } from "../lib/errors";
import { useHost } from "../stores/host";
import { useGoLive } from "./store";
import { uploadMediaFile } from "./upload";
import { useFinishedRecordings } from "./use-finished-recordings";

/** What the person reads for a failed pick, probe or upload: the error's sentence and what to do here. */
function problemText(err: unknown): string {
	const e = explainError(err);
	const advice =
		e.code === "LIMIT"
			? "Copy it to the studio's machine and type its path instead."
			: e.code === "MEDIA"
				? "Choose an MP4, MKV or WebM file with H.264, H.265, VP8, VP9 or AV1 video and Opus or AAC audio."
				: e.advice;
	return advice ? `${e.sentence} ${advice}` : e.sentence;
}

const CODEC_NAMES: [RegExp, string][] = [
	[/^avc[13]/, "H.264"],
	[/^(hvc1|hev1)/, "H.265"],
	[/^vp8/, "VP8"],
	[/^vp09/, "VP9"],
	[/^av01/, "AV1"],
	[/^opus/, "Opus"],
	[/^mp4a/, "AAC"],
];

function codecName(codec: string): string {
	return CODEC_NAMES.find(([re]) => re.test(codec))?.[1] ?? codec;
}

function trackText(t: ProbedTrack): string {
	if (t.kind === "video") return `${codecName(t.codec)} ${t.width}×${t.height}${t.framerate ? ` ${Math.round(t.framerate)} fps` : ""}`;
	return `${codecName(t.codec)} ${Math.round(t.sampleRate / 1000)} kHz ${t.channels === 1 ? "mono" : t.channels === 2 ? "stereo" : `${t.channels} channels`}`;
}

/** One line for a probed file, e.g. `MP4 · 0:03 · H.264 320×240 30 fps · Opus 48 kHz stereo`. */
export function probeText(probe: MediaProbe): string {
	const s = Math.round(probe.durationS);
	const length = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
	return [probe.format, length, ...probe.tracks.map(trackText)].join(" · ");
}

type Probed = { state: "none" } | { state: "probing" } | { state: "ok"; probe: MediaProbe } | { state: "failed"; message: string };

/** The probe of the form's file path, redone shortly after the path stops changing. */
function useProbe(path: string): Probed {
	const api = useHost((s) => s.api);
	const [probed, setProbed] = useState<Probed>({ state: "none" });
	useEffect(() => {
		const file = path.trim();
		if (!file || !api) return setProbed({ state: "none" });
		let current = true;
		setProbed({ state: "probing" });
		const timer = setTimeout(() => {
			api.invoke("publishing.probe", { file }).then(
				(probe) => current && setProbed({ state: "ok", probe }),
				(err: unknown) => current && setProbed({ state: "failed", message: problemText(err) }),
			);
		}, 300);
		return () => {
			current = false;
			clearTimeout(timer);
		};
	}, [path, api]);
	return probed;
}

/** The file rows of the Go Live form; `disabled` while live or starting. */
export function FilePicker({ disabled }: { disabled: boolean }) {
	const filePath = useGoLive((s) => s.form.filePath);
	const setForm = useGoLive((s) => s.setForm);
	const web = useHost((s) => s.kind === "web");
	const canBrowse = typeof window.studio?.chooseMediaFile === "function";
	const files = useFinishedRecordings();
	const probed = useProbe(filePath);
	const [upload, setUpload] = useState<{ name: string; fraction: number } | null>(null);
	const [problem, setProblem] = useState<string | null>(null);
	const ids = { file: useId(), library: useId(), upload: useId() };

	const browse = async () => {
		setProblem(null);
		try {
			const envelope = await window.studio!.chooseMediaFile!();
			if (!envelope.ok) throw StudioError.fromInfo(envelope.error);
			if (envelope.result) setForm({ filePath: envelope.result });
		} catch (err) {
			setProblem(problemText(err));
		}
	};

	const send = async (file: File | undefined) => {
		if (!file) return;
		setProblem(null);
		setUpload({ name: file.name, fraction: 0 });
		try {
			const uploaded = await uploadMediaFile(file, (fraction) => setUpload({ name: file.name, fraction }));
			setForm({ filePath: uploaded.file });
		} catch (err) {
			setProblem(problemText(err));
		} finally {
			setUpload(null);
		}
	};

	const listed = files.some((f) => f.file === filePath);
	return (
		<>
			<label htmlFor={ids.file}>File path</label>
			<div className="file-path-row">
				<input id={ids.file} value={filePath} placeholder="/home/me/show.mp4" disabled={disabled} onChange={(e) => setForm({ filePath: e.target.value })} />
				{canBrowse && (
					<button type="button" className="button" disabled={disabled} onClick={() => void browse()}>
						<FolderOpen size={16} aria-hidden /> Browse…
					</button>
				)}
			</div>
			<label htmlFor={ids.library}>Recordings folder</label>
			<select id={ids.library} value={listed ? filePath : ""} disabled={disabled || files.length === 0} onChange={(e) => e.target.value && setForm({ filePath: e.target.value })}>
				<option value="">{files.length === 0 ? "No media files in the recordings folder" : listed ? "" : "Choose a file…"}</option>
				{files.map((f) => (
					<option key={f.name} value={f.file}>
						{f.name}
					</option>
				))}
			</select>
			{web && (
				<>
					<label htmlFor={ids.upload}>Upload a file</label>
					<div className="file-upload">
						<input
							id={ids.upload}
							type="file"
							accept=".mp4,.mkv,.webm,video/mp4,video/webm,video/x-matroska"
							disabled={disabled || upload !== null}
							onChange={(e) => {
								const input = e.currentTarget;
								void send(input.files?.[0]).finally(() => (input.value = ""));
							}}
						/>
						{upload && <progress max={1} value={upload.fraction} aria-label={`Uploading ${upload.name}`} />}
					</div>
				</>
			)}
			<p className="file-probe" role="status" aria-label="Media file" data-state={probed.state}>
				{probed.state === "ok"
					? probeText(probed.probe)
					: probed.state === "probing"
						? "Reading the file…"
						: probed.state === "failed"
							? probed.message
							: web
								? "Type a path on the studio's machine, choose a file of the recordings folder, or upload one into it."
								: "Type a path, browse for a file, or choose one of the recordings folder."}
			</p>
			{problem && (
				<p className="form-error file-problem" role="alert">
					{problem}
				</p>
			)}
		</>
	);
}
