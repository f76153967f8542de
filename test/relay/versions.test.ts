import * as Moq from "@moq/net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { startTestRelay } from "../helpers/relay";
import { closeQuietly, connect, publish, quietLibraryLogs, readString, until, watchAnnounced, writeGroup } from "./clients";

quietLibraryLogs();

// Every application protocol @moq/net 0.3.4 can speak over WebSocket, pinned one at a time
// (moql negotiates moq-lite-02 in SETUP). moq-lite-06-wip is excluded: unfinished upstream.
const PROTOCOLS: [string, string][] = [
	["moq-lite-05", "moq-lite-05"],
	["moq-lite-04", "moq-lite-04"],
	["moq-lite-03", "moq-lite-03"],
	["moql", "moq-lite-02"],
	["moqt-15", "moq-transport-15"],
	["moqt-16", "moq-transport-16"],
	["moqt-17", "moq-transport-17"],
	["moqt-18", "moq-transport-18"],
	["moqt-20", "moq-transport-20"],
];

describe("relay protocol versions", () => {
	let relay: RelayHandle;
	beforeAll(async () => {
		relay = await startTestRelay();
	});
	afterAll(() => relay.close());

	async function roundTrip(pubProtocol: string, subProtocol: string, path: string) {
		const pub = await connect(relay.url, { protocol: pubProtocol });
		const sub = await connect(relay.url, { protocol: subProtocol });
		try {
			const published = publish(pub, path);
			const seen = watchAnnounced(sub);
			await until(() => seen.active.has(path), 5000, `announcement over ${subProtocol}`);
			const track = sub.consume(Moq.Path.from(path)).subscribe("video");
			let i = 0;
			const timer = setInterval(() => writeGroup(published.track(), [`x${i++}`]), 30);
			try {
				expect(await readString(track)).toMatch(/^x\d+$/);
				expect(await readString(track)).toMatch(/^x\d+$/);
			} finally {
				clearInterval(timer);
			}
			return { pub, sub };
		} finally {
			closeQuietly(pub);
			closeQuietly(sub);
		}
	}

	for (const [protocol, version] of PROTOCOLS) {
		it(`relays ${protocol} (${version}) end to end`, async () => {
			const { sub } = await roundTrip(protocol, protocol, `v/${protocol}`);
			expect(sub.version).toBe(version);
		});
	}

	it("relays between a moq-lite publisher and an IETF subscriber", async () => {
		await roundTrip("moq-lite-05", "moqt-17", "cross/lite-to-ietf");
	});

	it("relays between an IETF publisher and a moq-lite subscriber", async () => {
		await roundTrip("moqt-16", "moq-lite-04", "cross/ietf-to-lite");
	});
});
