import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { moqNetWorkarounds, race } from "./moq-net-leaks";
import { patchedMoqNetRoot } from "./moq-net-version";

// A full GC on demand without --expose-gc on the vitest worker.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Lets WeakRef targets of the current job go (they are kept alive until the job ends), then collects. */
async function collect(): Promise<void> {
	await new Promise((r) => setTimeout(r, 0));
	gc();
	await new Promise((r) => setTimeout(r, 0));
	gc();
}

describe("leak-free race", () => {
	it("settles like the native race", async () => {
		const never = new Promise<number>(() => {});
		expect(await race([never, Promise.resolve(1)])).toBe(1);
		// Already settled contenders: argument order decides, as natively.
		expect(await race([Promise.resolve("a"), Promise.resolve("b")])).toBe("a");
		expect(await race([Promise.resolve("a"), Promise.resolve("b")])).toBe(await Promise.race([Promise.resolve("a"), Promise.resolve("b")]));
		await expect(race([never, Promise.reject(new Error("boom"))])).rejects.toThrow("boom");
		expect(await race([7, never])).toBe(7);
		expect(await race(new Set([never, Promise.resolve(2)]))).toBe(2);
		// A later settlement wins when it is first.
		let resolve!: (v: string) => void;
		const later = new Promise<string>((r) => (resolve = r));
		const racing = race([later, never]);
		resolve("late");
		expect(await racing).toBe("late");
	});

	it("adopts thenables such as a @moq/signals Once, subscribing to each at most once", async () => {
		const track = new Moq.Track.Producer("t");
		let thens = 0;
		const closed = track.closed;
		const counting = { then: (a: (v: unknown) => void, b: (e: unknown) => void) => (thens++, closed.then(a, b)) };
		for (let i = 0; i < 100; i++) expect(await race([Promise.resolve(i), counting])).toBe(i);
		expect(thens).toBe(1);
		const pending = race([new Promise(() => {}), counting]);
		track.close();
		expect(await pending).toBeNull(); // a clean close settles the Once with null
	});

	it("keeps no finished race alive through a contender that never settles", async () => {
		const never = new Promise(() => {});
		let payload: { bytes: Uint8Array } | undefined = { bytes: new Uint8Array(1 << 20) };
		const ref = new WeakRef(payload);
		expect(await race([Promise.resolve(payload), never])).toBe(payload);
		payload = undefined;
		await collect();
		expect(ref.deref()).toBeUndefined();
	});

	it("replaces the global Promise.race, which then does not leak either", async () => {
		expect(moqNetWorkarounds.race).toBe(true);
		const never = new Promise(() => {});
		let payload: { bytes: Uint8Array } | undefined = { bytes: new Uint8Array(1 << 20) };
		const ref = new WeakRef(payload);
		await Promise.race([Promise.resolve(payload), never]);
		payload = undefined;
		await collect();
		expect(ref.deref()).toBeUndefined();
		// Subclasses keep the native race.
		class Sub<T> extends Promise<T> {}
		expect(await Sub.race([Sub.resolve(3)])).toBe(3);
	});

	it("rejects a non-iterable with a TypeError, as the native race does (never a race that hangs)", async () => {
		for (const bad of [5, {}, { length: 1, 0: Promise.resolve(1) }, null, undefined]) {
			await expect(Promise.race(bad as unknown as Iterable<unknown>)).rejects.toBeInstanceOf(TypeError);
			await expect(race(bad as unknown as Iterable<unknown>)).rejects.toBeInstanceOf(TypeError);
		}
		// A string is iterable: its characters race as plain values.
		expect(await race("ab")).toBe("a");
	});

	it("patches @moq/net's Writer.tryOpen in the library's own module instance", async () => {
		expect(moqNetWorkarounds.tryOpen).toBe(true);
		// The instance the library itself imports (same file URL), not a copy.
		const root = patchedMoqNetRoot();
		expect(root).toBeDefined();
		const { Writer } = (await import(pathToFileURL(join(root!, "stream.js")).href)) as { Writer: { tryOpen: { toString(): string } } };
		expect(Writer.tryOpen.toString()).toContain("race([options.cancel, opened])");
	});
});
