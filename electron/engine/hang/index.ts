/**
 * The hang media format over `@moq/net`: catalog schema, the legacy frame container, the catalog
 * track, priorities and track naming. Wire-compatible with `@moq/hang` 0.3.5 (`<moq-watch>`,
 * `<moq-publish>`), without depending on it.
 */
export * from "./catalog";
export * from "./catalog-track";
export * from "./container";
export * from "./fanout";
export * from "./cache-budget";
export * from "./codecs";
