/**
 * Forwards one track of a followed broadcast to a monitor's channel: subscribes from the latest
 * group, strips the hang legacy container and sends each frame, skipping (never queueing) while
 * the renderer is behind. Video only ever starts at a group's first frame, so every run the
 * renderer decodes begins with a keyframe.
 */
import type * as Moq from "@moq/net";
import { StudioError } from "../../../shared/errors";
import { decodeLegacyFrame } from "../hang/container";
import { PRIORITY } from "../hang/catalog";
import type { Log } from "../log/logger";
import type { MonitorChannel } from "./channel";
import type { TrackMeter } from "./track-stats";

/** What a forwarder needs. */
export interface ForwarderOptions {
	consumer: Moq.Broadcast.Consumer;
	track: string;
	kind: "video" | "audio";
	epoch: number;
	channel: MonitorChannel;
	meter: TrackMeter;
	log: Log;
	/** Called for every frame that arrives (forwarded or skipped): the monitor's liveness. */
	onFrame: () => void;
}

/** The engine wall clock in fractional milliseconds since the Unix epoch. */
export function wallClockMs(): number {
	return performance.timeOrigin + performance.now();
}

/** One track's subscription while a renderer watches it; `close` releases it upstream. */
export class TrackForwarder {
	readonly track: string;
	readonly kind: "video" | "audio";
	readonly #opts: ForwarderOptions;
	readonly #sub: Moq.Track.Subscriber;
	#closed = false;
	// Every run starts after a gap: a new subscription, epoch or rendition.
	#discontinuity = true;
	#badFrames = 0;
	/** Settles when the read loop has stopped. */
	readonly done: Promise<void>;

	constructor(opts: ForwarderOptions) {
		this.#opts = opts;
		this.track = opts.track;
		this.kind = opts.kind;
		this.#sub = opts.consumer.track(opts.track).subscribe({ priority: PRIORITY[opts.kind] });
		this.done = this.#run().catch((err: unknown) => {
			if (!this.#closed) opts.log.debug(`track ${opts.track} ended: ${StudioError.from(err, "PROTOCOL").message}`);
		});
	}

	/** Stops reading and unsubscribes. Idempotent. */
	close(): void {
		this.#closed = true;
		this.#sub.close();
	}

	async #run(): Promise<void> {
		while (!this.#closed) {
			const group = await this.#sub.nextGroup();
			if (!group || this.#closed) return;
			try {
				await this.#readGroup(group);
			} finally {
				group.close();
			}
		}
	}

	async #readGroup(group: Moq.Group.Consumer): Promise<void> {
		const { channel, meter, kind } = this.#opts;
		// Video sends a group only from its first frame, and stops for the rest of it once the
		// renderer falls behind; audio frames are independent and drop one by one.
		let sending: boolean | undefined;
		for (;;) {
			const frame = await group.readFrameSequence();
			if (!frame || this.#closed) return;
			const arrivalMs = wallClockMs();
			let timestampUs: number;
			let payload: Uint8Array;
			try {
				({ timestampUs, payload } = decodeLegacyFrame(frame.payload));
			} catch (err) {
				if (this.#badFrames++ === 0) this.#opts.log.warn(`track ${this.track}: ${StudioError.from(err, "PROTOCOL").message}`);
				this.#discontinuity = true;
				if (kind === "video") sending = false;
				continue;
			}
			const groupStart = frame.sequence === 0;
			meter.frame(arrivalMs, timestampUs, payload.byteLength, groupStart);
			this.#opts.onFrame();
			if (payload.byteLength === 0) continue; // a hang marker, not a sample
			if (kind === "video") {
				if (sending === undefined) {
					// Joined mid-group (the relay evicted its head): wait for the next group.
					sending = groupStart;
					if (!sending) this.#discontinuity = true;
				}
				if (sending && channel.congested("video")) {
					sending = false;
					meter.skippedGroup();
					this.#discontinuity = true;
				}
				if (!sending) continue;
			} else if (channel.congested("audio")) {
				meter.skippedFrame();
				this.#discontinuity = true;
				continue;
			}
			const sent = channel.send({
				type: kind,
				keyframe: groupStart,
				discontinuity: this.#discontinuity,
				epoch: this.#opts.epoch,
				group: group.sequence,
				timestampUs,
				arrivalMs,
				payload,
			});
			if (sent) this.#discontinuity = false;
		}
	}
}
