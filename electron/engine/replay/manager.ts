/**
 * Every playback of a recording in the studio's player: opens, controls, lists and closes them,
 * routes their media channels (same wire format as monitors), emits `playback.state`, and closes
 * playbacks whose renderer never came or went away.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { StudioError } from "../../../shared/errors";
import type { PlaybackControlArgs, PlaybackInfo, PlaybackOpenArgs } from "../../../shared/playback";
import type { EventBus } from "../events";
import type { Log } from "../log/logger";
import { MonitorChannel, type MonitorPeer } from "../monitor/channel";
import type { AttachedMonitorChannel } from "../monitor/manager";
import { RecordingPlayback } from "./playback";
import { resolveRecording } from "./resolve";

/** How often a playing playback reports its position. */
export const PLAYBACK_TICK_MS = 250;
/** A playback whose channel was never opened closes after this long. */
export const PLAYBACK_ATTACH_TIMEOUT_MS = 15_000;
/** A playback whose channel closed (page gone) closes unless it is opened again within this long. */
export const PLAYBACK_DETACH_GRACE_MS = 5_000;

/** What the manager needs from the engine. */
export interface PlaybackManagerOptions {
	events: EventBus;
	log: Log;
	/** The recordings folder. */
	folder: () => string;
	/** Files being recorded now (path to recording id): they cannot be played until finished. */
	activeFiles: () => ReadonlyMap<string, string>;
	attachTimeoutMs?: number;
	detachGraceMs?: number;
}

interface Entry {
	playback: RecordingPlayback;
	timer: ReturnType<typeof setTimeout> | undefined;
}

/** The engine's playbacks of recordings. */
export class PlaybackManager {
	readonly #opts: PlaybackManagerOptions;
	readonly #entries = new Map<string, Entry>();
	readonly #byChannel = new Map<string, Entry>();
	#ticker: ReturnType<typeof setInterval> | undefined;

	constructor(opts: PlaybackManagerOptions) {
		this.#opts = opts;
	}

	/**
	 * Opens a file of the recordings folder for playing. FORBIDDEN, NOT_FOUND, INVALID_ARGUMENT
	 * (see {@link resolveRecording}), IO or MEDIA (unreadable) before anything is created. Nothing is
	 * sent until a renderer opens the returned `channel`.
	 */
	async open(args: PlaybackOpenArgs): Promise<PlaybackInfo> {
		const file = await resolveRecording(this.#opts.folder(), args.name, this.#opts.activeFiles());
		const id = randomUUID();
		const channel = new MonitorChannel(randomBytes(24).toString("base64url"));
		const playback = await RecordingPlayback.open({
			id,
			name: args.name,
			file,
			channel,
			paused: args.paused,
			log: this.#opts.log,
			onChange: () => {
				const entry = this.#entries.get(id);
				if (entry) this.#emit(entry);
			},
		});
		const entry: Entry = { playback, timer: undefined };
		this.#entries.set(id, entry);
		this.#byChannel.set(channel.id, entry);
		this.#arm(entry, this.#opts.attachTimeoutMs ?? PLAYBACK_ATTACH_TIMEOUT_MS, "its channel was never opened");
		this.#ticker ??= setInterval(() => this.#tick(), PLAYBACK_TICK_MS);
		this.#opts.log.info(`playback ${id} opened on ${args.name}`);
		const info = playback.info();
		this.#opts.events.emit("playback.state", info);
		return info;
	}

	/** Plays, pauses and/or seeks (seek first); NOT_FOUND for an unknown id. */
	control(args: PlaybackControlArgs): PlaybackInfo {
		const { playback } = this.#require(args.id);
		if (args.seekS !== undefined) playback.seek(args.seekS);
		if (args.playing !== undefined) playback.setPlaying(args.playing);
		return playback.info();
	}

	/** Closes a playback; NOT_FOUND for an unknown id. */
	async close(id: string): Promise<{ id: string }> {
		await this.#closeEntry(this.#require(id), "closed");
		return { id };
	}

	/** Every open playback, oldest first. */
	list(): PlaybackInfo[] {
		return [...this.#entries.values()].map((e) => e.playback.info());
	}

	/** True when an open playback owns `channel`. */
	owns(channel: string): boolean {
		return this.#byChannel.has(channel);
	}

	/**
	 * Attaches a host's transport to a playback's channel (replacing an earlier one) and starts
	 * sending from where it stands, in a new epoch. NOT_FOUND for a channel no playback owns.
	 */
	attach(channel: string, peer: MonitorPeer): AttachedMonitorChannel {
		const entry = this.#byChannel.get(channel);
		if (!entry) throw new StudioError("NOT_FOUND", "unknown media channel");
		const { playback } = entry;
		this.#disarm(entry);
		playback.channel.attach(peer);
		playback.attached();
		let open = true;
		return {
			receive: (data) => {
				if (open) playback.channel.receive(peer, data);
			},
			closed: () => {
				if (!open) return;
				open = false;
				if (!playback.channel.detach(peer) || playback.closed) return;
				this.#arm(entry, this.#opts.detachGraceMs ?? PLAYBACK_DETACH_GRACE_MS, "its channel closed");
			},
		};
	}

	/** Closes every playback (engine shutdown). */
	async closeAll(): Promise<void> {
		await Promise.all([...this.#entries.values()].map((e) => this.#closeEntry(e, "the studio closed")));
		if (this.#ticker) clearInterval(this.#ticker);
		this.#ticker = undefined;
	}

	#require(id: string): Entry {
		const entry = this.#entries.get(id);
		if (!entry) throw new StudioError("NOT_FOUND", `no playback with id ${JSON.stringify(id)}`);
		return entry;
	}

	#arm(entry: Entry, ms: number, why: string): void {
		this.#disarm(entry);
		entry.timer = setTimeout(() => void this.#closeEntry(entry, why), ms);
	}

	#disarm(entry: Entry): void {
		if (entry.timer) clearTimeout(entry.timer);
		entry.timer = undefined;
	}

	async #closeEntry(entry: Entry, why: string): Promise<void> {
		const { playback } = entry;
		if (playback.closed) return;
		this.#disarm(entry);
		this.#entries.delete(playback.id);
		this.#byChannel.delete(playback.channel.id);
		await playback.close();
		this.#opts.log.info(`playback ${playback.id} closed: ${why}`);
		this.#opts.events.emit("playback.state", playback.info());
		if (this.#entries.size === 0 && this.#ticker) {
			clearInterval(this.#ticker);
			this.#ticker = undefined;
		}
	}

	#emit(entry: Entry): void {
		if (!entry.playback.closed) this.#opts.events.emit("playback.state", entry.playback.info());
	}

	#tick(): void {
		for (const entry of this.#entries.values()) if (entry.playback.playing) this.#emit(entry);
	}
}
