/**
 * The engine's log on disk: every line of the logger in a rotating, size-bounded set of files,
 * with tokens redacted exactly as in the console and the Log view.
 */
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { attachLogFile, formatLogLine, MAX_LINE_CHARS, RotatingLogFile } from "../../electron/engine/log/file";
import { Logger } from "../../electron/engine/log/logger";
import { redact } from "../../electron/engine/log/redact";
import { tempDir } from "../media/media-helpers";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJyb290IjoiIiwicHV0IjpbIiJdfQ.c2lnbmF0dXJlLXNlY3JldC1wYXJ0";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0)) await c();
});

async function dir(): Promise<string> {
	const t = await tempDir("moq-log-file-");
	cleanups.push(t.remove);
	return t.dir;
}

describe("the log file", () => {
	it("rotates by size, keeps `keep` old files, and never holds a token", async () => {
		const logs = join(await dir(), "logs");
		const logger = new Logger();
		const consoleLines: string[] = [];
		logger.addSink((e) => consoleLines.push(`[${e.level}] ${e.scope}: ${e.message}`));
		const { file, detach } = attachLogFile(logger, { dir: logs, maxBytes: 4096, keep: 2 });
		const log = logger.scope("session/abc");
		log.trace(`per-frame detail ${TOKEN}`); // below the file's level (debug)
		for (let i = 0; i < 200; i++) {
			if (i % 3 === 0) log.info(`line ${i} connecting to wss://relay.example/room?jwt=${TOKEN}&x=1`);
			else if (i % 3 === 1) log.warn(`line ${i} Authorization: Bearer ${TOKEN}`);
			else log.error(`line ${i} refused ${TOKEN}\nsecond line`);
		}
		await detach();

		const names = (await readdir(logs)).sort();
		expect(names).toEqual(["studio.1.log", "studio.2.log", "studio.log"]);
		const contents = await Promise.all(names.map((n) => readFile(join(logs, n), "utf8")));
		for (const n of names) expect((await stat(join(logs, n))).size).toBeLessThanOrEqual(4096);
		const all = contents.join("");
		expect(all).not.toContain(TOKEN);
		for (const part of TOKEN.split(".")) expect(all).not.toContain(part);
		// The newest lines are in the current file, in order; the oldest were rotated away.
		const current = contents[2]!.trimEnd().split("\n");
		expect(current.at(-1)).toMatch(/WARN {2}session\/abc: line 199 Authorization: Bearer \[redacted\]$/);
		expect(current).toContainEqual(expect.stringMatching(/ERROR session\/abc: line 197 refused \[redacted\]\\nsecond line$/));
		expect(all).not.toMatch(/ line 0 /);
		expect(all).not.toContain("per-frame detail");
		const numbers = [contents[1]!, contents[0]!, contents[2]!].join("").match(/ line (\d+) /g)!.map((m) => Number(m.trim().split(" ")[1]));
		expect(numbers).toEqual(numbers.slice().sort((a, b) => a - b));
		expect(numbers.at(-1)).toBe(199);
		// Every line says what the console said, redacted the same way.
		for (const line of current) {
			const [, level, scope, message] = line.match(/^\S+Z (\w+)\s+([^:]+): (.*)$/)!;
			const consoleLine = consoleLines.find((c) => c.endsWith(message!.replace(/\\n/g, "\n")));
			expect(consoleLine, line).toBe(`[${level!.toLowerCase()}] ${scope}: ${message!.replace(/\\n/g, "\n")}`);
		}
		expect(file.path).toBe(join(logs, "studio.log"));
	});

	it("appends to the file a previous run left, and redacts lines written to it directly", async () => {
		const logs = await dir();
		await writeFile(join(logs, "studio.log"), "previous run\n");
		const file = new RotatingLogFile({ dir: logs });
		file.write({ at: 0, level: "info", scope: "main", message: `raw ?token=${TOKEN}` });
		await file.close();
		file.write({ at: 0, level: "info", scope: "main", message: "after close" });
		await file.flush();
		expect(await readFile(join(logs, "studio.log"), "utf8")).toBe(`previous run\n1970-01-01T00:00:00.000Z INFO  main: raw ?token=[redacted]\n`);
	});

	it("caps a runaway line and keeps redaction idempotent", () => {
		const line = formatLogLine({ at: 0, level: "debug", scope: "x", message: "a".repeat(MAX_LINE_CHARS + 10) });
		expect(line.length).toBeLessThan(MAX_LINE_CHARS + 100);
		expect(line).toMatch(/\[10 more characters\]\n$/);
		const once = redact(`x?jwt=${TOKEN} Bearer ${TOKEN} ${TOKEN}`);
		expect(redact(once)).toBe(once);
	});
});
