import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { TrackFanout } from "./fanout";

const frame = (byte: number): Moq.Group.Frame => ({ payload: new Uint8Array([byte]), timestamp: Moq.Time.Timestamp.fromMicros(0) });

/** What a subscriber of `producer` can read right now: frame bytes per group sequence. */
function read(producer: Moq.Track.Producer): Map<number, number[]> {
	const sub = producer.subscribe();
	const out = new Map<number, number[]>();
	for (let group = sub.tryRecvGroup(); group; group = sub.tryRecvGroup()) {
		const bytes: number[] = [];
		for (let f = group.tryReadFrame(); f; f = group.tryReadFrame()) bytes.push(f.payload[0] as number);
		out.set(group.sequence, bytes);
	}
	sub.close();
	return out;
}

/** A producer as `request.accept` hands it over: fresh, with no groups. */
const requested = () => new Moq.Track.Producer("video").accept({ latencyMax: 30_000 });

/**
 * `n` producers accepted from real requests of one broadcast, as a publisher's request loop gets
 * them: the library binds them to one group counter per broadcast and name.
 */
async function fromRequests(n: number): Promise<Moq.Track.Producer[]> {
	const broadcast = new Moq.Broadcast.Producer();
	const out: Moq.Track.Producer[] = [];
	for (let i = 0; i < n; i++) {
		broadcast.subscribe("video"); // as the publishing wire layer asks for each peer subscription
		const request = await broadcast.requested();
		if (!request) throw new Error("no request");
		out.push(request.accept({ latencyMax: 30_000 }));
	}
	return out;
}

describe("TrackFanout", () => {
	it("numbers a group the same in every producer", async () => {
		const broadcast = new Moq.Broadcast.Producer();
		const fanout = new TrackFanout(broadcast, "video", { latencyMax: 30_000 });
		const [a, b] = (await fromRequests(2)) as [Moq.Track.Producer, Moq.Track.Producer];
		fanout.attach(a, 0);
		fanout.attach(b, 0);
		for (let g = 0; g < 3; g++) fanout.writeSingle(frame(g));
		expect([...read(a)]).toEqual([...read(b)]);
		expect([...read(a).keys()]).toEqual([0, 1, 2]);
		fanout.close();
		broadcast.close();
	});

	it("gives a producer attached mid-group that group from its first frame, then what follows", () => {
		const broadcast = new Moq.Broadcast.Producer();
		const fanout = new TrackFanout(broadcast, "video", { latencyMax: 30_000 });
		fanout.openGroup();
		fanout.writeFrame(frame(10));
		fanout.writeFrame(frame(11));
		const late = requested();
		fanout.attach(late);
		fanout.writeFrame(frame(12));
		fanout.openGroup();
		fanout.writeFrame(frame(20));
		fanout.closeGroup();
		expect([...read(late)]).toEqual([
			[0, [10, 11, 12]],
			[1, [20]],
		]);
		fanout.close();
		broadcast.close();
	});

	it("after the end, gives a late producer the retained groups from its start, then ends it", async () => {
		const broadcast = new Moq.Broadcast.Producer();
		const fanout = new TrackFanout(broadcast, "video", { latencyMax: 30_000 });
		for (let g = 0; g < 4; g++) fanout.writeSingle(frame(g));
		fanout.close();
		const fromOne = requested();
		fanout.attach(fromOne, 1);
		expect([...read(fromOne)]).toEqual([
			[1, [1]],
			[2, [2]],
			[3, [3]],
		]);
		expect(await fromOne.closed).toBeNull();
		const live = requested();
		fanout.attach(live);
		expect([...read(live)]).toEqual([[3, [3]]]);
		broadcast.close();
	});

	it("keeps groups written while no producer is attached, for one that comes later", () => {
		const broadcast = new Moq.Broadcast.Producer();
		broadcast.createTrack("video"); // the name is taken: the fanout starts with no producer
		const fanout = new TrackFanout(broadcast, "video", { latencyMax: 30_000 });
		fanout.writeSingle(frame(7));
		const back = requested();
		fanout.attach(back, 0);
		expect([...read(back)]).toEqual([[0, [7]]]);
		fanout.close();
		broadcast.close();
	});
});
