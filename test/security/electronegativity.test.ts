/**
 * Electronegativity (Doyensec's Electron security scanner), offline, over the Electron-facing code:
 * everything in electron/ except the layers that may not import Electron (engine, web, cli — the
 * lint rules of DESIGN.md §2 guarantee that) and tests, plus the renderer's page. Fails on any HIGH
 * finding (the rows of its CSV report). MEDIUM and LOW rows are reviewed by hand (see the table in
 * test/security/README.md); checklist.test.ts covers what the scanner cannot see through variables.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Finding, scan } from "./electronegativity";

const root = resolve(import.meta.dirname, "../..");
const electronVersion = (JSON.parse(readFileSync(join(root, "node_modules/electron/package.json"), "utf8")) as { version: string }).version;
/** Layers that never import electron (eslint.config.js enforces it). */
const ELECTRON_FREE = new Set(["engine", "web", "cli", "cli.ts"]);

let work: string;

beforeAll(() => {
	work = mkdtempSync(join(tmpdir(), "moq-studio-electronegativity-"));
});
afterAll(() => {
	rmSync(work, { recursive: true, force: true });
});

function high(findings: Finding[]): string[] {
	return findings.filter((f) => f.severity.toUpperCase() === "HIGH").map((f) => `${f.issue} ${f.filename}:${f.location} ${f.sample}`);
}

describe("electronegativity", () => {
	it("finds no HIGH issue in the Electron shell and the renderer page", async () => {
		const target = join(work, "app");
		cpSync(join(root, "electron"), join(target, "electron"), {
			recursive: true,
			filter: (src) => {
				const rel = src.slice(join(root, "electron").length + 1);
				return !ELECTRON_FREE.has(rel.split(/[\\/]/)[0] ?? "") && !/\.test\.tsx?$/.test(src);
			},
		});
		const page = existsSync(join(root, "out/renderer/index.html")) ? "out/renderer/index.html" : "renderer/index.html";
		mkdirSync(join(target, "renderer"));
		cpSync(join(root, page), join(target, "renderer", basename(page)));
		expect(existsSync(join(target, "electron/main.ts"))).toBe(true);
		expect(existsSync(join(target, "electron/preload.ts"))).toBe(true);

		const { findings, errors } = await scan(target, join(work, "app.csv"), electronVersion);
		// A file the scanner cannot parse is a file it did not check.
		expect(errors.map((e) => `${e.file}: ${e.message}`)).toEqual([]);
		expect(high(findings)).toEqual([]);
		// The reviewed rows (README.md beside this file): a new MEDIUM kind needs a look.
		const reviewed = new Set(["OPEN_EXTERNAL_JS_CHECK", "AUXCLICK_JS_CHECK", "PRELOAD_JS_CHECK", "CSP_GLOBAL_CHECK"]);
		const unreviewed = findings.filter((f) => f.severity.toUpperCase() === "MEDIUM" && !reviewed.has(f.issue));
		expect(unreviewed.map((f) => `${f.issue} ${f.filename}:${f.location} ${f.description}`)).toEqual([]);
	});

	it("reports HIGH rows for an insecure window (the gate is live and offline)", async () => {
		const target = join(work, "insecure");
		mkdirSync(target);
		writeFileSync(
			join(target, "main.js"),
			`const { app, BrowserWindow } = require("electron");
app.whenReady().then(() => {
  const win = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, webSecurity: false } });
  win.loadURL("http://example.com/");
});
`,
		);
		const { findings, errors } = await scan(target, join(work, "insecure.csv"), electronVersion);
		expect(errors).toEqual([]);
		const issues = high(findings).map((h) => h.split(" ")[0]);
		expect(issues).toEqual(expect.arrayContaining(["CONTEXT_ISOLATION_JS_CHECK", "LIMIT_NAVIGATION_GLOBAL_CHECK"]));
		// The scanner rates these MEDIUM only: the unreviewed-MEDIUM gate above is what catches them.
		const medium = findings.filter((f) => f.severity.toUpperCase() === "MEDIUM").map((f) => f.issue);
		expect(medium).toEqual(expect.arrayContaining(["WEB_SECURITY_JS_CHECK", "SANDBOX_JS_CHECK", "PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK"]));
	});
});
