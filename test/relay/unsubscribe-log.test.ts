/**
 * Issue 14: an ordinary unsubscribe used to log `WARN publish error: broadcast=… track=…
 * error=remote error: 0` on the publisher: `@moq/net` reports the subscriber cancelling its
 * subscription (a stream reset with code 0) through `console.warn`. That is the subscriber going
 * away, not a fault: info/debug. A track that really fails still gives a warning.
 *
 * The MoQ libraries' console is routed into one Logger by library-console.ts, as every studio
 * host does; the relay runs in this process, so its lines land there too.
 */
import * as Moq from "@moq/net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LogEntry } from "../../shared/models";
import { Logger } from "../../electron/engine/log/logger";
import type { RelayHandle } from "../../electron/engine/relay";
import { onlySubscriberCancelled } from "../../electron/engine/transport/close-reason";
import { captureLibraryConsole } from "../../electron/engine/transport/library-console";
import { startTestRelay } from "../helpers/relay";
import { connect, publish, readString, until, watchAnnounced, writeGroup } from "./clients";

let relay: RelayHandle;
let entries: LogEntry[];
let restoreConsole: () => void;
const conns: Moq.Connection.Established[] = [];

beforeEach(async () => {
	const logger = new Logger();
	entries = [];
	logger.addSink((e) => entries.push(e));
	restoreConsole = captureLibraryConsole(logger.scope("moq"));
	relay = await startTestRelay();
});
afterEach(async () => {
	for (const c of conns.splice(0)) c.close();
	await relay?.close();
	restoreConsole?.();
});

const show = () => entries.map((e) => `${e.level} ${e.scope}: ${e.message}`).join("\n");
const publishLines = () => entries.filter((e) => /^publish error: broadcast=show track=video\b/.test(e.message));
const warnings = () => publishLines().filter((e) => e.level === "warn" || e.level === "error");

/** A publisher and a subscriber reading the first frame of `show`/`video` through the relay. */
async function subscribed() {
	const pubConn = await connect(relay.url);
	const subConn = await connect(relay.url);
	conns.push(pubConn, subConn);
	const published = publish(pubConn, "show");
	const seen = watchAnnounced(subConn);
	await until(() => seen.active.has("show"), 10_000, "the announcement");
	const sub = subConn.consume(Moq.Path.from("show")).subscribe("video");
	writeGroup(published.track(), ["one"]);
	expect(await readString(sub, 10_000)).toBe("one");
	return { published, sub, seen };
}

describe("publisher log when a subscriber leaves", () => {
	it("logs an ordinary unsubscribe (remote close code 0) below warning", { timeout: 60_000 }, async () => {
		const { sub, seen } = await subscribed();
		sub.close();
		// The publisher hears the cancel once the relay drops its upstream subscription.
		await until(() => publishLines().length > 0, 15_000, `the publisher's line for the cancelled subscription:\n${show()}`);
		expect(publishLines().map((e) => e.message).join("\n")).toMatch(/remote error: 0/);
		expect(warnings(), show()).toEqual([]);
		seen.close();
	});

	it("still logs a track that fails with a real error as a warning (positive control)", { timeout: 60_000 }, async () => {
		const { published, seen } = await subscribed();
		published.track().close(new Error("encoder crashed"));
		await until(() => warnings().length > 0, 15_000, `a warning for the failed track:\n${show()}`);
		expect(warnings().map((e) => e.message).join("\n")).toMatch(/encoder crashed/);
		seen.close();
	});

	it("classifies only a reset with code 0 as a subscriber that cancelled", () => {
		expect(onlySubscriberCancelled(["publish error: broadcast=a/b.hang track=video0 error=remote error: 0"])).toBe(true);
		expect(onlySubscriberCancelled(["fetch error: broadcast=a track=v group=3 error=remote error: 0"])).toBe(true);
		expect(onlySubscriberCancelled([new Moq.RemoteError(0)])).toBe(true);
		// A peer's own non-zero code, a local failure and unrelated lines keep their warning.
		expect(onlySubscriberCancelled(["publish error: broadcast=a track=v error=remote error: 7"])).toBe(false);
		expect(onlySubscriberCancelled([new Moq.RemoteError(7)])).toBe(false);
		expect(onlySubscriberCancelled(["publish error: broadcast=a track=v error=encoder crashed"])).toBe(false);
		expect(onlySubscriberCancelled(["something else: remote error: 0"])).toBe(false);
		expect(onlySubscriberCancelled(["publish error: broadcast=a track=v error=remote error: 0", new Error("more")])).toBe(false);
	});
});
