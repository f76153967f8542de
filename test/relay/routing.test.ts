import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { publish, quietLibraryLogs, readString, relayFixture, until, watchAnnounced, within, writeGroup } from "./clients";

quietLibraryLogs();
const P = Moq.Path.from;

describe("relay routing", () => {
	const { start, client, timers } = relayFixture();
	/** Writes a one-frame group `${tag}${n}` every 30 ms until the test ends. */
	function stream(track: Moq.Track.Producer, tag = "f") {
		let i = 0;
		timers.push(setInterval(() => writeGroup(track, [`${tag}${i++}`]), 30));
	}

	it("forwards frames from a publisher to a subscriber", async () => {
		await start();
		const published = publish(await client(), "live/cam");
		const sub = await client();
		const seen = watchAnnounced(sub, "live");
		await until(() => seen.active.has("cam"), 5000, "announcement");
		const track = sub.consume(P("live/cam")).subscribe("video");
		stream(published.track());
		const first = await readString(track);
		expect(first).toMatch(/^f\d+$/);
		const second = await readString(track);
		expect(Number(second?.slice(1))).toBeGreaterThan(Number(first?.slice(1)));
	});

	it("filters announcements by prefix", async () => {
		await start();
		const pub = await client();
		publish(pub, "a/one");
		publish(pub, "a/two");
		publish(pub, "b/three");
		publish(pub, "ab/four");
		const sub = await client();
		const a = watchAnnounced(sub, "a");
		const b = watchAnnounced(sub, "b");
		const all = watchAnnounced(sub, "");
		await until(() => all.active.size === 4, 5000, "all four announcements");
		await until(() => a.active.size === 2 && b.active.size === 1, 2000, "prefixed announcements");
		expect([...a.active].sort()).toEqual(["one", "two"]);
		expect([...b.active]).toEqual(["three"]);
		expect([...all.active].sort()).toEqual(["a/one", "a/two", "ab/four", "b/three"]);
	});

	it("fans one upstream subscription out to many subscribers", async () => {
		const r = await start();
		const published = publish(await client(), "show");
		const subs = await Promise.all([client(), client(), client(), client()]);
		for (const s of subs) {
			const seen = watchAnnounced(s);
			await until(() => seen.active.has("show"), 5000, "announcement");
		}
		const tracks = subs.map((s) => s.consume(P("show")).subscribe("video"));
		stream(published.track());
		const firsts = await Promise.all(tracks.map((t) => readString(t)));
		for (const f of firsts) expect(f).toMatch(/^f\d+$/);
		// Everyone then sees the same next frames. Read group by group: `readFrame` skips to the
		// newest group when several are buffered, so a subscriber slowed by a loaded machine would
		// miss one here without the relay having dropped anything.
		const target = Math.max(...firsts.map((f) => Number(f?.slice(1)))) + 2;
		for (const t of tracks) {
			const seen = new Set<number>();
			while (!seen.has(target) && !(Math.max(-1, ...seen) > target + 10)) {
				const group = await within(t.recvGroup(), 5000, "a group");
				const frame = await group?.readFrame();
				if (frame) seen.add(Number(new TextDecoder().decode(frame.payload).slice(1)));
			}
			expect(seen.has(target)).toBe(true);
		}
		expect(r.stats().upstreamSubscriptions).toBe(1);
		expect(r.stats().routes).toEqual([{ path: "show", publisher: expect.any(Number), tracks: [{ name: "video", upstream: true }] }]);
	});

	it("starts a late joiner at the latest group", async () => {
		await start();
		const published = publish(await client(), "late");
		const early = await client();
		const seen = watchAnnounced(early);
		await until(() => seen.active.has("late"), 5000, "announcement");
		const earlyTrack = early.consume(P("late")).subscribe("video");
		const track = published.track();
		// Let the early subscription reach the publisher before writing.
		const g0 = track.appendGroup();
		g0.writeFrame({ payload: new TextEncoder().encode("g0f0"), timestamp: Moq.Time.Timestamp.now() });
		expect(await readString(earlyTrack)).toBe("g0f0");
		g0.close();
		for (let g = 1; g <= 3; g++) writeGroup(track, [`g${g}f0`, `g${g}f1`]);
		const open = track.appendGroup();
		open.writeFrame({ payload: new TextEncoder().encode("g4f0"), timestamp: Moq.Time.Timestamp.now() });
		// The early subscriber drains to g4f0, proving the relay holds groups 1-4.
		let last: string | undefined;
		while (last !== "g4f0") last = await readString(earlyTrack);
		const late = await client();
		const lateTrack = late.consume(P("late")).subscribe("video");
		expect(await readString(lateTrack)).toBe("g4f0");
		open.writeFrame({ payload: new TextEncoder().encode("g4f1"), timestamp: Moq.Time.Timestamp.now() });
		expect(await readString(lateTrack)).toBe("g4f1");
		open.close();
	});

	it("propagates unannounce and broadcast end", async () => {
		await start();
		const published = publish(await client(), "ending");
		const sub = await client();
		const seen = watchAnnounced(sub);
		await until(() => seen.active.has("ending"), 5000, "announcement");
		const track = sub.consume(P("ending")).subscribe("video");
		stream(published.track());
		expect(await readString(track)).toMatch(/^f/);
		for (const t of timers.splice(0)) clearInterval(t);
		published.broadcast.close();
		await until(() => !seen.active.has("ending"), 5000, "unannounce");
		// The track ends cleanly: reads drain the frames still in flight, then report the end
		// (undefined). A reset rejects the read instead and fails here: it is not a clean end.
		while ((await within(track.readFrame(), 5000, "track end")) !== undefined) {
			// frames still in flight
		}
		expect(await track.closed).toBeNull();
		expect(seen.events.at(-1)).toEqual({ path: "ending", active: false });
	});

	it("lets a reconnecting publisher take over without subscribers re-subscribing", async () => {
		const r = await start({ publisherGraceMs: 5000 });
		const pub1 = await client();
		const first = publish(pub1, "cam");
		const sub = await client();
		const seen = watchAnnounced(sub);
		await until(() => seen.active.has("cam"), 5000, "announcement");
		const track = sub.consume(P("cam")).subscribe("video");
		stream(first.track(), "a");
		expect(await readString(track)).toMatch(/^a\d+$/);
		for (const t of timers.splice(0)) clearInterval(t);
		pub1.close();
		await until(() => r.stats().routes[0]?.publisher === undefined, 5000, "publisher loss");
		const pub2 = await client();
		const second = publish(pub2, "cam");
		stream(second.track(), "b");
		let frame: string | undefined;
		do frame = await readString(track, 8000);
		while (frame?.startsWith("a"));
		expect(frame).toMatch(/^b\d+$/);
		expect(await readString(track)).toMatch(/^b\d+$/);
		// The subscriber never saw the broadcast go away.
		expect(seen.events.filter((e) => !e.active)).toEqual([]);
	});

	it("ends a route when its publisher does not return within the grace period", async () => {
		await start({ publisherGraceMs: 200 });
		const pub = await client();
		publish(pub, "gone");
		const sub = await client();
		const seen = watchAnnounced(sub);
		await until(() => seen.active.has("gone"), 5000, "announcement");
		pub.close();
		await until(() => !seen.active.has("gone"), 5000, "unannounce after grace");
	});
});
