/**
 * The QMux flow-control windows the studio advertises, as client and as relay.
 *
 * The library defaults (1 MiB per connection, 256 KiB per stream) cap a publisher near
 * 5-11 MB/s on loopback because the sender stalls waiting for MAX_DATA (DESIGN.md §4); these
 * keep a few video groups in flight per stream while bounding what one peer can make us buffer.
 */
import type { Config } from "@moq/qmux";

/**
 * Concurrent group streams a peer may open to us. A publisher (or the relay) opens one stream per
 * group, so audio (one group per frame) needs 50 a second per track, and a stream's slot returns
 * only once we have read it: while we are stalled (a GC pause, a loaded machine) every group sent
 * holds one. `@moq/net` drops a group whose stream cannot open within 10 s ("no stream slot";
 * transport/moq-net-delivery.ts logs it), so a stall longer than 10 s + this / (groups per
 * second) loses groups. 8192 covers the publisher's 30 s group cache (hang's latency window) of
 * five audio tracks with their video on one connection (1500 audio groups per track); the bytes
 * behind them stay bounded by `maxData`.
 */
export const MAX_STREAMS_UNI = 8192n;

/** Receive windows and stream limits for every QMux session the studio opens or accepts. */
export const QMUX_WINDOWS: Readonly<Config> = {
	maxData: 16n * 1024n * 1024n,
	maxStreamDataBidiLocal: 4n * 1024n * 1024n,
	maxStreamDataBidiRemote: 4n * 1024n * 1024n,
	maxStreamDataUni: 4n * 1024n * 1024n,
	// One bidi stream per subscription: allow many tracks.
	maxStreamsBidi: 1000n,
	maxStreamsUni: MAX_STREAMS_UNI,
};
