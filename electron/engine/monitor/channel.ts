/**
 * A monitor's media channel, engine side: numbers and sends messages to the attached renderer
 * and keeps the credit its acknowledgements give back (the mirror image of the Go Live sink in
 * `renderer/src/golive/sink.ts`). Nothing is queued here: a sender asks {@link MonitorChannel.congested}
 * and skips instead, so an absent or slow renderer costs skipped media, never memory.
 */
import { encodeMonitorMessage, type MonitorMessage } from "../../../shared/monitor";
import { StudioError } from "../../../shared/errors";

/** Unacknowledged video frames beyond which video skips to the next group (about 2 s at 30 fps). */
export const MAX_UNACKED_VIDEO = 60;
/** Unacknowledged audio frames beyond which audio frames are dropped (about 3 s of 20 ms Opus). */
export const MAX_UNACKED_AUDIO = 150;
/** Unacknowledged bytes beyond which both kinds hold back. */
export const MAX_UNACKED_BYTES = 4 * 1024 * 1024;
/** Bytes the host's transport may buffer (WebSocket `bufferedAmount`) before both kinds hold back. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The host's end of an attached channel. */
export interface MonitorPeer {
	/** Sends one binary message; the peer may keep `data` (it is never reused). */
	send(data: ArrayBuffer): void;
	/** Bytes the transport holds unsent (0 when it cannot tell, as a MessagePort). */
	bufferedBytes(): number;
	/** Closes the transport; `error` says why (CLOSED for a normal end). */
	fail(error: StudioError): void;
}

interface InFlight {
	sequence: number;
	bytes: number;
	kind: MonitorMessage["type"];
}

/** The message fields a sender gives; the channel adds the sequence. */
export type OutgoingMessage = Omit<MonitorMessage, "sequence">;

/** One monitor's channel; at most one peer is attached at a time. */
export class MonitorChannel {
	/** The opaque id the renderer opens (`/media?channel=`, the IPC media port). */
	readonly id: string;
	#peer: MonitorPeer | undefined;
	#next = 0;
	#inflight: InFlight[] = [];
	#inflightBytes = 0;
	#inflightVideo = 0;
	#inflightAudio = 0;
	#sent = 0;

	constructor(id: string) {
		this.id = id;
	}

	/** True while a renderer is attached. */
	get attached(): boolean {
		return this.#peer !== undefined;
	}

	/** Messages sent since the monitor opened (all peers). */
	get sent(): number {
		return this.#sent;
	}

	/** Bytes sent and not yet acknowledged (bounded by the limits above plus one message). */
	get inflightBytes(): number {
		return this.#inflightBytes;
	}

	/**
	 * Attaches `peer`, replacing (and closing) a previous one: a reloaded page opens the channel
	 * again before the old socket's close arrives. Credit starts fresh, as the new peer never saw
	 * the old messages.
	 */
	attach(peer: MonitorPeer): void {
		const old = this.#peer;
		this.#peer = peer;
		this.#resetCredit();
		if (old) old.fail(new StudioError("CLOSED", "the monitor channel was opened again elsewhere"));
	}

	/** Detaches `peer` if it is the attached one; returns true when it was. */
	detach(peer: MonitorPeer): boolean {
		if (this.#peer !== peer) return false;
		this.#peer = undefined;
		this.#resetCredit();
		return true;
	}

	/** Closes the attached peer (the monitor closed). */
	close(): void {
		const peer = this.#peer;
		this.#peer = undefined;
		peer?.fail(new StudioError("CLOSED", "the monitor closed"));
	}

	/**
	 * Takes an acknowledgement from `peer` (a JSON `{ack: n}` as text, bytes or an object):
	 * every message up to `n` is through. PROTOCOL for anything else.
	 */
	receive(peer: MonitorPeer, data: unknown): void {
		if (peer !== this.#peer) return; // a replaced peer's late ack says nothing about the new one
		const ack = parseAck(data);
		while (this.#inflight.length > 0 && (this.#inflight[0] as InFlight).sequence <= ack) {
			const done = this.#inflight.shift() as InFlight;
			this.#inflightBytes -= done.bytes;
			if (done.kind === "video") this.#inflightVideo--;
			else if (done.kind === "audio") this.#inflightAudio--;
		}
	}

	/** True when a message of `kind` should not be sent now: the renderer or its link fell behind. */
	congested(kind: "video" | "audio"): boolean {
		const peer = this.#peer;
		if (!peer) return true;
		if (this.#inflightBytes > MAX_UNACKED_BYTES || peer.bufferedBytes() > MAX_BUFFERED_BYTES) return true;
		return kind === "video" ? this.#inflightVideo >= MAX_UNACKED_VIDEO : this.#inflightAudio >= MAX_UNACKED_AUDIO;
	}

	/** Sends one message; false when no peer is attached (nothing is kept for later). */
	send(message: OutgoingMessage): boolean {
		const peer = this.#peer;
		if (!peer) return false;
		const sequence = this.#next++ >>> 0;
		const data = encodeMonitorMessage({ ...message, sequence });
		this.#inflight.push({ sequence, bytes: data.byteLength, kind: message.type });
		this.#inflightBytes += data.byteLength;
		if (message.type === "video") this.#inflightVideo++;
		else if (message.type === "audio") this.#inflightAudio++;
		this.#sent++;
		peer.send(data);
		return true;
	}

	#resetCredit(): void {
		this.#inflight = [];
		this.#inflightBytes = 0;
		this.#inflightVideo = 0;
		this.#inflightAudio = 0;
	}
}

function parseAck(data: unknown): number {
	let value: unknown = data;
	try {
		if (typeof value !== "string" && (value instanceof ArrayBuffer || ArrayBuffer.isView(value))) {
			const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
			value = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
		}
		if (typeof value === "string") value = JSON.parse(value) as unknown;
	} catch {
		throw new StudioError("PROTOCOL", "a monitor channel takes only JSON acknowledgements");
	}
	const ack = (value as { ack?: unknown } | null)?.ack;
	if (typeof ack !== "number" || !Number.isInteger(ack)) throw new StudioError("PROTOCOL", "a monitor channel takes only {\"ack\": sequence}");
	return ack;
}
