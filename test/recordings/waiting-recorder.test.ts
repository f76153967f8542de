/**
 * A recorder that waits before the publisher starts gets the show from its first frame, when the
 * publisher is the studio itself: a file published into an origin that a session carries to a
 * relay, with no "wait for a viewer". Every audio and video packet of the source reaches the file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { Studio } from "../../electron/engine/studio";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { eventually } from "../helpers/ui";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "../media/media-helpers";
import { quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;
let source: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-waiting-recorder-"));
	[relay, source] = await Promise.all([startTestRelay(), makeH264Mp4(`${dir}/source.mp4`, 3)]);
});
afterAll(async () => {
	await relay?.close();
	await remove?.();
});

describe("a recorder waiting for the studio's own publication", () => {
	it("records every packet from the first, audio and video", { timeout: 90_000 }, async () => {
		const studio = new Studio({ host: "web", recordingsDir: `${dir}/library` });
		try {
			await studio.start();
			const origin = studio.origins.create("shows");
			const { id: session } = await studio.handlers["sessions.connect"]({ url: relay.url, publishOrigin: origin.id });
			await eventually(() => studio.sessions.get(session).epoch, (epoch) => epoch >= 1, 15_000, "the session to connect");

			const out = `${dir}/waited.mp4`;
			const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", "shows/first.hang", "--out", out, "--json"]);
			await waitForLine(recorder, /"event":"status","code":1/);
			await studio.handlers["publishing.start"]({ originId: origin.id, path: "shows/first.hang", file: source });
			const recorded = await waitForExit(recorder, 60_000);
			expect(recorded.code, recorded.stderr).toBe(0);

			for (const kind of ["v", "a"] as const) {
				const [want, got] = await Promise.all([packetHashes(source, kind), packetHashes(out, kind)]);
				expect(got.length, `${kind} packets`).toBe(want.length);
				expect(got).toEqual(want);
			}
			expect(await decodeErrors(out)).toBe("");
		} finally {
			await studio.close();
		}
	});
});
