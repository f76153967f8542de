/**
 * Go Live's microphone meter: peak and RMS per channel (dBFS) of the chosen microphone, before
 * going live (a preview capture of that device, audio only) and while live (the live capture's
 * own track, so it shows what is being sent). Reads the store with narrow selectors; the levels
 * reach the canvas without re-rendering React.
 */
import { useEffect, useState } from "react";
import { Meter } from "../monitor/Meter";
import { MicLevels } from "./mic-levels";
import { useGoLive } from "./store";

/** Constraints of the preview capture: the same processing as the live capture (none), so the meter reads what will be sent. */
function previewConstraints(deviceId: string): MediaTrackConstraints {
	return { deviceId: deviceId ? { exact: deviceId } : undefined, sampleRate: 48_000, echoCancellation: false, noiseSuppression: false, autoGainControl: false };
}

/** The microphone meter row of the Go Live form (nothing when no microphone is chosen). */
export function MicMeter() {
	const wanted = useGoLive((s) => s.form.audio === "microphone" && s.form.video !== "file");
	const deviceId = useGoLive((s) => s.form.microphoneId);
	const liveTrack = useGoLive((s) => s.live?.stream.getAudioTracks()[0] ?? null);
	const [levels] = useState(() => new MicLevels());
	const [problem, setProblem] = useState<string | null>(null);

	useEffect(() => {
		levels.onError = setProblem;
		return () => levels.dispose();
	}, [levels]);

	// While live, the live capture's own track; before, a preview capture of the chosen device
	// (kept while starting, so the meter does not drop out); otherwise nothing. The meter meters a
	// clone, so a capture stopped here or by Go Live leaves it running until the next track comes.
	useEffect(() => {
		if (liveTrack) {
			levels.setTrack(liveTrack);
			return;
		}
		if (!wanted) {
			levels.setTrack(null);
			return;
		}
		let cancelled = false;
		let stream: MediaStream | undefined;
		setProblem(null);
		navigator.mediaDevices.getUserMedia({ audio: previewConstraints(deviceId), video: false }).then(
			(s) => {
				stream = s;
				if (cancelled) return s.getTracks().forEach((t) => t.stop());
				levels.setTrack(s.getAudioTracks()[0] ?? null);
				// Device labels show only once capture was allowed.
				void useGoLive.getState().loadDevices();
			},
			(err: unknown) => {
				if (!cancelled) setProblem(`The microphone is not available: ${err instanceof Error ? err.message : String(err)}`);
			},
		);
		return () => {
			cancelled = true;
			stream?.getTracks().forEach((t) => t.stop());
		};
	}, [levels, liveTrack, wanted, deviceId]);

	if (!wanted && !liveTrack) return null;
	return (
		<>
			<span className="mic-meter-label" aria-hidden>
				Level
			</span>
			<div className="mic-meter">
				<Meter source={levels} label="Microphone level" orientation="horizontal" className="mic-meter-bar" />
				{problem && (
					<p className="form-error" role="alert">
						{problem}
					</p>
				)}
			</div>
		</>
	);
}
