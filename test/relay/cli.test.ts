import { writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandContext } from "../../electron/cli/command";
import { parseListen, relayCommand } from "../../electron/cli/relay";
import { StudioError } from "../../shared/errors";
import { connect, quietLibraryLogs, until } from "./clients";

quietLibraryLogs();

function context() {
	const out: string[] = [];
	const err: string[] = [];
	const abort = new AbortController();
	const ctx: CommandContext = { stdout: (l) => out.push(l), stderr: (l) => err.push(l), signal: abort.signal };
	return { ctx, out, err, abort };
}

describe("moq-studio relay", () => {
	it("prints its URL when listening and exits 0 after the signal", async () => {
		const { ctx, out, abort } = context();
		const running = relayCommand.run({ listen: "127.0.0.1:0" }, [], ctx);
		await until(() => out.length > 0, 5000, "the listening line");
		expect(out[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\/ \(websocket\)$/);
		const url = /(http:\S+)/.exec(out[0] ?? "")?.[1] ?? "";
		const conn = await connect(url);
		abort.abort();
		expect(await running).toBe(0);
		await conn.closed.catch(() => undefined);
		await expect(connect(url)).rejects.toThrow();
	});

	it("refuses a non-loopback listen without a key", async () => {
		const { ctx } = context();
		const err = await relayCommand.run({ listen: "0.0.0.0:0" }, [], ctx).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(StudioError);
		expect((err as Error).message).toMatch(/refusing to listen on 0\.0\.0\.0 without a JWT key/);
	});

	it("accepts a key file and validates --listen", async () => {
		const dir = await mkdtemp(join(tmpdir(), "relay-key-"));
		const file = join(dir, "key.jwk");
		await writeFile(file, JSON.stringify({ kty: "oct", alg: "HS256", k: Buffer.from("secret").toString("base64url") }));
		const { ctx, out, abort } = context();
		const running = relayCommand.run({ listen: "127.0.0.1:0", "jwt-key": file }, [], ctx);
		await until(() => out.length > 0, 5000, "the listening line");
		expect(out[0]).toMatch(/with JWT auth/);
		abort.abort();
		expect(await running).toBe(0);
		expect(parseListen("[::1]:4443")).toEqual({ host: "::1", port: 4443 });
		expect(parseListen("5000")).toEqual({ host: "127.0.0.1", port: 5000 });
		expect(() => parseListen("nope")).toThrow(/HOST:PORT/);
	});
});
