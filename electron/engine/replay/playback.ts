/**
 * One recording played into the studio's player: the file's packets sent on a monitor media
 * channel (the same wire format and credit as a live monitor) at the file's own timing, with
 * play, pause and seek.
 *
 * Each run of sending is an epoch: a `config` message first, then frames from the video
 * keyframe at or before the start point (audio from the same time), the first frame of each
 * track flagged `discontinuity`. A seek or a re-attached renderer starts a new epoch, so the
 * player resets its decoders and never mixes frames of two runs. Nothing is skipped for a slow
 * renderer: sending waits for its acknowledgements and the clock waits with it.
 */
import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input, type EncodedPacket, type InputTrack } from "mediabunny";
import type { MonitorConfig } from "../../../shared/monitor";
import type { PlaybackInfo, PlaybackState } from "../../../shared/playback";
import { StudioError, type StudioErrorInfo } from "../../../shared/errors";
import { audioTrackName, videoTrackName } from "../hang";
import type { Log } from "../log/logger";
import type { MonitorChannel } from "../monitor/channel";
import { openMediaFile, type AudioConfig, type VideoConfig } from "../publish";
import { sleep } from "../sleep";

/** How long sending waits between checks while the renderer's credit is used up. */
const CREDIT_POLL_MS = 10;

interface Lane {
	kind: "video" | "audio";
	packets: AsyncGenerator<EncodedPacket, void, unknown>;
	next: EncodedPacket | undefined;
	/** Running max of timestamps in decode order (B-frames), in µs: when the lane's next packet is due. */
	paceUs: number;
	first: boolean;
	group: number;
}

interface Run {
	epoch: number;
	stop: AbortController;
	done: Promise<void>;
}

/** What a playback needs from its owner. */
export interface PlaybackOptions {
	id: string;
	name: string;
	file: string;
	channel: MonitorChannel;
	/** Start paused: the first picture is sent, then it holds. */
	paused?: boolean;
	/** Called on every change of state, epoch or error (not on every position step). */
	onChange: () => void;
	log: Log;
}

/** A recording being played on a media channel. Create it with {@link RecordingPlayback.open}. */
export class RecordingPlayback {
	readonly id: string;
	readonly name: string;
	readonly channel: MonitorChannel;
	readonly #input: Input;
	readonly #video: { sink: EncodedPacketSink; name: string; config: VideoConfig } | undefined;
	readonly #audio: { sink: EncodedPacketSink; name: string; config: AudioConfig } | undefined;
	readonly #startUs: number;
	readonly #durationS: number;
	readonly #opts: PlaybackOptions;
	#state: PlaybackState;
	/** What the user asked for; `#state` is what is happening. */
	#wantPlaying: boolean;
	#positionUs = 0;
	#epoch = 0;
	#run: Run | undefined;
	#resume: (() => void) | undefined;
	#error: StudioErrorInfo | null = null;
	#closed = false;

	private constructor(
		opts: PlaybackOptions,
		input: Input,
		tracks: { video?: { track: InputTrack; config: VideoConfig }; audio?: { track: InputTrack; config: AudioConfig } },
		startUs: number,
		endUs: number,
	) {
		this.id = opts.id;
		this.name = opts.name;
		this.channel = opts.channel;
		this.#opts = opts;
		this.#input = input;
		this.#video = tracks.video ? { config: tracks.video.config, sink: new EncodedPacketSink(tracks.video.track), name: videoTrackName(0) } : undefined;
		this.#audio = tracks.audio ? { config: tracks.audio.config, sink: new EncodedPacketSink(tracks.audio.track), name: audioTrackName(0) } : undefined;
		this.#startUs = startUs;
		this.#durationS = Math.max(0, (endUs - startUs) / 1e6);
		this.#wantPlaying = !opts.paused;
		this.#state = "paused";
	}

	/**
	 * Opens `file` (IO when unreadable, MEDIA when it is not media or has no playable track) and
	 * waits for a renderer to attach before sending anything.
	 */
	static async open(opts: PlaybackOptions): Promise<RecordingPlayback> {
		// The file publisher's reading of a file decides what is playable, so playback and replay agree.
		const media = await openMediaFile(opts.file);
		let video: { id: number; config: VideoConfig } | undefined;
		let audio: { id: number; config: AudioConfig } | undefined;
		for (const t of media.tracks) {
			if (t.kind === "video") video ??= t;
			else audio ??= t;
		}
		const { startUs, endUs } = media;
		media.close();
		const input = new Input({ source: new FilePathSource(opts.file), formats: ALL_FORMATS });
		try {
			const all = await input.getTracks();
			const byId = (id: number | undefined) => all.find((t) => t.id === id);
			const v = byId(video?.id);
			const a = byId(audio?.id);
			return new RecordingPlayback(
				opts,
				input,
				{ video: v && video ? { track: v, config: video.config } : undefined, audio: a && audio ? { track: a, config: audio.config } : undefined },
				startUs,
				endUs,
			);
		} catch (err) {
			input.dispose();
			throw StudioError.from(err, "MEDIA");
		}
	}

	/** A snapshot for the contract. */
	info(): PlaybackInfo {
		return {
			id: this.id,
			channel: this.channel.id,
			name: this.name,
			state: this.#state,
			positionS: Math.min(this.#durationS, Math.max(0, this.#positionUs / 1e6)),
			durationS: this.#durationS,
			epoch: this.#epoch,
			video: this.#video?.name ?? null,
			audio: this.#audio?.name ?? null,
			error: this.#error,
			...(this.#closed ? { closed: true } : {}),
		};
	}

	/** True once closed. */
	get closed(): boolean {
		return this.#closed;
	}

	/** True while frames are being sent (the manager reports position then). */
	get playing(): boolean {
		return this.#state === "playing";
	}

	/** A renderer attached (first time, or again after a reload): send from where it stands, in a new epoch. */
	attached(): void {
		this.#restart(this.#positionUs);
	}

	/** Plays, or pauses. Playing an ended playback starts it over. */
	setPlaying(playing: boolean): void {
		if (this.#closed) return;
		this.#wantPlaying = playing;
		if (playing && (this.#state === "ended" || this.#state === "failed")) {
			this.#restart(0);
			return;
		}
		if (playing) this.#resume?.();
		else if (this.#state === "playing") this.#setState("paused");
	}

	/** Seeks to `seconds` from the start (clamped): a new epoch from the keyframe at or before it. */
	seek(seconds: number): void {
		if (this.#closed) return;
		const target = Math.min(this.#durationS, Math.max(0, seconds));
		this.#restart(Math.round(target * 1e6));
	}

	/** Stops sending and releases the file. Idempotent. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		const run = this.#run;
		this.#run = undefined;
		run?.stop.abort();
		this.#resume?.();
		await run?.done;
		this.channel.close();
		this.#input.dispose();
	}

	/** Sets the state and reports it; false when it was already `state` (nothing reported). */
	#setState(state: PlaybackState): boolean {
		if (this.#state === state) return false;
		this.#state = state;
		this.#opts.onChange();
		return true;
	}

	/** Ends the running epoch (if any) and starts a new one at `positionUs` (µs from the file's start). */
	#restart(positionUs: number): void {
		const previous = this.#run;
		previous?.stop.abort();
		this.#resume?.();
		const epoch = ++this.#epoch;
		const stop = new AbortController();
		this.#positionUs = positionUs;
		this.#error = null;
		const run: Run = { epoch, stop, done: Promise.resolve() };
		run.done = (async () => {
			await previous?.done;
			if (stop.signal.aborted) return;
			try {
				await this.#send(epoch, positionUs, stop.signal);
			} catch (err) {
				if (stop.signal.aborted) return;
				this.#error = StudioError.from(err, "MEDIA").toInfo();
				this.#opts.log.error(`playback of ${this.name} failed: ${this.#error.message}`);
				this.#setState("failed");
			}
		})();
		this.#run = run;
		this.#opts.onChange();
	}

	/** One epoch: config, then paced frames until the end of the file, an abort, or a failure. */
	async #send(epoch: number, fromUs: number, signal: AbortSignal): Promise<void> {
		const target = (fromUs + this.#startUs) / 1e6;
		const lanes: Lane[] = [];
		let startS = target;
		if (this.#video) {
			const key = (await this.#video.sink.getKeyPacket(target)) ?? (await this.#video.sink.getFirstPacket());
			if (key) {
				startS = key.timestamp;
				const l = await lane("video", this.#video.sink, key);
				if (l.next) lanes.push(l);
			}
		}
		if (this.#audio) {
			const first = (await this.#audio.sink.getPacket(startS)) ?? (await this.#audio.sink.getFirstPacket());
			const l = first ? await lane("audio", this.#audio.sink, first) : undefined;
			if (l?.next) lanes.push(l);
		}
		if (signal.aborted) {
			for (const l of lanes) await l.packets.return(undefined);
			return;
		}
		this.#positionUs = Math.round(startS * 1e6) - this.#startUs;
		if (!this.channel.attached) return; // attached() starts a new epoch when a renderer comes

		const v = this.#video;
		const a = this.#audio;
		const config: MonitorConfig = {
			epoch,
			video: v ? { track: v.name, config: { codec: v.config.codec, description: v.config.description, codedWidth: v.config.codedWidth, codedHeight: v.config.codedHeight } } : null,
			audio: a
				? { track: a.name, config: { codec: a.config.codec, description: a.config.description, sampleRate: a.config.sampleRate, numberOfChannels: a.config.numberOfChannels } }
				: null,
		};
		this.channel.send({
			type: "config",
			keyframe: false,
			discontinuity: true,
			epoch,
			group: 0,
			timestampUs: 0,
			arrivalMs: Date.now(),
			payload: new TextEncoder().encode(JSON.stringify(config)),
		});
		// The position is now the keyframe's, which a paused playback reports nowhere else.
		if (!this.#setState(this.#wantPlaying ? "playing" : "paused")) this.#opts.onChange();

		let anchorWall = performance.now();
		let anchorUs = Math.round(startS * 1e6);
		let sentVideo = false;
		try {
			while (lanes.length > 0) {
				if (signal.aborted) return;
				// Paused: hold once the picture at the start point is out, then count time from the resume.
				if (!this.#wantPlaying && (sentVideo || !this.#video)) {
					this.#setState("paused");
					await new Promise<void>((resolve) => (this.#resume = resolve));
					this.#resume = undefined;
					if (signal.aborted) return;
					anchorWall = performance.now();
					anchorUs = Math.min(...lanes.map(paceOf));
					this.#setState("playing");
				}
				let next = lanes[0] as Lane;
				for (const l of lanes) if (paceOf(l) < paceOf(next)) next = l;
				const packet = next.next as EncodedPacket;
				next.paceUs = paceOf(next);
				const wait = anchorWall + (next.paceUs - anchorUs) / 1000 - performance.now();
				// The first picture of a paused epoch goes at once, so a seek while paused shows it.
				if (wait > 1 && this.#wantPlaying) await sleep(wait, signal);
				while (!signal.aborted && this.channel.attached && this.channel.congested(next.kind)) {
					await sleep(CREDIT_POLL_MS, signal);
					anchorWall += CREDIT_POLL_MS; // the renderer fell behind: the clock waits, nothing is skipped
				}
				if (signal.aborted || !this.channel.attached) return;
				this.channel.send({
					type: next.kind,
					keyframe: next.kind === "audio" || packet.type === "key",
					discontinuity: next.first,
					epoch,
					group: next.kind === "audio" || packet.type === "key" ? ++next.group : next.group,
					timestampUs: Math.round(packet.timestamp * 1e6) - this.#startUs,
					arrivalMs: Date.now(),
					payload: packet.data,
				});
				next.first = false;
				if (next.kind === "video") sentVideo = true;
				this.#positionUs = Math.max(this.#positionUs, next.paceUs - this.#startUs);
				const after = await next.packets.next();
				// A packet cut short (a crash mid-fragment) ends the lane: an interrupted file plays to its last whole packet.
				next.next = after.done || after.value.data.byteLength !== after.value.byteLength ? undefined : after.value;
				if (!next.next) lanes.splice(lanes.indexOf(next), 1);
			}
		} finally {
			for (const l of lanes) await l.packets.return(undefined);
		}
		if (signal.aborted) return;
		this.#positionUs = Math.round(this.#durationS * 1e6);
		this.#setState("ended");
	}
}

async function lane(kind: "video" | "audio", sink: EncodedPacketSink, from: EncodedPacket): Promise<Lane> {
	const packets = sink.packets(from);
	const first = await packets.next();
	return { kind, packets, next: first.done ? undefined : first.value, paceUs: Number.NEGATIVE_INFINITY, first: true, group: 0 };
}

function paceOf(lane: Lane): number {
	return Math.max(lane.paceUs, lane.next ? Math.round(lane.next.timestamp * 1e6) : Number.POSITIVE_INFINITY);
}
