/**
 * Segments: a recording that rotates every 2 s of media writes several complete files, each
 * starting at a keyframe and named after its start time, each with its sidecar; together they
 * hold exactly the packets of an unsegmented recording of the same broadcast made at the same
 * time (ffmpeg framemd5), none lost or repeated at a boundary.
 */
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { basename } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { LibraryListing, RecordingInfo } from "../../shared/recordings";
import { Studio } from "../../electron/engine/studio";
import { quietLibraryLogs, until } from "../relay/clients";
import { decodeErrors, makeH264Mp4, packetHashes, tempDir } from "../media/media-helpers";

quietLibraryLogs();
const run = promisify(execFile);

let dir: string;
let remove: () => Promise<void>;
let studio: Studio | undefined;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-segments-"));
});
afterAll(async () => {
	await studio?.close();
	await remove?.();
});

/** Flags of the first video packet, e.g. `K__`. */
async function firstVideoFlags(path: string): Promise<string> {
	const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags", "-read_intervals", "%+#1", "-of", "csv=p=0", path]);
	return stdout.trim().split("\n")[0]!;
}

it("rotates into complete segments starting at keyframes that together hold every packet once", { timeout: 90_000 }, async () => {
	const source = await makeH264Mp4(`${dir}/show.mp4`, 7);
	const folder = `${dir}/recordings`;
	studio = new Studio({ host: "web", recordingsDir: folder, embeddedRelay: { port: 0 } });
	await studio.start();
	const h = studio.handlers;
	await h["recordings.configure"]({ minFreeMB: 1 });
	const originId = studio.origins.list().find((o) => o.name === "studio")!.id;
	// Both wait for the broadcast, so both record it from its first group.
	const whole = await h["recordings.start"]({ originId, path: "seg/show.hang", fileName: "whole.mp4" });
	const seg = await h["recordings.start"]({ originId, path: "seg/show.hang", fileName: "seg.mp4", segmentMinutes: 2 / 60 });
	await h["publishing.start"]({ originId, path: "seg/show.hang", file: source });
	const info = (id: string) => studio!.recordings.list().find((r) => r.id === id)!;
	await until(() => [whole.id, seg.id].every((id) => info(id).state !== "waiting" && info(id).state !== "recording"), 60_000, "both recordings finished");
	const segmented: RecordingInfo = info(seg.id);
	expect(info(whole.id)).toMatchObject({ state: "finished", end: "ended" });
	expect(segmented).toMatchObject({ state: "finished", end: "ended" });
	const files = segmented.segments!;
	expect(files.length).toBeGreaterThanOrEqual(3);
	expect(segmented.file).toBe(files.at(-1));
	const names = files.map((f) => basename(f));
	for (const name of names) expect(name).toMatch(/^seg-\d{8}-\d{6}(-\d+)?\.mp4$/);

	const listing = (await h["recordings.library"]({})) as LibraryListing;
	const byName = new Map(listing.files.map((f) => [f.name, f]));
	for (const file of files) {
		expect(byName.get(basename(file)), basename(file)).toMatchObject({ state: "complete", problem: null, source: { path: "seg/show.hang" } });
		expect(await firstVideoFlags(file)).toMatch(/^K/);
		expect(await decodeErrors(file)).toBe("");
	}
	expect((await readdir(folder)).filter((n) => n.endsWith(".json")).length).toBe(files.length + 1);
	expect(segmented.bytes).toBe(listing.files.filter((f) => names.includes(f.name)).reduce((sum, f) => sum + f.bytes, 0));

	for (const kind of ["v", "a"] as const) {
		const reference = await packetHashes(`${folder}/whole.mp4`, kind);
		const joined = (await Promise.all(files.map((f) => packetHashes(f, kind)))).flat();
		expect(reference.length).toBeGreaterThan(kind === "v" ? 150 : 250);
		expect(joined).toEqual(reference);
	}
});
