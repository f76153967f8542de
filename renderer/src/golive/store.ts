/**
 * The Go Live state of this window: the form, the devices, and the running live session.
 */
import { create } from "zustand";
import type { LiveEndReason } from "../../../shared/media";
import type { FilePublishInfo } from "../../../shared/recordings";
import { errorText } from "../lib/errors";
import { requireApi } from "../stores/host";
import { goLive, type AudioSource, type LiveSession, type VideoSource } from "./controller";
import { PRESETS, type VideoPreset } from "./presets";
import type { RenditionCount } from "./simulcast";
import { useScenes } from "./compositor/scenes-store";
import { mixerProgramTrack } from "./mixer/store";

/** The form's fields. */
export interface GoLiveForm {
	originId: string;
	path: string;
	/** A capture source, or a media file published as it is (no re-encoding). */
	video: VideoSource["kind"] | "file";
	/** The media file's path on the engine's machine. */
	filePath: string;
	loop: boolean;
	cameraId: string;
	/** A microphone as it is, the audio mixer's program (issue 16), or none. */
	audio: Exclude<AudioSource["kind"], "track"> | "mixer";
	microphoneId: string;
	presetId: string;
	custom: VideoPreset;
	/** Simulcast (issue 16): how many video renditions to publish (simulcast.ts plans them). */
	renditions: RenditionCount;
}

/** State of the Go Live view. */
export interface GoLiveState {
	form: GoLiveForm;
	cameras: MediaDeviceInfo[];
	microphones: MediaDeviceInfo[];
	phase: "idle" | "starting" | "live" | "stopping";
	error: string | null;
	live: LiveSession | null;
	/** The running file publication, when the source is a media file. */
	publication: FilePublishInfo | null;
	/** Bumped whenever live counters change, so views re-render. */
	tick: number;
	setForm(patch: Partial<GoLiveForm>): void;
	loadDevices(): Promise<void>;
	start(): Promise<void>;
	stop(): Promise<void>;
}

/** The preset the form selects (the custom one when "custom"). */
export function selectedPreset(form: GoLiveForm): VideoPreset {
	return PRESETS.find((p) => p.id === form.presetId) ?? form.custom;
}

let stopFollowing: (() => void) | undefined;

/** What the form says when the engine ended this window's broadcast without being asked here. */
const ENDED_BECAUSE: Record<LiveEndReason, string> = {
	stopped: "This broadcast was stopped from another window.",
	orphaned: "This broadcast ended because its media connection to the studio was lost.",
	replaced: "This broadcast was taken over by another Go Live at the same path.",
};


/** The program of the Scenes panel as the video source (issue 16); it opens with the panel. */
function sceneSource(): VideoSource {
	const program = useScenes.getState().program;
	if (!program) throw new Error("the scenes' program is not running: open the Scenes panel");
	return { kind: "scene", program };
}

/** Publishes a media file into the origin (the engine demuxes it; nothing is re-encoded). */
async function startFile(form: GoLiveForm): Promise<void> {
	const set = useGoLive.setState;
	try {
		const api = requireApi();
		const publication = await api.invoke("publishing.start", { originId: form.originId, path: form.path.trim(), file: form.filePath.trim(), loop: form.loop });
		stopFollowing = api.on("publishing.progress", (update) => {
			if (update.id !== publication.id) return;
			if (update.state === "failed") {
				stopFollowing?.();
				set({ publication: null, phase: "idle", error: update.error ? errorText(update.error) : "Publishing the file failed." });
			} else if (update.state === "finished") {
				stopFollowing?.();
				set({ publication: null, phase: "idle" });
			} else set({ publication: update });
		});
		set({ publication, phase: "live" });
	} catch (err) {
		set({ phase: "idle", error: errorText(err) });
	}
}

/** The Go Live store. */
export const useGoLive = create<GoLiveState>()((set, get) => ({
	form: {
		originId: "",
		path: "live/studio.hang",
		video: "camera",
		filePath: "",
		loop: true,
		cameraId: "",
		audio: "microphone",
		microphoneId: "",
		presetId: "720p30",
		custom: { id: "custom", label: "Custom", width: 1280, height: 720, framerate: 30, bitrate: 2_500_000, keyframeInterval: 60 },
		renditions: 1,
	},
	cameras: [],
	microphones: [],
	phase: "idle",
	error: null,
	live: null,
	publication: null,
	tick: 0,
	setForm(patch) {
		set({ form: { ...get().form, ...patch } });
	},
	async loadDevices() {
		try {
			const devices = await navigator.mediaDevices.enumerateDevices();
			set({ cameras: devices.filter((d) => d.kind === "videoinput"), microphones: devices.filter((d) => d.kind === "audioinput") });
		} catch {
			// No device access (yet): the pickers offer the default devices.
		}
	},
	async start() {
		const { form, phase } = get();
		if (phase !== "idle") return;
		set({ phase: "starting", error: null });
		if (form.video === "file") return startFile(form);
		let mixed: MediaStreamTrack | undefined;
		try {
			if (form.audio === "mixer") mixed = await mixerProgramTrack();
			const live = await goLive(requireApi(), {
				originId: form.originId,
				path: form.path.trim(),
				video: form.video === "scene" ? sceneSource() : form.video === "camera" ? { kind: "camera", deviceId: form.cameraId || undefined } : { kind: form.video === "screen" ? "screen" : "none" },
				audio: form.audio === "microphone" ? { kind: "microphone", deviceId: form.microphoneId || undefined } : mixed ? { kind: "track", track: mixed } : { kind: "none" },
				preset: selectedPreset(form),
				renditions: form.renditions,
			});
			live.onStats = () => set({ tick: get().tick + 1 });
			live.onError = (message) => set({ error: message });
			live.onEnded = (reason) => {
				if (get().live !== live) return;
				set({
					live: null,
					phase: "idle",
					error: ENDED_BECAUSE[reason],
				});
			};
			set({ live, phase: "live" });
			// Labels are only visible once capture was allowed.
			void get().loadDevices();
		} catch (err) {
			mixed?.stop();
			set({ phase: "idle", error: errorText(err) });
		}
	},
	async stop() {
		const { live, publication } = get();
		if (publication) {
			set({ phase: "stopping" });
			await requireApi()
				.invoke("publishing.stop", { id: publication.id })
				.catch(() => undefined);
			stopFollowing?.();
			set({ publication: null, phase: "idle" });
			return;
		}
		if (!live) return;
		set({ phase: "stopping" });
		await live.stop();
		set({ live: null, phase: "idle" });
	},
}));
