/**
 * The renderer's pure pieces, in Node: how announcement batches apply to the Broadcasts store,
 * the segment-wise prefix filter, and the formatters the views show.
 */
import { describe, expect, it } from "vitest";
import type { AnnouncedBroadcast } from "../../shared/broadcasts";
import { applyBatch, pruneEnded, underPrefix, type BroadcastEntry } from "../../renderer/src/stores/broadcasts";
import { fromRecord } from "../../renderer/src/stores/preferences";
import { formatAgo, formatBitrate, formatBytes, relayLabel, secondsUntil } from "../../renderer/src/lib/format";

/** A Map that counts the work done on it: writes, reads, and whole-map scans (iteration or copies). */
class CountingMap<K, V> extends Map<K, V> {
	ops = { set: 0, get: 0, scans: 0 };
	override set(key: K, value: V): this {
		// Map's constructor calls set() before the field initialiser runs.
		if (this.ops) this.ops.set++;
		return super.set(key, value);
	}
	override get(key: K): V | undefined {
		this.ops.get++;
		return super.get(key);
	}
	override entries(): MapIterator<[K, V]> {
		this.ops.scans++;
		return super.entries();
	}
	override keys(): MapIterator<K> {
		this.ops.scans++;
		return super.keys();
	}
	override values(): MapIterator<V> {
		this.ops.scans++;
		return super.values();
	}
	override forEach(fn: (value: V, key: K, map: Map<K, V>) => void): void {
		this.ops.scans++;
		super.forEach(fn);
	}
	override [Symbol.iterator](): MapIterator<[K, V]> {
		this.ops.scans++;
		return super[Symbol.iterator]();
	}
}

const b = (path: string, since = 1000): AnnouncedBroadcast => ({ key: `o\u0000${path}`, path, originId: "o", source: "local", sessionId: null, since });

describe("the Broadcasts store", () => {
	it("applies additions then removals, keeping an entry that came and went as ended", () => {
		const m = new Map<string, BroadcastEntry>();
		expect(applyBatch(m, { added: [b("a"), b("b")], removed: [{ key: "o\u0000a", at: 1500 }] })).toBe(3);
		expect(m.get("o\u0000a")?.endedAt).toBe(1500);
		expect(m.get("o\u0000b")?.endedAt).toBeNull();
	});

	it("ignores a removal older than a re-announcement, and unknown keys", () => {
		const m = new Map<string, BroadcastEntry>();
		applyBatch(m, { added: [b("a", 2000)], removed: [{ key: "o\u0000a", at: 1500 }, { key: "nope", at: 1 }] });
		expect(m.get("o\u0000a")?.endedAt).toBeNull();
	});

	it("drops ended entries after the grace period only", () => {
		const m = new Map<string, BroadcastEntry>();
		applyBatch(m, { added: [b("a"), b("b"), b("c")], removed: [{ key: "o\u0000a", at: 1000 }, { key: "o\u0000b", at: 5000 }] });
		expect(pruneEnded(m, 2000)).toBe(1);
		expect([...m.keys()]).toEqual(["o\u0000b", "o\u0000c"]);
	});

	it("applies a batch of 10,000 additions, then their removals, with one map write per change and no scans", () => {
		// Work counted instead of timed (a timing limit flakes on a shared 2-core machine): a
		// batch must cost one write per change in the same Map, never a scan or a copy of it,
		// or a flood of n announcements costs n² (the smoothness figures are in bench/ui-*).
		const m = new CountingMap<string, BroadcastEntry>();
		const added = Array.from({ length: 10_000 }, (_, i) => b(`flood/${i}`));
		expect(applyBatch(m, { added, removed: [] })).toBe(10_000);
		expect(m.size).toBe(10_000);
		expect(m.ops).toEqual({ set: 10_000, get: 0, scans: 0 });

		m.ops = { set: 0, get: 0, scans: 0 };
		const removed = added.map((a) => ({ key: a.key, at: 2000 }));
		expect(applyBatch(m, { added: [], removed })).toBe(10_000);
		expect(m.ops).toEqual({ set: 10_000, get: 10_000, scans: 0 });
		expect(m.get("o\u0000flood/9999")?.endedAt).toBe(2000);
	});

	it("filters by path prefix segment-wise", () => {
		expect(underPrefix("live/a", "live")).toBe(true);
		expect(underPrefix("live/a", "live/")).toBe(true);
		expect(underPrefix("live", "/live/")).toBe(true);
		expect(underPrefix("lively/a", "live")).toBe(false);
		expect(underPrefix("anything", "")).toBe(true);
	});
});

describe("preferences and formatting", () => {
	it("reads saved preferences, ignoring values of the wrong shape", () => {
		expect(fromRecord({ "ui.theme": "light", "ui.logLevel": "debug", "ui.broadcastsPrefix": "live" })).toMatchObject({ theme: "light", logLevel: "debug", broadcastsPrefix: "live" });
		expect(fromRecord({ "ui.theme": "pink", "ui.logLevel": 3 })).toMatchObject({ theme: "system", logLevel: "info" });
	});

	it("formats rates, sizes, times and relay addresses", () => {
		expect(formatBitrate(0)).toBe("0 b/s");
		expect(formatBitrate(850_000)).toBe("850 kb/s");
		expect(formatBitrate(6_200_000)).toBe("6.2 Mb/s");
		expect(formatBytes(12_345)).toBe("12 kB");
		expect(formatBytes(4_100_000)).toBe("4.1 MB");
		expect(formatAgo(0, 500)).toBe("just now");
		expect(formatAgo(0, 12_000)).toBe("12 s ago");
		expect(formatAgo(0, 180_000)).toBe("3 min ago");
		expect(secondsUntil(10_000, 7_100)).toBe(3);
		expect(secondsUntil(0, 5_000)).toBe(0);
		expect(relayLabel("http://127.0.0.1:4443/")).toBe("127.0.0.1:4443");
	});
});
