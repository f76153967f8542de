import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "electron-vite";
import type { Plugin } from "vite";

/**
 * Every `import … from "ws"` of the main build loads `ws` with `require` instead, as one shared
 * module of the bundle. `ws` is CommonJS: imported from an ES module, Node 20 runs its ESM
 * wrapper, which imports each of its files through the ES loader's CommonJS translator (parsing
 * every file with cjs-module-lexer first), about 40 ms of `moq-studio` start-up where `require`
 * takes 12 ms. The module is the same instance either way (one CommonJS cache), and type-only
 * imports are erased before this runs.
 */
function wsThroughRequire(): Plugin {
	const id = "\0ws-through-require";
	return {
		name: "moq-studio:ws-through-require",
		enforce: "pre",
		resolveId: (source) => (source === "ws" ? id : null),
		load(loaded) {
			if (loaded !== id) return null;
			return [
				'import { createRequire } from "node:module";',
				'const ws = createRequire(import.meta.url)("ws");',
				"export default ws;",
				"export const { WebSocket, WebSocketServer, createWebSocketStream, Receiver, Sender, PerMessageDeflate, extension, subprotocol } = ws;",
			].join("\n");
		},
	};
}

/** The packages whose private modules the engine's workarounds patch (electron/engine/transport/moq-net-*.ts). */
const PATCHED_PACKAGES = ["@moq/net", "@moq/qmux"];
/**
 * Engine modules, whose computed `import(url)` calls go through `moqModule`: the workarounds
 * (electron/engine/transport/moq-net-*.ts) and any later one wherever it lives.
 */
const ENGINE_MODULE = /[\\/]electron[\\/]engine[\\/].+\.ts$/;

/** Every file of `pkg` that its entry reaches through relative static or literal dynamic imports. */
function reachableFiles(pkg: string): string[] {
	const root = join("node_modules", pkg);
	const entry = resolve(root, "index.js");
	const seen = new Set<string>([entry]);
	for (const file of seen) {
		const code = readFileSync(file, "utf8");
		for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
			const next = resolve(dirname(file), m[1] as string);
			// A match inside a comment may name no file.
			if (existsSync(next)) seen.add(next);
		}
	}
	return [...seen].map((file) => relative(resolve("node_modules"), file).split("\\").join("/"));
}

/**
 * `@moq/net`, `@moq/qmux` and zod are bundled into the main build (the CLI's start-up loaded
 * about 170 of their ES modules, 1.4 MB, through Node 20's loader: most of `moq-studio relay`'s
 * time to listen). The engine's workarounds reach those packages' private modules by file URL
 * (`import(pathToFileURL(join(root, "stream.js")).href)`), which at run time would load a second
 * copy from node_modules, so they would patch a copy nobody uses. This plugin rewrites every
 * computed `import(…)` of the engine's modules into `moqModule(…)`, which answers a URL of a file
 * in node_modules/@moq/net or @moq/qmux with the bundled module of that file (the bundle imports
 * the same file, so it is the one instance the library uses). Any other `@moq` URL is refused, so
 * a workaround that wants a file this list lacks reports itself off (the CLI then prints
 * "workarounds off") instead of patching a stray copy; other URLs are imported as usual.
 */
function moqInternalsInBundle(): Plugin {
	const virtual = "virtual:moq-internals";
	const id = "\0moq-internals";
	return {
		name: "moq-studio:moq-internals-in-bundle",
		resolveId: (source) => (source === virtual ? id : null),
		load(loaded) {
			if (loaded !== id) return null;
			const files = PATCHED_PACKAGES.flatMap(reachableFiles);
			return [
				...files.map((file, i) => `import * as m${i} from ${JSON.stringify(resolve("node_modules", file))};`),
				`const modules = new Map([${files.map((file, i) => `[${JSON.stringify(file)}, m${i}]`).join(", ")}]);`,
				"export function moqModule(url) {",
				'\tconst at = String(url).lastIndexOf("/node_modules/@moq/");',
				"\tif (at < 0) return import(/* @vite-ignore */ url);",
				'\tconst module = modules.get(String(url).slice(at + "/node_modules/".length));',
				"\treturn module ? Promise.resolve(module) : Promise.reject(new Error(`${url} is not bundled: the workaround that wants it stays off`));",
				"}",
			].join("\n");
		},
		transform(code, file) {
			if (!ENGINE_MODULE.test(file)) return null;
			// Where each computed `import(` starts and where its argument starts (AST, not text search).
			const calls: [number, number][] = [];
			const walk = (node: unknown): void => {
				if (typeof node !== "object" || node === null) return;
				if (Array.isArray(node)) return node.forEach(walk);
				const n = node as { type?: string; start: number; source?: { type: string; start: number } };
				if (n.type === "ImportExpression" && n.source && n.source.type !== "Literal") calls.push([n.start, n.source.start]);
				for (const value of Object.values(node)) walk(value);
			};
			walk(this.parse(code));
			if (calls.length === 0) return null;
			let out = code;
			for (const [start, end] of calls.sort((a, b) => b[0] - a[0])) out = `${out.slice(0, start)}__moqModule(${out.slice(end)}`;
			// Prepended as one line: the module's own lines keep their numbers.
			return { code: `import { moqModule as __moqModule } from "${virtual}"; ${out}`, map: null };
		},
	};
}

export default defineConfig({
	main: {
		plugins: [wsThroughRequire(), moqInternalsInBundle()],
		build: {
			outDir: "out/main",
			// `ws` goes through wsThroughRequire (still loaded from node_modules at run time); the
			// MoQ packages and zod are bundled (see moqInternalsInBundle).
			externalizeDeps: { exclude: ["ws", ...PATCHED_PACKAGES, "@zod/mini", "zod"] },
			rollupOptions: {
				input: { index: resolve("electron/main.ts"), cli: resolve("electron/cli.ts") },
				output: { format: "es", entryFileNames: "[name].js" },
			},
		},
	},
	preload: {
		build: {
			outDir: "out/preload",
			// A sandboxed preload can require() only electron (and events, timers, url): bundle the rest.
			externalizeDeps: false,
			rollupOptions: {
				input: { index: resolve("electron/preload.ts") },
				// A sandboxed preload cannot be an ES module.
				output: { format: "cjs", entryFileNames: "[name].cjs" },
			},
		},
	},
	renderer: {
		root: "renderer",
		base: "./",
		publicDir: resolve("assets"),
		plugins: [react()],
		build: {
			outDir: resolve("out/renderer"),
			rollupOptions: { input: resolve("renderer/index.html") },
		},
	},
});
