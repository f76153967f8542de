/**
 * The Go Live audio mixer's state (issue 16): its strips (one per source, with gain, mute and
 * solo, saved in the engine's preferences), the running mixer graph, and the captures feeding
 * it. The graph runs while the mixer panel is open or a broadcast encodes its program, and
 * closes (captures stopped) once neither is true.
 */
import { create } from "zustand";
import { errorText } from "../../lib/errors";
import { requireApi } from "../../stores/host";
import { AudioMixer, type Levels } from "./mixer";
import { MAX_MIXER_INPUTS } from "./protocol";
import { MAX_GAIN_DB, MIN_GAIN_DB, sourceKey, stripsFromPreferences, stripsToPreferences, type MixerSource, type SavedStrip } from "./settings";

/** One strip of the mixer. */
export interface MixerStrip extends SavedStrip {
	/** {@link sourceKey} of its source: one strip per source. */
	id: string;
	/** Its levels once its capture runs (after gain, before mute). */
	levels: Levels | null;
	/** Why its capture is not running, readable. */
	error: string | null;
}

/** State of the mixer. */
export interface MixerState {
	strips: MixerStrip[];
	/** The program's levels while the mixer runs. */
	program: Levels | null;
	/** False while the autoplay rules hold the audio thread (until a click in the page). */
	running: boolean;
	/** Why the mixer itself is not running, readable. */
	error: string | null;
	/** Opens the mixer for a view; returns the release for that view. */
	open(): () => void;
	/** Starts the audio thread (from a user gesture). */
	resume(): Promise<void>;
	/** Adds a strip for `source` (nothing when it has one already). */
	add(source: MixerSource): Promise<void>;
	/** Opens strip `id`'s capture again (after an error; a shared screen needs this click to ask again). */
	retry(id: string): Promise<void>;
	/** Removes strip `id` and stops its capture. */
	remove(id: string): void;
	/** Changes strip `id`'s gain, mute or solo; saved shortly after. */
	setFader(id: string, patch: Partial<Pick<SavedStrip, "gainDb" | "muted" | "solo">>): void;
}

let mixer: AudioMixer | null = null;
let opening: Promise<AudioMixer> | null = null;
let holders = 0;
let closeTimer: ReturnType<typeof setInterval> | undefined;
/** The capture feeding each strip. */
const captures = new Map<string, MediaStream>();
let loaded = false;
let saveTimer: ReturnType<typeof setTimeout> | undefined;

/** The strips of a fresh install: the default microphone at 0 dB. */
const DEFAULT_STRIPS: SavedStrip[] = [{ source: { kind: "microphone", deviceId: "" }, gainDb: 0, muted: false, solo: false }];

function toStrip(saved: SavedStrip): MixerStrip {
	return { ...saved, id: sourceKey(saved.source), levels: null, error: null };
}

function save(): void {
	if (saveTimer) clearTimeout(saveTimer);
	saveTimer = setTimeout(() => {
		saveTimer = undefined;
		const strips = useMixer
			.getState()
			.strips.filter((s) => s.source.kind !== "remote")
			.map(({ source, gainDb, muted, solo }) => ({ source, gainDb, muted, solo }));
		requireApi()
			.invoke("preferences.set", { preferences: stripsToPreferences(strips) })
			.catch((err: unknown) => useMixer.setState({ error: `The mixer settings were not saved: ${errorText(err)}` }));
	}, 300);
}

/** Captures `source`'s audio (no processing: the mix is what the source gives). */
async function capture(source: MixerSource): Promise<MediaStream> {
	if (source.kind === "microphone") {
		return navigator.mediaDevices.getUserMedia({
			audio: { deviceId: source.deviceId ? { exact: source.deviceId } : undefined, sampleRate: 48_000, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
			video: false,
		});
	}
	// Browsers share audio only along with a picture; the picture is not used here.
	const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
	if (stream.getAudioTracks().length === 0) {
		stream.getTracks().forEach((t) => t.stop());
		throw new Error("the shared screen or window has no audio: share a tab (or a screen) with its audio");
	}
	return stream;
}

function patchStrip(id: string, patch: Partial<MixerStrip>): void {
	useMixer.setState((s) => ({ strips: s.strips.map((x) => (x.id === id ? { ...x, ...patch } : x)) }));
}

/**
 * A remote scene source's decoded sound, offered to the mixer (see {@link addRemoteAudio}): the
 * decode worker's format, and how to hand it the port of the mixer input that plays it.
 */
export interface RemoteAudioFeed {
	/** The source's key (compositor/source-key.ts): one strip per source. */
	key: string;
	/** What the user calls the source: the broadcast's path or the file's name. */
	label: string;
	sampleRate: number;
	channels: number;
	/** Gives the decode worker the port to send its PCM to (replacing any earlier one). */
	attach(port: MessagePort): void;
}

/** The remote sources offering sound now, by strip id. */
const feeds = new Map<string, RemoteAudioFeed>();
/** Faders of remote strips, by strip id, kept while the page lives: a source that reopens keeps its gain. */
const remoteFaders = new Map<string, Pick<SavedStrip, "gainDb" | "muted" | "solo">>();

/**
 * Makes a remote scene source's sound a strip of the mixer (gain, mute, solo, meter, like a
 * microphone's) until the returned release is called. Its PCM flows into the mix only while
 * the mixer runs; otherwise the decoder only meters. Calling again for the same key (a new
 * format, a reopened source) replaces the feed and keeps the strip's fader.
 */
export function addRemoteAudio(feed: RemoteAudioFeed): () => void {
	const source: MixerSource = { kind: "remote", key: feed.key, label: feed.label };
	const id = sourceKey(source);
	feeds.set(id, feed);
	const fader = remoteFaders.get(id) ?? { gainDb: 0, muted: false, solo: false };
	const existing = useMixer.getState().strips.find((s) => s.id === id);
	const strip: MixerStrip = existing ?? { ...toStrip({ source, ...fader }) };
	if (!existing) useMixer.setState((s) => ({ strips: [...s.strips, strip] }));
	if (mixer) void connect(mixer, strip);
	return () => {
		if (feeds.get(id) !== feed) return;
		feeds.delete(id);
		mixer?.removeSource(id);
		useMixer.setState((s) => ({ strips: s.strips.filter((x) => x.id !== id) }));
	};
}

/** Opens the capture of strip `id` (or its remote source's feed) and connects it to the mixer. */
async function connect(m: AudioMixer, strip: MixerStrip): Promise<void> {
	if (strip.source.kind === "remote") {
		const feed = feeds.get(strip.id);
		const current = useMixer.getState().strips.find((s) => s.id === strip.id);
		if (!feed || !current || mixer !== m) return;
		try {
			const { levels, port } = m.setRemoteSource(strip.id, feed, current);
			feed.attach(port);
			patchStrip(strip.id, { levels, error: null });
		} catch (err) {
			patchStrip(strip.id, { error: errorText(err) });
		}
		return;
	}
	try {
		const stream = await capture(strip.source);
		const current = useMixer.getState().strips.find((s) => s.id === strip.id);
		// Removed (or the mixer closed) while the capture opened.
		if (!current || mixer !== m) {
			stream.getTracks().forEach((t) => t.stop());
			return;
		}
		captures.get(strip.id)?.getTracks().forEach((t) => t.stop());
		captures.set(strip.id, stream);
		const levels = m.setSource(strip.id, stream, current);
		patchStrip(strip.id, { levels, error: null });
	} catch (err) {
		patchStrip(strip.id, { error: errorText(err) });
	}
}

async function ensureMixer(): Promise<AudioMixer> {
	if (mixer) return mixer;
	opening ??= (async () => {
		if (!loaded) {
			loaded = true;
			const saved = await requireApi()
				.invoke("preferences.get", {})
				.then(stripsFromPreferences, () => []);
			// Remote sources that offered their sound before the saved strips came stay, after them.
			const remote = useMixer.getState().strips.filter((s) => s.source.kind === "remote");
			useMixer.setState({ strips: [...(saved.length > 0 ? saved : DEFAULT_STRIPS).map(toStrip), ...remote] });
		}
		const m = await AudioMixer.create();
		mixer = m;
		m.onStateChange = () => useMixer.setState({ running: m.running });
		useMixer.setState({ program: m.program, running: m.running, error: null });
		for (const strip of useMixer.getState().strips) void connect(m, strip);
		// The view that asked may have gone while the graph was built.
		if (holders === 0) closeWhenUnused();
		return m;
	})().finally(() => {
		opening = null;
	});
	return opening;
}

function closeMixer(): void {
	if (closeTimer) clearInterval(closeTimer);
	closeTimer = undefined;
	mixer?.close();
	mixer = null;
	for (const stream of captures.values()) stream.getTracks().forEach((t) => t.stop());
	captures.clear();
	useMixer.setState((s) => ({ program: null, running: false, strips: s.strips.map((x) => ({ ...x, levels: null })) }));
}

/** Closes the mixer once no view holds it and no broadcast encodes its program. */
function closeWhenUnused(): void {
	if (closeTimer) return;
	closeTimer = setInterval(() => {
		if (holders > 0) {
			clearInterval(closeTimer);
			closeTimer = undefined;
		} else if (!mixer?.outputsInUse) closeMixer();
	}, 1000);
}

/** The mixer store. */
export const useMixer = create<MixerState>()((set, get) => ({
	strips: [],
	program: null,
	running: false,
	error: null,
	open() {
		holders++;
		ensureMixer().then(
			(m) => {
				// A context the autoplay rules hold starts with the first gesture in the page.
				if (!m.running) void m.resume().then(() => set({ running: m.running }));
			},
			(err: unknown) => set({ error: `The audio mixer cannot run: ${errorText(err)}` }),
		);
		let released = false;
		return () => {
			if (released) return;
			released = true;
			holders--;
			if (holders === 0) closeWhenUnused();
		};
	},
	async resume() {
		if (!mixer) return;
		await mixer.resume().catch(() => {});
		set({ running: mixer.running });
	},
	async add(source) {
		const id = sourceKey(source);
		if (get().strips.some((s) => s.id === id)) return;
		if (get().strips.length >= MAX_MIXER_INPUTS) {
			set({ error: `The mixer takes at most ${MAX_MIXER_INPUTS} sources.` });
			return;
		}
		const strip = toStrip({ source, gainDb: 0, muted: false, solo: false });
		set({ strips: [...get().strips, strip] });
		save();
		if (mixer) await connect(mixer, strip);
	},
	async retry(id) {
		const strip = get().strips.find((s) => s.id === id);
		if (!strip || !mixer) return;
		patchStrip(id, { error: null });
		await connect(mixer, strip);
	},
	remove(id) {
		set({ strips: get().strips.filter((s) => s.id !== id) });
		mixer?.removeSource(id);
		captures.get(id)?.getTracks().forEach((t) => t.stop());
		captures.delete(id);
		save();
	},
	setFader(id, patch) {
		const gainDb = patch.gainDb === undefined ? undefined : Math.min(MAX_GAIN_DB, Math.max(MIN_GAIN_DB, patch.gainDb));
		patchStrip(id, { ...patch, ...(gainDb === undefined ? {} : { gainDb }) });
		const strip = get().strips.find((s) => s.id === id);
		if (strip) mixer?.setFader(id, strip);
		if (strip?.source.kind === "remote") remoteFaders.set(id, { gainDb: strip.gainDb, muted: strip.muted, solo: strip.solo });
		else save();
	},
}));

/**
 * A track of the mixer's program for Go Live's Opus encoder: opens the mixer when no view did
 * and starts its audio thread (going live is a click). The caller stops the track when done;
 * the mixer closes after, unless a view still shows it.
 */
export async function mixerProgramTrack(): Promise<MediaStreamTrack> {
	const m = await ensureMixer();
	await m.resume().catch(() => {});
	useMixer.setState({ running: m.running });
	if (!m.running) throw new Error("the audio mixer cannot start: click in the page and try again");
	const track = m.programTrack();
	if (holders === 0) closeWhenUnused();
	return track;
}
