/**
 * The one place that decides what a media channel is: a Go Live track (frames in from the
 * renderer, acks out) or a monitor (frames out to the renderer, acks in). Hosts stay thin: they
 * ask {@link ownsMediaChannel} before accepting a transport and hand every message to the
 * {@link ServedMediaChannel} that {@link serveAnyMediaChannel} returns.
 */
import { StudioError } from "../../shared/errors";
import { serveMediaChannel, type MediaPeer, type ServedMediaChannel } from "./golive/media-channel";
import type { GoLiveManager } from "./golive/manager";
import type { Log } from "./log/logger";
import type { MonitorManager } from "./monitor/manager";
import type { PlaybackManager } from "./replay/manager";

/** The managers that own channels (a `Studio` is one). */
export interface MediaChannelOwners {
	readonly golive: GoLiveManager;
	readonly monitors: MonitorManager;
	/** Recordings played in the player: their channels speak the monitor wire format. */
	readonly playback?: PlaybackManager;
}

/** Everything a host's transport can do; each kind of channel uses its part. */
export interface MediaChannelPeer extends MediaPeer {
	/** Sends one binary message to the renderer (monitor frames). */
	send(data: ArrayBuffer): void;
	/** Bytes the transport holds unsent (WebSocket `bufferedAmount`; 0 when unknown). */
	bufferedBytes(): number;
}

/** True when some Go Live broadcast or monitor owns `channel` (hosts refuse the others). */
export function ownsMediaChannel(owners: MediaChannelOwners, channel: string): boolean {
	return owners.golive.owns(channel) || owners.monitors.owns(channel) || (owners.playback?.owns(channel) ?? false);
}

/**
 * Serves `channel` on a host's transport. NOT_FOUND when nothing owns it. A monitor channel
 * fails the transport (PROTOCOL) on a message that is not an acknowledgement.
 */
export function serveAnyMediaChannel(owners: MediaChannelOwners, channel: string, peer: MediaChannelPeer, log: Log): ServedMediaChannel {
	const playback = owners.playback?.owns(channel) ? owners.playback : undefined;
	if (!playback && !owners.monitors.owns(channel)) return serveMediaChannel(owners.golive, channel, peer, log);
	const attached = playback ? playback.attach(channel, peer) : owners.monitors.attach(channel, peer);
	let failed = false;
	return {
		receive: (data) => {
			if (failed) return;
			try {
				attached.receive(data);
			} catch (err) {
				failed = true;
				const error = StudioError.from(err, "PROTOCOL");
				log.warn(`monitor channel closed: ${error.message}`);
				attached.closed();
				peer.fail(error);
			}
		},
		closed: () => attached.closed(),
	};
}
