/**
 * A recording that ends before a single packet arrived (the publisher closed its tracks first)
 * leaves a file that is only a header. The library lists it as empty, saying why, so the user
 * sees that the recording ran and got nothing, rather than a zero-second video that will not play.
 */
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import * as Moq from "@moq/net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HangBroadcastPublisher } from "../../electron/engine/publish";
import { recordBroadcast } from "../../electron/engine/record";
import { RecordingLibrary } from "../../electron/engine/recordings/library";
import { Logger } from "../../electron/engine/log/logger";
import { tempDir } from "../media/media-helpers";

let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir());
});
afterAll(async () => {
	await remove();
});

/** Resolves once a subscriber asked for the writer's track (at most 10 s). */
async function untilSubscribed(writer: { readonly subscribed: boolean }): Promise<void> {
	for (const end = Date.now() + 10_000; !writer.subscribed; ) {
		if (Date.now() > end) throw new Error("nobody subscribed to the track within 10 s");
		await new Promise((r) => setTimeout(r, 10));
	}
}

it("a recording that received nothing is listed as empty, with the reason", async () => {
	const producer = new Moq.Broadcast.Producer();
	const publisher = new HangBroadcastPublisher(producer);
	const audio = publisher.addAudio("audio0", { codec: "opus", sampleRate: 48000, numberOfChannels: 1 });
	publisher.publishCatalog();
	const folder = `${dir}/rec`;
	const recording = recordBroadcast({ consumer: producer.consume(), folder, broadcast: "empty/show.hang", fileName: "empty.mp4" });
	await untilSubscribed(audio);
	publisher.close();
	const summary = await recording;
	expect(summary.tracks.audio0?.frames).toBe(0);
	const file = summary.path as string;
	expect((await stat(file)).size).toBeGreaterThan(0); // the header: the file exists

	const library = new RecordingLibrary({ folder: () => folder, activeFiles: () => new Map(), changed: () => undefined, log: new Logger().scope("record") });
	const entry = (await library.list()).files.find((f) => f.name === basename(file));
	expect(entry).toBeDefined();
	expect(entry!.problem).toMatch(/no media/);
	// Whole, so not "interrupted": there is nothing to finalize.
	expect(entry!.state).toBe("complete");
}, 30_000);
