/**
 * Recording subscribed hang broadcasts to crash-safe files (fragmented MP4 or Matroska), packets
 * muxed as they arrive without re-encoding, always inside the recordings folder.
 */
export * from "./paths";
export * from "./recorder";
export * from "./sink";
