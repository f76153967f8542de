/**
 * Electron's security checklist as written in electron/main.ts and the renderer's CSP, checked on
 * the source (electronegativity misses options passed through variables, DESIGN.md §4). Each check
 * is also run on a copy of main.ts with one option flipped, so a check that stops seeing its
 * option fails here instead of passing silently.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY } from "../../electron/web/static";
import { checkCsp, checkMainSource, metaCsp } from "./checklist";

const root = resolve(import.meta.dirname, "../..");
const mainSource = readFileSync(join(root, "electron/main.ts"), "utf8");

/** Sets `key: value` inside the first `webPreferences: {` literal, replacing an existing entry. */
function setPreference(code: string, key: string, value: string): string {
	const start = code.indexOf("webPreferences: {");
	if (start < 0) throw new Error("main.ts has no `webPreferences: {` literal");
	const end = code.indexOf("}", start);
	const block = code.slice(start, end);
	const entry = new RegExp(`\\b${key}\\s*:\\s*[^,\\n}]+`);
	const next = entry.test(block) ? block.replace(entry, `${key}: ${value}`) : block.replace("webPreferences: {", `webPreferences: { ${key}: ${value},`);
	return code.slice(0, start) + next + code.slice(end);
}

function replaceOnce(code: string, search: RegExp | string, replacement: string): string {
	const next = code.replace(search, replacement);
	if (next === code) throw new Error(`mutation did not apply: ${String(search)} not found in electron/main.ts (update this test)`);
	return next;
}

describe("electron/main.ts follows Electron's security checklist", () => {
	it("as written", () => {
		expect(checkMainSource(mainSource)).toEqual([]);
	});

	const mutations: [string, (code: string) => string, RegExp][] = [
		["contextIsolation off", (c) => setPreference(c, "contextIsolation", "false"), /contextIsolation/],
		["sandbox off", (c) => setPreference(c, "sandbox", "false"), /sandbox/],
		["sandbox from a variable", (c) => setPreference(c, "sandbox", "useSandbox"), /sandbox/],
		["nodeIntegration on", (c) => setPreference(c, "nodeIntegration", "true"), /nodeIntegration/],
		["nodeIntegrationInSubFrames on", (c) => setPreference(c, "nodeIntegrationInSubFrames", "true"), /nodeIntegrationInSubFrames/],
		["webSecurity off", (c) => setPreference(c, "webSecurity", "false"), /webSecurity/],
		["insecure content allowed", (c) => setPreference(c, "allowRunningInsecureContent", "true"), /allowRunningInsecureContent/],
		["webview tag on", (c) => setPreference(c, "webviewTag", "true"), /webviewTag/],
		["blink features enabled", (c) => setPreference(c, "enableBlinkFeatures", '"Auxclick"'), /enableBlinkFeatures/],
		["webPreferences spread from a variable", (c) => replaceOnce(c, "webPreferences: {", "webPreferences: { ...extraPreferences,"), /literal/],
		["webPreferences from a variable", (c) => replaceOnce(c, /webPreferences: \{[^}]*\}/, "webPreferences: preferences"), /webPreferences must be an object literal/],
		["window.open allowed", (c) => replaceOnce(c, /action: "deny"/, 'action: "allow"'), /setWindowOpenHandler/],
		["no window open handler", (c) => replaceOnce(c, /\.setWindowOpenHandler\(/g, ".setWindowOpenHandlerLater("), /setWindowOpenHandler is never installed/],
		["navigation allowed", (c) => replaceOnce(c, /"will-navigate"/, '"did-navigate"'), /will-navigate/],
		["navigation prevented only sometimes", (c) => replaceOnce(c, /"will-navigate", \((\w+)\) => \1\.preventDefault\(\)/, '"will-navigate", ($1) => { if (Math.random() < 1) $1.preventDefault(); }'), /always call event\.preventDefault/],
		["new WebContents not hardened", (c) => replaceOnce(c, /"web-contents-created"/, '"browser-window-created"'), /web-contents-created/],
		["no permission handler", (c) => replaceOnce(c, /\.setPermissionRequestHandler\(/, ".setPermissionRequestHandlerSomeday("), /setPermissionRequestHandler is never installed/],
		["sandbox not enforced app-wide", (c) => replaceOnce(c, /app\.enableSandbox\(\);?/, ""), /enableSandbox/],
	];
	for (const [name, mutate, expected] of mutations) {
		it(`fails when: ${name}`, () => {
			const problems = checkMainSource(mutate(mainSource));
			expect(problems.join("\n")).toMatch(expected);
		});
	}

	it("fails when a permission handler grants everything", () => {
		const code = `import { app, BrowserWindow, session } from "electron";
app.enableSandbox();
const w = new BrowserWindow({ webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false } });
function harden(c) { c.on("will-navigate", (e) => e.preventDefault()); c.setWindowOpenHandler(() => ({ action: "deny" })); }
harden(w.webContents);
app.on("web-contents-created", (_e, c) => harden(c));
session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(true));`;
		expect(checkMainSource(code)).toEqual(["setPermissionRequestHandler grants with callback(true) unconditionally somewhere"]);
	});
});

describe("the renderer's Content-Security-Policy", () => {
	const pages = ["renderer/index.html", "out/renderer/index.html"].filter((p) => p.startsWith("renderer/") || existsSync(join(root, p)));
	for (const page of pages) {
		it(`${page} has a meta CSP with script-src 'self' and no eval or inline scripts`, () => {
			const csp = metaCsp(readFileSync(join(root, page), "utf8"));
			expect(csp, `${page} has no <meta http-equiv="Content-Security-Policy">`).toBeDefined();
			expect(checkCsp(csp ?? "", page)).toEqual([]);
		});
	}

	it("the header main.ts and the web host send is as strict", () => {
		expect(mainSource).toMatch(/CONTENT_SECURITY_POLICY/);
		expect(checkCsp(CONTENT_SECURITY_POLICY, "CONTENT_SECURITY_POLICY")).toEqual([]);
	});

	it("the CSP check fails on unsafe policies", () => {
		expect(checkCsp("default-src 'self'; script-src 'self' 'unsafe-eval'; object-src 'none'", "t")).toEqual(["t: script-src must not allow 'unsafe-eval'"]);
		expect(checkCsp("default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'", "t")).toEqual(["t: script-src must not allow 'unsafe-inline'"]);
		expect(checkCsp("default-src 'self' 'unsafe-inline'; object-src 'none'", "t")).toEqual(["t: script-src must not allow 'unsafe-inline'"]);
		expect(checkCsp("script-src https://cdn.example.com; object-src 'none'", "t")).toEqual([
			"t: script-src must include 'self'",
			"t: script-src must not allow remote origin https://cdn.example.com",
		]);
		expect(checkCsp("script-src 'self'", "t")).toEqual(["t: object-src must be 'none'"]);
		expect(metaCsp('<meta charset="utf-8"><title>x</title>')).toBeUndefined();
	});
});
