/**
 * Issue 14: `moq-studio publish --file /nonexistent` used to announce the broadcast before it
 * opened the file, so the relay showed it as active until the CLI exited. It must open and probe
 * the file first: exit non-zero with a one-line IO error and announce nothing.
 *
 * An independent @moq/net client watches the relay's announcements; a valid publish at another
 * path afterwards is the positive control that the watcher would have seen an announcement.
 */
import type * as Moq from "@moq/net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStudioCli, spawnStudioCli, waitForExit } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { makeH264Mp4, tempDir } from "../media/media-helpers";
import type { RelayHandle } from "../../electron/engine/relay";
import { connect, quietLibraryLogs, until, watchAnnounced } from "../relay/clients";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;
let watcherConn: Moq.Connection.Established;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-cli-publish-failure-"));
	relay = await startTestRelay();
	watcherConn = await connect(relay.url);
});
afterAll(async () => {
	watcherConn?.close();
	await relay?.close();
	await remove?.();
});

describe("moq-studio publish with a file it cannot open", () => {
	it("exits with a one-line IO error and never announces the broadcast", { timeout: 60_000 }, async () => {
		const watcher = watchAnnounced(watcherConn, "");
		const failed = await runStudioCli(["publish", "--url", relay.url, "--broadcast", "ghost/show.hang", "--file", `${dir}/nonexistent.mp4`, "--json"]);
		expect(failed.code, failed.stderr).not.toBe(0);
		expect(failed.code).not.toBeNull();
		expect(failed.stderr.trim().split("\n"), failed.stderr).toHaveLength(1);
		expect(failed.stderr).toMatch(/\[IO\]/);

		// Positive control: a valid publish afterwards, on the same watcher, is seen.
		const source = await makeH264Mp4(`${dir}/control.mp4`, 1);
		const control = spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "control/show.hang", "--file", source, "--json"]);
		try {
			await until(() => watcher.events.some((e) => e.path === "control/show.hang" && e.active), 20_000, "the control publish's announcement");
		} finally {
			const done = await waitForExit(control, 30_000);
			expect(done.code, done.stderr).toBe(0);
		}
		// The relay forwards announcements in order on one connection: the failed publish came
		// first, so had it been announced the watcher would have seen it before the control.
		expect(watcher.events.filter((e) => e.path === "ghost/show.hang")).toEqual([]);
		watcher.close();
	});
});
