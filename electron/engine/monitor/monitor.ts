/**
 * One monitor: follows the broadcast at a path of an origin across announcements (each
 * (re)announcement is a new epoch), reads its catalog, and while a renderer is attached to its
 * channel forwards the chosen renditions. It holds MoQ subscriptions only while they are needed
 * and releases every one of them when it closes.
 */
import type * as Moq from "@moq/net";
import { StudioError, type StudioErrorInfo } from "../../../shared/errors";
import { MONITOR_STALL_MS, type MonitorInfo, type MonitorRendition, type MonitorState } from "../../../shared/monitor";
import type { Catalog } from "../hang/catalog";
import { CatalogConsumer } from "../hang/catalog-track";
import type { Log } from "../log/logger";
import { sleep } from "../sleep";
import type { OriginBroadcast, RemoteBroadcast } from "../origins/broadcast";
import type { OriginRegistry } from "../origins/registry";
import type { MonitorChannel } from "./channel";
import { TrackForwarder, wallClockMs } from "./forwarder";
import { flattenRenditions, monitorConfig, pickRendition, type RenditionChoice, type Selection } from "./renditions";
import { TrackMeter } from "./track-stats";

/** How long a monitor waits before subscribing to a catalog again after its subscription was reset. */
export const CATALOG_RETRY_MS = 1000;

/** What a monitor is made of. */
export interface MonitorOptions {
	id: string;
	channel: MonitorChannel;
	originId: string;
	path: string;
	video: RenditionChoice;
	audio: RenditionChoice;
	origins: OriginRegistry;
	log: Log;
	/** Called after every change a renderer should hear about (state, epoch, catalog, selection). */
	onChange: () => void;
}

/** One followed instance of the broadcast. */
interface Epoch {
	number: number;
	broadcast: OriginBroadcast;
	consumer: Moq.Broadcast.Consumer;
	/** Replaced when the catalog subscription is reset while the broadcast stays announced. */
	catalog: CatalogConsumer;
	latest: Catalog | undefined;
	/** True once a usable catalog made this epoch live. */
	live: boolean;
}

/** A monitor of one broadcast path. */
export class Monitor {
	readonly id: string;
	readonly channel: MonitorChannel;
	readonly originId: string;
	readonly path: string;
	readonly openedAt = Date.now();
	readonly #opts: MonitorOptions;
	readonly #choice: { video: RenditionChoice; audio: RenditionChoice };
	readonly #meters = new Map<string, TrackMeter>();
	#state: MonitorState = "waiting";
	#error: StudioErrorInfo | null = null;
	#epochCount = 0;
	#epoch: Epoch | undefined;
	#raw: unknown = null;
	#renditions: MonitorRendition[] = [];
	#selection: Selection = { video: null, audio: null };
	#forwarders: TrackForwarder[] = [];
	// The config message the running forwarders were announced with; undefined when none run.
	#forwarding: string | undefined;
	#forwardingSince = 0;
	#lastFrameAt = 0;
	#unwatch: () => void = () => {};
	#closed = false;

	/** Starts following; NOT_FOUND when the origin does not exist. */
	constructor(opts: MonitorOptions) {
		this.#opts = opts;
		this.id = opts.id;
		this.channel = opts.channel;
		this.originId = opts.originId;
		this.path = opts.path;
		this.#choice = { video: opts.video, audio: opts.audio };
		this.#unwatch = opts.origins.watch(opts.originId, ({ broadcast, active }) => {
			if (!active || broadcast.path !== this.path || broadcast.ended || broadcast === this.#epoch?.broadcast) return;
			this.#follow(broadcast);
		});
	}

	/** True once closed. */
	get closed(): boolean {
		return this.#closed;
	}

	/** The monitor as the contract shows it. */
	info(now = Date.now()): MonitorInfo {
		const tracks = [];
		for (const name of [this.#selection.video, this.#selection.audio]) {
			const meter = name === null ? undefined : this.#meters.get(name);
			if (meter) tracks.push(meter.stats(now));
		}
		return {
			id: this.id,
			channel: this.channel.id,
			originId: this.originId,
			path: this.path,
			state: this.#state,
			epoch: this.#epochCount,
			openedAt: this.openedAt,
			catalog: this.#raw,
			renditions: this.#renditions,
			video: this.#selection.video,
			audio: this.#selection.audio,
			tracks,
			error: this.#error,
			...(this.#closed ? { closed: true } : {}),
		};
	}

	/**
	 * Switches renditions (`undefined` keeps a kind's current choice). Against a known catalog an
	 * unknown name is NOT_FOUND, a name of the other kind INVALID_ARGUMENT, an unplayable one
	 * UNSUPPORTED, and nothing changes. The renderer gets a new config message, then video from the
	 * next group start.
	 */
	select(video: RenditionChoice, audio: RenditionChoice): void {
		const next = { video: video === undefined ? this.#choice.video : video, audio: audio === undefined ? this.#choice.audio : audio };
		if (this.#epoch?.latest) {
			// Validate both before changing anything.
			pickRendition(this.#renditions, "video", next.video);
			pickRendition(this.#renditions, "audio", next.audio);
		}
		this.#choice.video = next.video;
		this.#choice.audio = next.audio;
		if (this.#epoch?.latest) this.#apply(this.#epoch, true);
		this.#opts.onChange();
	}

	/** A renderer attached to the channel: start forwarding (config first). */
	attached(): void {
		if (this.#epoch?.latest) this.#restartForwarding(this.#epoch);
	}

	/** The renderer went away: release the track subscriptions (the catalog stays followed). */
	detached(): void {
		this.#stopForwarding();
	}

	/** Periodic check (about 2 Hz): an announced broadcast with no frame for a while is stalled. */
	tick(now = Date.now()): void {
		if (this.#state !== "live" || this.#forwarders.length === 0) return;
		if (now - Math.max(this.#lastFrameAt, this.#forwardingSince) > MONITOR_STALL_MS) this.#setState("stalled");
	}

	/** Stops following and releases every subscription and consumer. Idempotent. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#unwatch();
		this.#endEpoch();
		this.channel.close();
	}

	#follow(broadcast: OriginBroadcast): void {
		if (this.#closed) return;
		this.#endEpoch();
		const consumer = broadcast.consume();
		const epoch: Epoch = { number: ++this.#epochCount, broadcast, consumer, catalog: new CatalogConsumer(consumer), latest: undefined, live: false };
		this.#epoch = epoch;
		for (const meter of this.#meters.values()) meter.newEpoch();
		this.#opts.log.debug(`${this.path}: following epoch ${epoch.number}`);
		void this.#readCatalogs(epoch);
		void broadcast.done.then(() => {
			if (this.#epoch !== epoch) return;
			// A dropped connection may bring the broadcast back (stalled until then); an unannounce
			// or a local producer closing is the publisher ending it (ended, resumed on re-announce).
			const disconnected = (broadcast as Partial<RemoteBroadcast>).endReason === "disconnected";
			this.#endEpoch();
			this.#setState(disconnected ? "stalled" : "ended");
		});
		this.#opts.onChange();
	}

	async #readCatalogs(epoch: Epoch): Promise<void> {
		for (;;) {
			try {
				for (;;) {
					const catalog = await epoch.catalog.next();
					if (this.#epoch !== epoch) return;
					if (!catalog) return; // the catalog track ended: the broadcast is ending
					epoch.latest = catalog;
					this.#raw = epoch.catalog.raw ?? null;
					this.#apply(epoch, false);
				}
			} catch (err) {
				if (this.#epoch !== epoch || epoch.broadcast.ended) return;
				const error = StudioError.from(err, "PROTOCOL");
				if (error.codeName === "MEDIA") {
					// The publisher wrote a catalog this app cannot read: nothing to play until it
					// writes another (a later version, or a new announcement).
					this.#opts.log.warn(`${this.path}: unusable catalog: ${error.message}`);
					this.#stopForwarding();
					this.#error = error.toInfo();
					this.#setState("failed", true);
					epoch.latest = undefined;
					continue; // the same subscription brings the next version
				}
				// A subscription reset while the broadcast stays announced: subscribe again.
				this.#opts.log.debug(`${this.path}: catalog subscription ended (${error.message}); subscribing again`);
				await sleep(CATALOG_RETRY_MS);
				if (this.#epoch !== epoch || this.#closed) return;
				epoch.catalog.close();
				epoch.catalog = new CatalogConsumer(epoch.consumer);
			}
		}
	}

	/** Applies the epoch's latest catalog: renditions, selection, forwarding, state. */
	#apply(epoch: Epoch, force: boolean): void {
		const catalog = epoch.latest as Catalog;
		this.#renditions = flattenRenditions(catalog);
		this.#selection = { video: this.#pick("video"), audio: this.#pick("audio") };
		if (this.#renditions.length > 0 && !this.#renditions.some((r) => r.playable)) {
			this.#stopForwarding();
			this.#error = new StudioError("UNSUPPORTED", "no rendition of this broadcast uses a container the monitor can play").toInfo();
			this.#setState("failed", true);
			return;
		}
		this.#error = null;
		// The epoch's first usable catalog makes it live; later versions leave a stall to the frames.
		if (!epoch.live || this.#state === "failed") {
			epoch.live = true;
			this.#setState("live");
		}
		const config = JSON.stringify(monitorConfig(catalog, this.#selection, epoch.number));
		if (this.channel.attached && (force || config !== this.#forwarding)) this.#restartForwarding(epoch);
		this.#opts.onChange();
	}

	/** The engine's pick for a kind; a choice the catalog no longer has falls back to the pick. */
	#pick(kind: "video" | "audio"): string | null {
		try {
			return pickRendition(this.#renditions, kind, this.#choice[kind]);
		} catch {
			return pickRendition(this.#renditions, kind, undefined);
		}
	}

	#restartForwarding(epoch: Epoch): void {
		this.#stopForwarding();
		const catalog = epoch.latest;
		if (!catalog || !this.channel.attached || this.#state === "failed") return;
		const config = monitorConfig(catalog, this.#selection, epoch.number);
		const json = JSON.stringify(config);
		this.channel.send({
			type: "config",
			keyframe: false,
			discontinuity: true,
			epoch: epoch.number,
			group: 0,
			timestampUs: 0,
			arrivalMs: wallClockMs(),
			payload: new TextEncoder().encode(json),
		});
		this.#forwarding = json;
		this.#forwardingSince = Date.now();
		for (const kind of ["video", "audio"] as const) {
			const track = config[kind]?.track;
			if (!track) continue;
			let meter = this.#meters.get(track);
			if (!meter) {
				meter = new TrackMeter(track, kind);
				this.#meters.set(track, meter);
			}
			this.#forwarders.push(
				new TrackForwarder({
					consumer: epoch.consumer,
					track,
					kind,
					epoch: epoch.number,
					channel: this.channel,
					meter,
					log: this.#opts.log,
					onFrame: () => this.#frameArrived(epoch),
				}),
			);
		}
	}

	#frameArrived(epoch: Epoch): void {
		this.#lastFrameAt = Date.now();
		if (this.#epoch === epoch && this.#state === "stalled") this.#setState("live");
	}

	#stopForwarding(): void {
		for (const f of this.#forwarders.splice(0)) f.close();
		this.#forwarding = undefined;
	}

	#endEpoch(): void {
		this.#stopForwarding();
		const epoch = this.#epoch;
		if (!epoch) return;
		this.#epoch = undefined;
		epoch.catalog.close();
		epoch.consumer.close();
	}

	#setState(state: MonitorState, always = false): void {
		if (this.#state === state && !always) return;
		this.#state = state;
		if (state !== "failed") this.#error = null;
		this.#opts.onChange();
	}
}
