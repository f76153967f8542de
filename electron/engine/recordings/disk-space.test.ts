/**
 * The free-space gate on its own: the folder's nearest existing parent is measured before the
 * folder exists (a real statfs), a filesystem that cannot be measured refuses nothing and says
 * why, and changes are reported only when a person would see them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ErrorCode } from "../../../shared/errors";
import type { DiskSpace } from "../../../shared/recordings";
import { DiskSpaceWatcher, measureFolder, statFs } from "./disk-space";

let dir: string;
beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), "moq-disk-space-"));
});
afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});

it("measures a folder that does not exist yet on its nearest existing parent", () => {
	const real = statFs(dir);
	const missing = measureFolder(join(dir, "a", "b", "c"));
	expect(missing.totalBytes).toBe(real.totalBytes);
	expect(missing.freeBytes).toBeGreaterThan(0);
});

it("refuses a start below the minimum, reports visible changes only, and passes an unmeasurable disk", () => {
	let free = 300e6;
	let fail = false;
	const seen: DiskSpace[] = [];
	const watcher = new DiskSpaceWatcher({
		folder: () => dir,
		minFreeBytes: () => 500e6,
		freshMs: 0,
		statfs: () => {
			if (fail) throw Object.assign(new Error("statfs not supported"), { code: "ENOSYS" });
			return { freeBytes: free, totalBytes: 1e9 };
		},
		onChange: (now) => seen.push(now),
	});
	let err: unknown;
	try {
		watcher.assertRoom("a recording of x");
	} catch (e) {
		err = e;
	}
	expect(err).toMatchObject({ code: ErrorCode.IO, message: expect.stringMatching(/^disk space low: 300 MB free in .*, below the 500 MB minimum; a recording of x cannot start/) });
	expect(seen.map((s) => s.low)).toEqual([true]);
	free = 300.5e6; // under 1 MB: not news
	watcher.measure();
	expect(seen).toHaveLength(1);
	free = 600e6; // room again
	expect(() => watcher.assertRoom()).not.toThrow();
	expect(seen.map((s) => s.low)).toEqual([true, false]);
	fail = true;
	expect(() => watcher.assertRoom()).not.toThrow();
	expect(seen.at(-1)).toMatchObject({ freeBytes: null, low: false, problem: "statfs not supported" });
});
