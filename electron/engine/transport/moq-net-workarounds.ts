/**
 * The one entry for every workaround of `@moq/net` 0.3.4 behaviour the studio depends on; import
 * it (for its side effects) before a session or the relay uses the library. Each module it loads
 * says what it patches, why, and how to tell when upstream no longer needs it:
 * - `moq-net-leaks.ts`: per-group and per-frame `Promise.race` against subscription-lifetime
 *   promises retained every group ever served (issue 18's unbounded memory);
 * - `moq-net-delivery.ts`: a track's end overtaking its last groups, a subscription's start
 *   pinned to the first group served, and silent "no stream slot" drops.
 */
import "./moq-net-leaks";
import "./moq-net-delivery";
