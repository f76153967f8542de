import { afterEach, describe, expect, it } from "vitest";
import { signToken, startRelay, type RelayHandle } from "../../electron/engine/relay";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { connect, publish, quietLibraryLogs } from "../relay/clients";

quietLibraryLogs();

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

function jsonLines(stdout: string): Record<string, unknown>[] {
	return stdout
		.split("\n")
		.filter((l) => l.trim())
		.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("moq-studio announced", () => {
	it("prints announcements and status as JSON lines, keeps going across a relay restart, exits 0 on SIGINT", async () => {
		let relay: RelayHandle = await startTestRelay();
		const port = relay.port;
		cleanups.push(() => relay.close());
		const child = spawnStudioCli(["announced", "--url", relay.url, "--prefix", "live", "--json"]);
		cleanups.push(() => child.kill("SIGKILL"));
		await waitForLine(child, /"event":"status","code":1/);

		const pub = await connect(relay.url);
		publish(pub, "live/one");
		publish(pub, "other/two");
		await waitForLine(child, /"path":"live\/one","active":true/);

		await relay.close();
		pub.close();
		await waitForLine(child, /"event":"disconnected"/);
		relay = await startRelay({ host: "127.0.0.1", port });
		await waitForLine(child, /"event":"status","code":2/);
		const pub2 = await connect(relay.url);
		cleanups.push(() => pub2.close());
		publish(pub2, "live/three");
		await waitForLine(child, /"path":"live\/three","active":true/);

		child.kill("SIGINT");
		const result = await waitForExit(child);
		expect(result.code).toBe(0);
		const events = jsonLines(result.stdout);
		expect(events.every((e) => typeof e.event === "string")).toBe(true);
		expect(events.filter((e) => e.event === "status").map((e) => e.code)).toEqual([1, 2, 0]);
		const paths = events.filter((e) => e.event === "announce").map((e) => `${e.active ? "+" : "-"}${String(e.path)}`);
		expect(paths).toContain("+live/one");
		expect(paths).toContain("-live/one");
		expect(paths).not.toContain("+other/two");
		// The library's console output never leaks into the JSON stream.
		expect(result.stdout).not.toMatch(/negotiated ALPN/);
	});

	it("never prints a valid token, even with the engine's log at trace level on stderr", async () => {
		const key = new TextEncoder().encode("a-secret-key-for-tests-only-4567");
		const relay = await startTestRelay({ jwtKey: key });
		cleanups.push(() => relay.close());
		const token = signToken({ root: "", get: [""], put: [""], exp: Math.floor(Date.now() / 1000) + 600 }, key);
		const child = spawnStudioCli(["announced", "--url", relay.url, "--token", token, "--json"], { MOQ_STUDIO_LOG: "trace" });
		cleanups.push(() => child.kill("SIGKILL"));
		// The relay checks the token: reaching epoch 1 proves the CLI used the real one.
		await waitForLine(child, /"event":"status","code":1/);
		const pub = await connect(relay.url, { jwt: token });
		cleanups.push(() => pub.close());
		publish(pub, "live/secret");
		await waitForLine(child, /"path":"live\/secret","active":true/);
		child.kill("SIGINT");
		const result = await waitForExit(child);
		expect(result.code).toBe(0);
		// Positive control: trace logging ran, and logged the tokened URL (redacted) on stderr.
		expect(result.stderr).toMatch(/^\[trace\] /m);
		expect(result.stderr).toMatch(/jwt=\[redacted\]/);
		const printed = result.stdout + result.stderr;
		expect(printed).not.toContain(token);
		// The signature alone is the secret: no part of the token may show.
		for (const part of token.split(".")) expect(printed).not.toContain(part);
	});

	it("fails with one line and a non-zero code when the URL is invalid or the relay refuses the token", async () => {
		const bad = await waitForExit(spawnStudioCli(["announced", "--url", "ftp://nope"]));
		expect(bad.code).toBe(1);
		expect(bad.stderr.trim()).toMatch(/^moq-studio announced: unsupported relay URL scheme ftp: .*\[INVALID_ARGUMENT\]$/);

		const key = new TextEncoder().encode("a-secret-key-for-tests-only-0123");
		const relay = await startTestRelay({ jwtKey: key });
		cleanups.push(() => relay.close());
		const refused = await waitForExit(spawnStudioCli(["announced", "--url", relay.url, "--token", "eyJhbGciOiJIUzI1NiJ9.eyJyb290IjoiIn0.bad-signature", "--json"]));
		expect(refused.code).toBe(1);
		expect(refused.stderr.trim().split("\n")).toHaveLength(1);
		expect(refused.stderr).toMatch(/UNAUTHORIZED/);
		expect(refused.stderr + refused.stdout).not.toMatch(/bad-signature/);
		expect(jsonLines(refused.stdout).at(-1)).toMatchObject({ event: "status", code: -6 });
	});
});
