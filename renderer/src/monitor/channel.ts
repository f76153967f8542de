/**
 * The renderer's end of a monitor media channel: the mirror image of the Go Live sink
 * (golive/sink.ts). It reads the engine's binary monitor messages from the web host's `/media`
 * WebSocket or an Electron MessagePort and acknowledges what it took, so the engine knows how far
 * behind this player is and skips to the next group rather than queueing when it falls behind.
 *
 * Acknowledgements are coalesced: one per task at most, carrying the highest sequence taken, and
 * sent as soon as messages are taken, for audio and video alike. They measure the link and this
 * thread, not the decoder: a decoder that falls behind skips to the next keyframe itself, bounded
 * by time (decode.worker.ts), so a slow video decoder never holds back audio or adds seconds of
 * queue before the engine would notice.
 */
import { decodeMonitorMessage, type MonitorMessage } from "../../../shared/monitor";
import type { SinkTarget } from "../golive/protocol";

/** What a {@link MonitorChannel} reports to its owner. */
export interface MonitorChannelHandlers {
	/** One message, in channel order. Its payload is a view valid for the call and after (not reused). */
	onMessage(message: MonitorMessage): void;
	/** The channel closed: `clean` when closed on purpose (by either end), else why not. */
	onClose(reason: string, clean: boolean): void;
	/** A malformed message or an error the engine sent as text. The channel stays open. */
	onError(message: string): void;
}

/** Counters of a channel. */
export interface MonitorChannelStats {
	messages: number;
	bytes: number;
	malformed: number;
	/** The highest sequence acknowledged, or -1. */
	acked: number;
}

/** A monitor channel reader. */
export class MonitorChannel {
	readonly stats: MonitorChannelStats = { messages: 0, bytes: 0, malformed: 0, acked: -1 };
	#handlers: MonitorChannelHandlers;
	#send: ((ack: { ack: number }) => void) | undefined;
	#close: () => void = () => {};
	#taken = -1;
	#ackScheduled = false;
	#closed = false;
	#finished = false;

	constructor(handlers: MonitorChannelHandlers) {
		this.#handlers = handlers;
	}

	/** Connects to `target` and starts delivering messages. */
	attach(target: SinkTarget): void {
		if (target.kind === "websocket") {
			const ws = new WebSocket(target.url);
			ws.binaryType = "arraybuffer";
			ws.onopen = () => {
				this.#send = (ack) => ws.send(JSON.stringify(ack));
				this.#scheduleAck();
			};
			ws.onmessage = (ev: MessageEvent) => this.#onData(ev.data);
			ws.onclose = (ev: CloseEvent) => this.#finish(ev.reason || `media channel closed (${ev.code})`, ev.code === 1000);
			this.#close = () => ws.close(1000);
		} else {
			const port = target.port;
			port.onmessage = (ev: MessageEvent) => this.#onData(ev.data);
			// A port that closes at the other end says so only where the platform supports it.
			port.addEventListener("close", () => this.#finish("media channel closed", true));
			port.start();
			this.#send = (ack) => port.postMessage(ack);
			this.#close = () => port.close();
		}
	}

	#onData(data: unknown): void {
		if (typeof data === "string" || (typeof data === "object" && data !== null && !(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data))) {
			// Text (or an object on a port) is the engine talking: an error, or nothing we know.
			try {
				const msg = (typeof data === "string" ? JSON.parse(data) : data) as { error?: unknown };
				if (typeof msg.error === "string") this.#handlers.onError(msg.error);
			} catch {
				// Not JSON; ignore.
			}
			return;
		}
		let message: MonitorMessage;
		try {
			message = decodeMonitorMessage(data as ArrayBuffer | ArrayBufferView);
		} catch (err) {
			this.stats.malformed++;
			this.#handlers.onError(err instanceof Error ? err.message : String(err));
			return;
		}
		this.stats.messages++;
		this.stats.bytes += message.payload.byteLength;
		this.#taken = Math.max(this.#taken, message.sequence);
		this.#handlers.onMessage(message);
		this.#scheduleAck();
	}

	#scheduleAck(): void {
		if (this.#ackScheduled) return;
		this.#ackScheduled = true;
		// One acknowledgement per task, after every message that task delivered.
		setTimeout(() => {
			this.#ackScheduled = false;
			this.flush();
		}, 0);
	}

	/** Acknowledges everything taken so far. */
	flush(): void {
		if (!this.#send || this.#taken <= this.stats.acked) return;
		this.stats.acked = this.#taken;
		this.#send({ ack: this.#taken });
	}

	#finish(reason: string, clean: boolean): void {
		if (this.#finished) return;
		this.#finished = true;
		this.#send = undefined;
		// Closed here: the owner knows already.
		if (!this.#closed) this.#handlers.onClose(reason, clean);
	}

	/** Closes the channel (the engine closes its end when the monitor closes, too). */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#send = undefined;
		this.#close();
	}
}
