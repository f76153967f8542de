/**
 * The built CLI carries `@moq/net`, `@moq/qmux` and zod inside its bundle (electron.vite.config.ts,
 * for start-up time), while the engine's workarounds reach the library's private modules by file
 * URL. Through the bundle those must be the bundled modules: a second copy loaded from
 * node_modules would be patched while the library runs unpatched (cut track ends, leaks). So a
 * relay and a client session through the built CLI load no `@moq` or zod file from node_modules,
 * and neither prints "workarounds off" (what a workaround that missed its module reports).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, expect, it } from "vitest";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

/** A `--import` module that appends every ES module URL the process loads to `file`. */
async function loadLog(dir: string, name: string): Promise<{ importer: string; file: string }> {
	const file = join(dir, `${name}.log`);
	const hooks = join(dir, `${name}-hooks.mjs`);
	await writeFile(hooks, `import { appendFileSync } from "node:fs";\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(file)}, url + "\\n"); return next(url, context); }\n`);
	const importer = join(dir, `${name}-register.mjs`);
	await writeFile(importer, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
	await writeFile(file, "");
	return { importer, file };
}

it("a relay and a session through the built CLI patch the bundled @moq/net, not a copy from node_modules", { timeout: 60_000 }, async () => {
	const dir = await mkdtemp(join(tmpdir(), "moq-bundled-"));
	cleanups.push(() => rm(dir, { recursive: true, force: true }));
	const relayLog = await loadLog(dir, "relay");
	const clientLog = await loadLog(dir, "client");

	const relay = spawnStudioCli(["relay", "--listen", "127.0.0.1:0"], { NODE_OPTIONS: `--import ${relayLog.importer}` });
	cleanups.push(() => relay.kill("SIGKILL"));
	const url = /listening on (\S+)/.exec(await waitForLine(relay, /listening on /))?.[1] ?? "";
	const client = spawnStudioCli(["announced", "--url", url, "--json"], { NODE_OPTIONS: `--import ${clientLog.importer}` });
	cleanups.push(() => client.kill("SIGKILL"));
	await waitForLine(client, /"event":"status","code":1/);

	client.kill("SIGINT");
	relay.kill("SIGINT");
	const [c, r] = await Promise.all([waitForExit(client), waitForExit(relay)]);
	for (const [out, log] of [
		[r, relayLog.file],
		[c, clientLog.file],
	] as const) {
		expect(out.code).toBe(0);
		expect(out.stderr).not.toMatch(/workarounds off/);
		const loaded = (await readFile(log, "utf8")).split("\n").filter(Boolean);
		// The hook saw the CLI's own chunks load (so it works), and nothing of the bundled packages.
		expect(loaded.some((u) => u.includes("/out/main/chunks/"))).toBe(true);
		expect(loaded.filter((u) => /\/node_modules\/(@moq\/|@zod\/|zod\/)/.test(u))).toEqual([]);
	}
});
