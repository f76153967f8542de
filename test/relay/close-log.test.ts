/**
 * Issue 18: a client that leaves is routine for a relay. A CLI that exits (its WebSocket drops,
 * 1006) or a client that closes its session cleanly must give the relay's log an info line and
 * no error (an error raises the UI's error badge); a client that breaks the protocol still gets
 * an error/warn line.
 *
 * The relay's log sink and the MoQ libraries' console (routed by library-console.ts, as every
 * studio host does) are both captured into one Logger.
 */
import * as Moq from "@moq/net";
import Qmux from "@moq/qmux";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LogEntry } from "../../shared/models";
import { Logger } from "../../electron/engine/log/logger";
import type { RelayHandle } from "../../electron/engine/relay";
import { openWebSocket } from "../../electron/engine/transport/websocket";
import { captureLibraryConsole } from "../../electron/engine/transport/library-console";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { until, within } from "./clients";

let relay: RelayHandle;
let entries: LogEntry[];
let restoreConsole: () => void;

beforeEach(async () => {
	const logger = new Logger();
	entries = [];
	logger.addSink((e) => entries.push(e));
	restoreConsole = captureLibraryConsole(logger.scope("moq"));
	const relayLog = logger.scope("relay");
	relay = await startTestRelay({ log: (level, message) => relayLog[level](message) });
});
afterEach(async () => {
	await relay?.close();
	restoreConsole?.();
});

const show = () => entries.map((e) => `${e.level} ${e.scope}: ${e.message}`).join("\n");
const severe = () => entries.filter((e) => e.level === "error" || e.level === "warn");
const leftLine = () => entries.find((e) => e.level === "info" && e.scope === "relay" && /^session \d+ \(.+\) left/.test(e.message));

/** A client connected the way the studio's engine connects (its own WebSocket, adopted by QMux). */
async function client() {
	const { socket, opened } = openWebSocket(new URL(relay.url.replace(/^http/, "ws")), { protocols: ["moq-lite-05"], timeoutMs: 5000 });
	const transport = new Qmux(socket as unknown as ConstructorParameters<typeof Qmux>[0]);
	await opened;
	await transport.ready;
	const conn = await Moq.Connection.connect(new URL(relay.url), { transport });
	return { socket, transport, conn };
}

describe("relay log when a client leaves", () => {
	it("logs a CLI that exits on SIGINT (its socket drops) as info, never as an error", { timeout: 60_000 }, async () => {
		const child = spawnStudioCli(["announced", "--url", relay.url, "--json"]);
		await waitForLine(child, /"event":"status","code":1/);
		await until(() => relay.stats().sessions === 1, 10_000, "the CLI's session");
		child.kill("SIGINT");
		expect((await waitForExit(child)).code).toBe(0);
		await until(() => relay.stats().sessions === 0, 10_000, "the relay to see the CLI leave");
		await until(() => leftLine() !== undefined, 5_000, `an info line for the session that left:\n${show()}`);
		// Give the library's own report of the connection end (it settles in a later turn) a chance to land.
		await until(() => entries.some((e) => e.scope === "moq" && /fatal error running connection/.test(e.message)), 5_000, `the library's connection-end line:\n${show()}`);
		expect(severe(), show()).toEqual([]);
	});

	it("logs a client that closes its session cleanly (close code 0) as info", async () => {
		const { conn } = await client();
		await until(() => relay.stats().sessions === 1, 10_000, "the session");
		conn.close();
		await until(() => relay.stats().sessions === 0, 10_000, "the relay to see the client leave");
		await until(() => leftLine() !== undefined, 5_000, `an info line for the session that left:\n${show()}`);
		expect(severe(), show()).toEqual([]);
	});

	it("still logs a client that breaks the protocol at error/warn level", async () => {
		const { socket, transport, conn } = await client();
		await until(() => relay.stats().sessions === 1, 10_000, "the session");
		// Bytes that are no QMux frame, on an established session: a protocol violation.
		socket.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37]));
		await within(transport.closed.catch(() => undefined), 10_000, "the relay to close the broken session");
		await until(() => relay.stats().sessions === 0, 10_000, "the relay to drop the broken session");
		await until(() => severe().length > 0, 5_000, `an error or warning:\n${show()}`);
		expect(leftLine(), show()).toBeUndefined();
		conn.close();
	});
});
