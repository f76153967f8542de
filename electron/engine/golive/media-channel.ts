/**
 * One Go Live media channel as every host serves it (a MessagePort in Electron, a binary
 * WebSocket in the web host): frames in, coalesced acks out, and a failure closes only this
 * channel, never the broadcast's other tracks.
 */
import { StudioError } from "../../../shared/errors";
import type { Log } from "../log/logger";
import type { GoLiveManager } from "./manager";

/** The host's end of a channel. */
export interface MediaPeer {
	/** Acknowledges every frame up to `sequence` (credit for the renderer's backpressure). */
	sendAck(sequence: number): void;
	/** Closes the channel after a failure; `error` says why. */
	fail(error: StudioError): void;
}

/** What a host does with a served channel. */
export interface ServedMediaChannel {
	/** Feeds one received message (a media frame) to the broadcast. */
	receive(data: unknown): void;
	/**
	 * The host's transport closed (WebSocket close, MessagePort close, page gone). Idempotent.
	 * When every channel of a broadcast a page started has closed, the broadcast is orphaned
	 * and ends after the grace period (manager.ts).
	 */
	closed(): void;
}

/**
 * Serves `channel`; the host feeds each received message to `receive` and calls `closed` when
 * its transport goes away. Throws NOT_FOUND for a channel no live broadcast owns (the host
 * refuses it).
 */
export function serveMediaChannel(golive: GoLiveManager, channel: string, peer: MediaPeer, log: Log): ServedMediaChannel {
	const live = golive.byChannel(channel);
	const detach = golive.channelOpened(channel);
	let pendingAck = -1;
	let closed = false;
	// One ack per turn of the event loop, after the frame has gone on towards the relays: an ack
	// written straight after ingest sits on the media's latency path (bench/golive-latency).
	const flushAck = () => {
		if (pendingAck >= 0 && !closed) peer.sendAck(pendingAck);
		pendingAck = -1;
	};
	return {
		receive: (data) => {
			if (closed) return;
			try {
				if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) throw new StudioError("PROTOCOL", "media frames are binary");
				const ack = live.ingest(channel, data);
				if (pendingAck < 0) setImmediate(flushAck);
				pendingAck = ack;
			} catch (err) {
				closed = true;
				const error = StudioError.from(err);
				log.warn(`media channel for ${live.path} closed: ${error.message}`);
				peer.fail(error);
				detach();
			}
		},
		closed: () => {
			closed = true;
			detach();
		},
	};
}
