/**
 * A recorder SIGKILLed mid-recording leaves a file that plays to its last fragment.
 */
import { once } from "node:events";
import { stat } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bundleEntry, spawnNode } from "./child-process";
import { decodeErrors, makeH264Mp4, probeStreams, tempDir } from "./media-helpers";

let dir: string;
let remove: () => Promise<void>;
let source: string;
let script: string;

beforeAll(async () => {
	({ dir, remove } = await tempDir());
	[source, script] = await Promise.all([makeH264Mp4(`${dir}/src.mp4`, 2), bundleEntry("test/media/fixtures/record-child.ts")]);
});
afterAll(() => remove());

it("SIGKILL mid-recording leaves a playable fragmented MP4", async () => {
	const child = spawnNode(script, [source, `${dir}/rec`]);
	let last: { path?: string; bytes: number; durationS: number } | undefined;
	// Wait until several fragments (>= 1 s each) are on disk, with the publisher mid-loop.
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no progress: ${child.output.stdout} ${child.output.stderr}`)), 20_000);
		child.stdout.on("data", () => {
			const lines = child.output.stdout.trim().split("\n");
			last = JSON.parse(lines[lines.length - 1] as string) as typeof last;
			if (last && last.durationS >= 3.5) {
				clearTimeout(timer);
				resolve();
			}
		});
		child.once("exit", () => reject(new Error(`child exited early: ${child.output.stderr}`)));
	});
	child.kill("SIGKILL");
	await once(child, "exit");
	expect(child.signalCode).toBe("SIGKILL");

	const path = last?.path as string;
	expect((await stat(path)).size).toBeGreaterThan(10_000);
	expect(await decodeErrors(path)).toBe("");
	const streams = await probeStreams(path);
	expect(streams.map((s) => s.codec)).toEqual(["h264", "opus"]);
	for (const s of streams) expect(s.packets).toBeGreaterThan(0);
	// At least the fragments completed before the last second are there (30 fps).
	expect(streams[0]?.packets).toBeGreaterThanOrEqual(60);
});
