/**
 * After a relay restart every broadcast comes back in the consuming origin: the studio publishes
 * four looping files through one session and consumes them back through another; the relay is
 * killed and started again on the same port. Found by the multiview test, where one of four
 * tiles stayed stalled because its broadcast never re-entered the origin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRelay, type RelayHandle } from "../../electron/engine/relay";
import { Studio } from "../../electron/engine/studio";
import { startTestRelay } from "../helpers/relay";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, until } from "../relay/clients";

quietLibraryLogs();

const PATHS = ["wall/a.hang", "wall/b.hang", "wall/c.hang", "wall/d.hang"];
const BACKOFF = { initial: 200, multiplier: 1.5, max: 1000 };

let relay: RelayHandle;
let studio: Studio;
let remove: () => Promise<void>;
let file: string;

beforeAll(async () => {
	const tmp = await tempDir("moq-reannounce-");
	remove = tmp.remove;
	[file, relay] = await Promise.all([makeH264Mp4(`${tmp.dir}/show.mp4`, 4), startTestRelay()]);
	studio = new Studio({ host: "web", dataDir: `${tmp.dir}/data` });
	await studio.start();
});
afterAll(async () => {
	await studio?.close();
	await relay?.close();
	await remove?.();
});

describe("relay restart", () => {
	it("brings every consumed broadcast back into the origin, each restart", { timeout: 120_000 }, async () => {
		const h = studio.handlers;
		const pub = await h["origins.create"]({ name: "pub" });
		const watch = await h["origins.create"]({ name: "watch" });
		await h["sessions.connect"]({ url: relay.url, publishOrigin: pub.id, backoff: BACKOFF });
		const consumer = (await h["sessions.connect"]({ url: relay.url, consumeOrigin: watch.id, backoff: BACKOFF })).id;
		for (const path of PATHS) await h["publishing.start"]({ originId: pub.id, path, file, loop: true });
		const live = () =>
			studio.origins
				.allBroadcasts()
				.filter((b) => b.originId === watch.id && !b.broadcast.ended)
				.map((b) => b.broadcast.path)
				.sort();
		await until(() => live().length === 4, 20_000, "four broadcasts consumed");
		const port = relay.port;
		for (let round = 1; round <= 3; round++) {
			await relay.close();
			await until(() => studio.sessions.get(consumer).phase !== "connected", 10_000, "the session to notice");
			relay = await startRelay({ host: "127.0.0.1", port });
			await until(() => studio.sessions.get(consumer).phase === "connected", 20_000, "the session to reconnect");
			const deadline = Date.now() + 20_000;
			while (live().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
			const routes = relay.stats().routes.map((r) => r.path).sort();
			expect({ round, consumed: live(), atRelay: routes }).toEqual({ round, consumed: PATHS, atRelay: PATHS });
		}
	});
});
