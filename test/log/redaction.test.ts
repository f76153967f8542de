/**
 * Relay tokens never leave the engine in text: `redact()` itself, the logger every line passes
 * through, and the capture of the MoQ libraries' console output with a real token on a real
 * connection to a relay that checks it. (The CLI at trace level is in test/cli/announced.test.ts.)
 */
import { afterEach, describe, expect, it } from "vitest";
import type { LogEntry } from "../../shared/models";
import { Logger } from "../../electron/engine/log/logger";
import { redact, redactUrl } from "../../electron/engine/log/redact";
import { signToken } from "../../electron/engine/relay";
import { captureLibraryConsole } from "../../electron/engine/transport/library-console";
import { startTestRelay } from "../helpers/relay";
import { connect, quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

const KEY = new TextEncoder().encode("redaction-test-key-0123456789abc");
/** A token the relay accepts, signed like a real one (so it has the shape of a real JWT). */
const TOKEN = signToken({ root: "", get: [""], put: [""], exp: Math.floor(Date.now() / 1000) + 600 }, KEY);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

/** No part of the token (a signature alone is the secret part) appears in `text`. */
function expectNoToken(text: string): void {
	expect(text).not.toContain(TOKEN);
	for (const part of TOKEN.split(".")) expect(text).not.toContain(part);
}

describe("redact()", () => {
	it("removes tokens in query parameters, bare JWTs and bearer headers, and leaves the rest", () => {
		const url = `ws://127.0.0.1:4443/room?jwt=${TOKEN}&x=1#frag`;
		expect(redact(url)).toBe("ws://127.0.0.1:4443/room?jwt=[redacted]&x=1#frag");
		expect(redactUrl(new URL(url))).toBe("ws://127.0.0.1:4443/room?jwt=[redacted]&x=1#frag");
		for (const name of ["token", "access_token", "auth", "JWT"]) {
			expect(redact(`https://relay.example/a?x=1&${name}=not-a-jwt-but-secret`)).toBe(`https://relay.example/a?x=1&${name}=[redacted]`);
		}
		expect(redact(`connect failed: token ${TOKEN} refused`)).toBe("connect failed: token [redacted] refused");
		expect(redact(`Authorization: Bearer ${TOKEN}`)).toBe("Authorization: Bearer [redacted]");
		expect(redact("Authorization: bearer opaque.secret~value")).toBe("Authorization: bearer [redacted]");
		// Ordinary text, including things that look a little like tokens, is left alone.
		const plain = "ws://127.0.0.1:4443/live/a.hang?prefix=live group 3 of track video0 eyJ.x.y";
		expect(redact(plain)).toBe(plain);
	});
});

describe("Logger", () => {
	it("stores and delivers every line redacted, whatever the level or scope", () => {
		const logger = new Logger();
		const delivered: LogEntry[] = [];
		logger.addSink((e) => delivered.push(e));
		const log = logger.scope("session").child("relay");
		log.trace(`connecting to ws://127.0.0.1:1/?jwt=${TOKEN}`);
		log.error(`refused ${TOKEN}`);
		logger.write("debug", "moq", `Bearer ${TOKEN}`);
		expect(delivered.map((e) => e.message)).toEqual(["connecting to ws://127.0.0.1:1/?jwt=[redacted]", "refused [redacted]", "Bearer [redacted]"]);
		expect(logger.recent("trace")).toEqual(delivered);
		expectNoToken(JSON.stringify([delivered, logger.recent("trace")]));
	});
});

describe("library console capture", () => {
	it("turns @moq/net's console lines about a real tokened connection into redacted log entries", async () => {
		const relay = await startTestRelay({ jwtKey: KEY });
		cleanups.push(() => relay.close());
		const logger = new Logger();
		const entries: LogEntry[] = [];
		logger.addSink((e) => entries.push(e));
		const restore = captureLibraryConsole(logger.scope("moq"));
		cleanups.push(restore);

		// The relay checks the token, so the connection only succeeds with the real one in the URL.
		const conn = await connect(relay.url, { jwt: TOKEN });
		cleanups.push(() => conn.close());
		restore();

		// Positive control: the library did log the URL it connected to, token position included.
		const text = entries.map((e) => `${e.scope} ${e.message}`).join("\n");
		expect(text).toMatch(/\?jwt=\[redacted\]/);
		expect(entries.every((e) => e.scope === "moq")).toBe(true);
		expectNoToken(text);
		expectNoToken(JSON.stringify(logger.recent("trace")));
	});
});
