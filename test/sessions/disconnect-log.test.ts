/**
 * Issue 14: "a client disconnecting logs an ERROR with a file path and raises the red badge".
 * Clients come and go: a CLI killed mid-session, a page's bridge socket dropping, a relay closing
 * a session cleanly. Those are info or debug lines in the studio's log, in one line with no stack
 * and no file path; a client that breaks the protocol is still an error or a warning.
 *
 * The real engine with its embedded relay behind its web host, the MoQ libraries' console routed
 * into its logger as every host does, real `moq-studio` processes; checked through the logger's
 * recent entries, which is what the Log view and its badge read.
 */
import Qmux from "@moq/qmux";
import * as Moq from "@moq/net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { LogEntry } from "../../shared/models";
import { captureLibraryConsole } from "../../electron/engine/transport/library-console";
import { openWebSocket } from "../../electron/engine/transport/websocket";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio } from "../helpers/studio";
import { until, within } from "../relay/clients";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

/** A stack frame or a source path: what a routine line must not carry. */
const STACK_OR_PATH = /file:\/\/|node_modules|\n\s+at\s|\.js:\d+/;

async function studioWithLog() {
	const t = await startTestStudio({ embeddedRelay: true });
	cleanups.push(() => t.close());
	const restore = captureLibraryConsole(t.studio.logger.scope("moq"));
	cleanups.push(restore);
	const log = t.studio.logger;
	const show = (entries: LogEntry[] = log.recent("trace", 2000)) => entries.map((e) => `${e.level} ${e.scope}: ${e.message}`).join("\n");
	return { t, relay: t.studio.embeddedRelay!, log, show };
}

describe("ordinary disconnects in the studio's log", () => {
	it("a CLI killed mid-session and a page's bridge dropping are info lines without stack or path", { timeout: 60_000 }, async () => {
		const { t, relay, log, show } = await studioWithLog();
		const cli = spawnStudioCli(["announced", "--url", relay.url, "--json"]);
		cleanups.push(() => void cli.kill("SIGKILL"));
		await waitForLine(cli, /"event":"status","code":1/);
		cli.kill("SIGKILL");
		await waitForExit(cli);
		await until(() => log.recent("trace").some((e) => e.scope === "relay" && / left \(close code 1006\)/.test(e.message)), 10_000, `the relay to see the CLI go:\n${show()}`);
		// The library reports the connection end in a later turn: wait for its line.
		await until(() => log.recent("trace").some((e) => e.scope === "moq" && /fatal error running connection/.test(e.message)), 5_000, `the library's line:\n${show()}`);

		const bridge = new WebSocket(`ws://127.0.0.1:${t.web.port}/bridge?token=${t.web.token}`, { origin: t.web.origin });
		await new Promise((resolve, reject) => {
			bridge.once("open", resolve);
			bridge.once("error", reject);
		});
		bridge.terminate();
		await new Promise((r) => setTimeout(r, 200));

		expect(log.recent("warn"), show()).toEqual([]);
		const routine = log.recent("trace").filter((e) => e.scope === "moq" || / left\b/.test(e.message));
		expect(routine.length, show()).toBeGreaterThan(0);
		for (const e of routine) expect(e.message, show()).not.toMatch(STACK_OR_PATH);
	});

	it("a relay that closes the studio's session cleanly leaves no library warning or stack", { timeout: 60_000 }, async () => {
		const { t, log, show } = await studioWithLog();
		const other = await startTestRelay();
		const origin = t.studio.origins.create("show");
		const id = t.studio.sessions.connect({ url: other.url, publishOrigin: origin.id, consumeOrigin: origin.id, backoff: { initial: 50, timeout: 200 } });
		await until(() => t.studio.sessions.get(id).phase === "connected", 10_000, "the session");
		await other.close();
		await until(() => t.studio.sessions.get(id).phase === "failed", 15_000, "the session to give up");
		await new Promise((r) => setTimeout(r, 200));
		// The session's own account of it ("disconnected from …") is the studio's to give.
		const library = log.recent("trace").filter((e) => e.scope === "moq");
		expect(library.filter((e) => e.level === "warn" || e.level === "error"), show()).toEqual([]);
		for (const e of library) expect(e.message, show()).not.toMatch(STACK_OR_PATH);
	});

	it("a client that breaks the protocol is still an error or a warning", { timeout: 60_000 }, async () => {
		const { relay, log, show } = await studioWithLog();
		const { socket, opened } = openWebSocket(new URL(relay.url.replace(/^http/, "ws")), { protocols: ["moq-lite-05"], timeoutMs: 5000 });
		const transport = new Qmux(socket as unknown as ConstructorParameters<typeof Qmux>[0]);
		await opened;
		await transport.ready;
		const conn = await Moq.Connection.connect(new URL(relay.url), { transport });
		cleanups.push(() => conn.close());
		// Bytes that are no QMux frame, on an established session: a protocol violation.
		socket.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37]));
		await within(transport.closed.catch(() => undefined), 10_000, "the relay to close the broken session");
		await until(() => log.recent("warn").length > 0, 5_000, `an error or a warning:\n${show()}`);
	});
});
