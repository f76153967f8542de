import * as Moq from "@moq/net";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { closeCodeFor, parseJwtKey, signToken, startRelay, verifyToken } from "../../electron/engine/relay";
import { StudioError } from "../../shared/errors";
import { closeQuietly, connectOwned, relayFixture, publish, quietLibraryLogs, readString, until, watchAnnounced, within, writeGroup } from "./clients";

quietLibraryLogs();
const KEY = new TextEncoder().encode("test-secret-of-reasonable-length");
const now = () => Math.floor(Date.now() / 1000);

describe("relay tokens", () => {
	const fx = relayFixture();
	async function client(path: string, claims: Record<string, unknown>) {
		if (!fx.relay) throw new Error("no relay");
		const c = await connectOwned(fx.relay.url, { path, jwt: signToken(claims, KEY) });
		fx.conns.push(c.conn);
		return c;
	}

	it("verifies HS256 tokens and reads moq-relay claims", () => {
		const token = signToken({ root: "room", pub: "alice", sub: ["", "x"], exp: now() + 60 }, KEY);
		expect(verifyToken(token, KEY)).toMatchObject({ root: "room", put: ["alice"], get: ["", "x"] });
		expect(() => verifyToken(token, new TextEncoder().encode("other"))).toThrow(/signature/);
		expect(() => verifyToken(signToken({ root: "", exp: now() - 1 }, KEY), KEY)).toThrow(/expired/);
		expect(() => verifyToken("a.b", KEY)).toThrow(StudioError);
		expect(parseJwtKey(new TextEncoder().encode(JSON.stringify({ kty: "oct", k: Buffer.from(KEY).toString("base64url") })))).toEqual(KEY);
	});

	it("accepts valid tokens scoped by root, put and get", async () => {
		const relay = await fx.start({ jwtKey: KEY });
		const { conn: pub } = await client("/room", { root: "room", put: ["alice"], get: [], exp: now() + 60 });
		const published = publish(pub, "alice/cam");
		publish(pub, "bob/cam"); // outside put: ignored
		const { conn: sub } = await client("/room", { root: "room", put: [], get: ["alice"] });
		const seen = watchAnnounced(sub);
		await until(() => seen.active.has("alice/cam"), 5000, "alice's announcement");
		const track = sub.consume(Moq.Path.from("alice/cam")).subscribe("video");
		let i = 0;
		fx.timers.push(setInterval(() => writeGroup(published.track(), [`a${i++}`]), 30));
		expect(await readString(track)).toMatch(/^a/);
		expect(relay.stats().routes.map((r) => r.path)).toEqual(["room/alice/cam"]);
		// A subscriber scoped to another prefix sees nothing of alice. Positive control on the same
		// connection: carol publishes after alice, and once carol's announcement arrives anything
		// about alice (announced earlier) would have arrived too.
		const { conn: other } = await client("/room", { root: "room", get: ["carol"] });
		const otherSeen = watchAnnounced(other);
		const { conn: carol } = await client("/room", { root: "room", put: ["carol"] });
		publish(carol, "carol/cam");
		await until(() => otherSeen.active.has("carol/cam"), 5000, "carol's announcement");
		expect(otherSeen.events).toEqual([{ path: "carol/cam", active: true }]);
		// Nor does a session at another root, which does see what is published under its root.
		const { conn: elsewhere } = await client("/hall", { root: "", get: [""] });
		const elsewhereSeen = watchAnnounced(elsewhere);
		const { conn: hall } = await client("/hall", { root: "", put: [""] });
		publish(hall, "stage");
		await until(() => elsewhereSeen.active.has("stage"), 5000, "the hall's own announcement");
		expect(elsewhereSeen.events).toEqual([{ path: "stage", active: true }]);
	});

	it("refuses missing, bad, expired and wrongly rooted tokens", async () => {
		const relay = await fx.start({ jwtKey: KEY });
		const url = relay.url;
		// The HTTP status of a WebSocket upgrade (101 when accepted).
		const status = (query: string, path = "/room") =>
			new Promise<number>((resolve) => {
				const ws = new WebSocket(new URL(`${path}${query}`, url.replace("http", "ws")), ["qmux-01.moq-lite-05"]);
				ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
				ws.on("open", () => {
					ws.terminate();
					resolve(101);
				});
				ws.on("error", () => {});
			});
		expect(await status("")).toBe(401);
		expect(await status("?jwt=garbage")).toBe(401);
		expect(await status(`?jwt=${signToken({ root: "room", get: [""], exp: now() - 5 }, KEY)}`)).toBe(401);
		expect(await status(`?jwt=${signToken({ root: "room", get: [""] }, new TextEncoder().encode("wrong"))}`)).toBe(401);
		expect(await status(`?jwt=${signToken({ root: "other", get: [""] }, KEY)}`)).toBe(403);
		await expect(connectOwned(url, { path: "/room" })).rejects.toThrow();
		expect(relay.stats().sessions).toBe(0);
	});

	it("closes a session when its token expires", async () => {
		const relay = await fx.start({ jwtKey: KEY });
		const { transport } = await client("/", { root: "", get: [""], exp: now() + 2 });
		const { conn: keeper } = await client("/", { root: "", get: [""], exp: now() + 60 });
		const info = await within(transport.closed, 5000, "expiry close");
		expect(info.closeCode).toBe(closeCodeFor("UNAUTHORIZED"));
		expect(info.reason).toBe("token expired");
		expect(relay.stats().sessions).toBe(1);
		closeQuietly(keeper);
	});

	it("refuses a non-loopback listen without a key, saying why", async () => {
		const err = await startRelay({ host: "0.0.0.0", port: 0 }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(StudioError);
		expect((err as StudioError).codeName).toBe("FORBIDDEN");
		expect((err as StudioError).message).toMatch(/without a JWT key/);
	});
});
