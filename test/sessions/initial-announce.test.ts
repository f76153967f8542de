/**
 * The relay's initial announcements are told from live ones (transport/moq-net-initial-announce.ts):
 * a broadcast already published when a client opens its announce interest is tagged initial, one
 * published afterwards is not. A waiting recorder relies on this to record a new show from its
 * first group and a running one from its latest.
 */
import "../../electron/engine/transport/moq-net-workarounds";
import { describe, expect, it } from "vitest";
import * as Moq from "@moq/net";
import { activeMoqNetWorkarounds } from "../../electron/engine/transport/moq-net-workarounds";
import { announcedInitially } from "../../electron/engine/transport/moq-net-initial-announce";
import { publish, quietLibraryLogs, relayFixture, within } from "../relay/clients";

quietLibraryLogs();

describe("initial announcements", () => {
	const fx = relayFixture();

	it("tags broadcasts already running as initial and later ones as live (moq-lite-05, ANNOUNCE_OK's count)", { timeout: 30_000 }, async () => {
		expect(activeMoqNetWorkarounds.initialAnnounceTags).toBe(true);
		await fx.start();
		const publisher = await fx.client();
		publish(publisher, "show/running.hang");
		publish(publisher, "show/also-running.hang");
		// Both reach the relay before the watcher asks.
		const probe = await fx.client();
		const seen = probe.announced(Moq.Path.from("show"));
		for (let n = 0; n < 2; ) if ((await within(seen.next(), 5000, "the probe's announcements"))?.active) n++;
		seen.close();

		const watcher = await fx.client();
		const announced = watcher.announced(Moq.Path.from("show"));
		const tags = new Map<string, boolean | undefined>();
		while (tags.size < 2) {
			const event = await within(announced.next(), 5000, "the initial announcements");
			if (event?.active) tags.set(String(event.path), announcedInitially(event));
		}
		publish(publisher, "show/new.hang");
		for (;;) {
			const event = await within(announced.next(), 5000, "the live announcement");
			if (event?.active) {
				tags.set(String(event.path), announcedInitially(event));
				break;
			}
		}
		expect(Object.fromEntries(tags)).toEqual({ "running.hang": true, "also-running.hang": true, "new.hang": false });
		announced.close();
	});
});
