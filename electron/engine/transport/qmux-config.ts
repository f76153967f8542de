/**
 * The QMux flow-control windows the studio advertises, as client and as relay.
 *
 * The library defaults (1 MiB per connection, 256 KiB per stream) cap a publisher near
 * 5-11 MB/s on loopback because the sender stalls waiting for MAX_DATA (DESIGN.md §4); these
 * keep a few video groups in flight per stream while bounding what one peer can make us buffer.
 */
import type { Config } from "@moq/qmux";

/** Receive windows and stream limits for every QMux session the studio opens or accepts. */
export const QMUX_WINDOWS: Readonly<Config> = {
	maxData: 16n * 1024n * 1024n,
	maxStreamDataBidiLocal: 4n * 1024n * 1024n,
	maxStreamDataBidiRemote: 4n * 1024n * 1024n,
	maxStreamDataUni: 4n * 1024n * 1024n,
	// One uni stream per group and one bidi per subscription: allow many tracks and groups in flight.
	maxStreamsBidi: 1000n,
	maxStreamsUni: 1000n,
};
