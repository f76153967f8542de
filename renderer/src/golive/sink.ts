/**
 * Sends one track's encoded chunks to the engine with credit-based backpressure.
 *
 * The engine acknowledges every chunk. When too many are unacknowledged (the engine or the
 * link to it fell behind), the sink stops queueing and skips to the next keyframe, so a slow
 * engine costs a skipped GOP instead of growing memory and latency without bound.
 */
import { encodeMediaFrame } from "../../../shared/media";
import type { SinkTarget } from "./protocol";

/** Unacknowledged chunks beyond which the sink starts skipping. */
export const MAX_INFLIGHT = 90;
/** Bytes buffered in a WebSocket beyond which the sink starts skipping. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Counters of a sink. */
export interface SinkStats {
	/** Chunks sent to the engine. */
	sent: number;
	/**
	 * Chunks never sent: skipped while congested until the next keyframe, or held for the channel
	 * to open and then replaced by a newer GOP (or past the hold's bound).
	 */
	dropped: number;
	/** Chunks held until the channel opens; they are sent, or counted as dropped, later. */
	pending: number;
	bytes: number;
	inflight: number;
	skipping: boolean;
}

/** A track's connection to the engine. */
export class MediaSink {
	#send: ((data: ArrayBuffer) => void) | undefined;
	#buffered: () => number = () => 0;
	#close: () => void = () => {};
	#sequence = 0;
	#acked = -1;
	#skipping = true; // every track starts at a keyframe
	// The current GOP, kept while the channel opens so going live does not wait a whole GOP.
	#pending: { data: Uint8Array; timestampUs: number; keyframe: boolean }[] = [];
	readonly stats: SinkStats = { sent: 0, dropped: 0, pending: 0, bytes: 0, inflight: 0, skipping: true };
	onError: (message: string) => void = () => {};

	#open = true;

	/** Connects to the engine; the GOP in progress is sent once the connection opens. */
	attach(target: SinkTarget): void {
		if (target.kind === "websocket") {
			const ws = new WebSocket(target.url);
			ws.binaryType = "arraybuffer";
			ws.onopen = () => {
				this.#send = (data) => ws.send(data);
				this.#buffered = () => ws.bufferedAmount;
				this.#flushPending();
			};
			ws.onmessage = (ev: MessageEvent) => this.#onAck(ev.data);
			ws.onclose = (ev: CloseEvent) => {
				this.#send = undefined;
				this.#open = false;
				if (ev.code !== 1000) this.onError(ev.reason || `media channel closed (${ev.code})`);
			};
			this.#close = () => ws.close(1000);
		} else {
			const port = target.port;
			port.onmessage = (ev: MessageEvent) => this.#onAck(ev.data);
			port.start();
			this.#send = (data) => port.postMessage(data, [data]);
			this.#close = () => port.close();
			this.#flushPending();
		}
	}

	#flushPending(): void {
		const pending = this.#pending;
		this.#pending = [];
		this.stats.pending = 0;
		for (const p of pending) this.push(p.data, p.timestampUs, p.keyframe);
	}

	#onAck(data: unknown): void {
		try {
			const msg = (typeof data === "string" ? JSON.parse(data) : data) as { ack?: unknown; error?: unknown };
			if (typeof msg.ack === "number") this.#acked = Math.max(this.#acked, msg.ack);
			if (typeof msg.error === "string") this.onError(msg.error);
		} catch {
			// Not an ack; ignore.
		}
	}

	/** Sends one encoded chunk, or drops it (returns false) while congested until the next keyframe. */
	push(data: Uint8Array, timestampUs: number, keyframe: boolean): boolean {
		if (!this.#send && this.#open) {
			// Only the newest GOP is worth sending once the channel opens; every chunk given up on
			// here counts as dropped, or the counters would not add up (issue 14).
			if (keyframe) {
				this.stats.dropped += this.#pending.length;
				this.#pending = [];
			}
			if (this.#pending.length < 600 && (keyframe || this.#pending.length > 0)) this.#pending.push({ data, timestampUs, keyframe });
			else this.stats.dropped++;
			this.stats.pending = this.#pending.length;
			return false;
		}
		const inflight = this.#sequence - 1 - this.#acked;
		this.stats.inflight = inflight;
		const congested = !this.#send || inflight > MAX_INFLIGHT || this.#buffered() > MAX_BUFFERED_BYTES;
		if (congested) this.#skipping = true;
		else if (this.#skipping && keyframe) this.#skipping = false;
		this.stats.skipping = this.#skipping;
		if (this.#skipping) {
			this.stats.dropped++;
			return false;
		}
		const frame = encodeMediaFrame({ sequence: this.#sequence++, keyframe, timestampUs, payload: data });
		this.#send!(frame);
		this.stats.sent++;
		this.stats.bytes += data.byteLength;
		return true;
	}

	/** Closes the connection. */
	close(): void {
		this.#open = false;
		this.stats.dropped += this.#pending.length;
		this.#pending = [];
		this.stats.pending = 0;
		this.#close();
		this.#send = undefined;
	}
}
