/**
 * The installer configuration (electron-builder.yml), checked offline the way electron-builder
 * reads it: its own loader and JSON-schema validation (app-builder-lib's `getConfig` and
 * `validateConfiguration`), and its own file matchers (`getMainFileMatchers`) walked over the
 * built `out/` to list exactly the files that would go into app.asar. Nothing is downloaded and
 * the Electron binary is not needed; real installers are built elsewhere (README).
 *
 * Needs `npm run build` first (the `npm test` script builds before it runs vitest).
 */
import { existsSync, readdirSync, readFileSync, type Stats } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { join, relative, resolve, sep } from "node:path";
import type { Configuration, PlatformSpecificBuildOptions } from "electron-builder";
import { beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const outDir = join(root, "out");

// electron-builder's internals, resolved through its own dependency chain (not through hoisting).
const fromHere = createRequire(import.meta.url);
const fromElectronBuilder = createRequire(fromHere.resolve("electron-builder/package.json"));
const fromAppBuilderLib = createRequire(fromElectronBuilder.resolve("app-builder-lib/package.json"));
const fromBuilderUtil = createRequire(fromAppBuilderLib.resolve("builder-util/package.json"));

interface DebugLoggerLike {
	readonly isEnabled: boolean;
}
interface FileMatcherLike {
	readonly from: string;
	readonly patterns: string[];
	createFilter(): (file: string, stat: Stats) => boolean;
}
const configModule = fromAppBuilderLib("app-builder-lib/out/util/config/config.js") as {
	getConfig(projectDir: string, configPath: string | null, configFromOptions: Configuration | null): Promise<Configuration>;
	validateConfiguration(config: Configuration, debugLogger: DebugLoggerLike): Promise<void>;
};
const fileMatcher = fromAppBuilderLib("app-builder-lib/out/fileMatcher.js") as {
	getMainFileMatchers(
		appDir: string,
		destination: string,
		macroExpander: (pattern: string) => string,
		platformSpecificBuildOptions: PlatformSpecificBuildOptions,
		platformPackager: unknown,
		outDir: string,
		isElectronCompile: boolean,
	): FileMatcherLike[] | null;
};
const { DebugLogger } = fromBuilderUtil("builder-util/out/DebugLogger.js") as { DebugLogger: new (enabled: boolean) => DebugLoggerLike };
const { walk } = fromBuilderUtil("builder-util/out/fs.js") as {
	walk(dir: string, filter: (file: string, stat: Stats) => boolean): Promise<string[]>;
};
const plist = fromAppBuilderLib("plist") as { parse(xml: string): unknown };
const sax = createRequire(fromElectronBuilder.resolve("builder-util-runtime/package.json"))("sax") as {
	parser(strict: boolean): { onerror: (e: Error) => void; write(s: string): { close(): void } };
};

const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
	main?: string;
	dependencies?: Record<string, string>;
	optionalDependencies?: Record<string, string>;
};

type Platform = "mac" | "win" | "linux";
const platforms: Platform[] = ["mac", "win", "linux"];

let config: Configuration;

/** The files (relative, posix) electron-builder puts in the app for `platform`, node_modules aside. */
async function packagedFiles(platform: Platform): Promise<string[]> {
	const platformOptions = (config[platform] ?? {}) as PlatformSpecificBuildOptions;
	const fakePlatformPackager = {
		info: {
			projectDir: root,
			buildResourcesDir: config.directories?.buildResources ?? "build",
			isPrepackedAppAsar: false,
			config,
			debugLogger: new DebugLogger(false),
		},
	};
	const distDir = resolve(root, config.directories?.output ?? "dist");
	const matchers = fileMatcher.getMainFileMatchers(root, "/app", (p) => p, platformOptions, fakePlatformPackager, distDir, false);
	if (!matchers) throw new Error("electron-builder found no file matchers");
	const files: string[] = [];
	for (const matcher of matchers) {
		for (const file of await walk(matcher.from, matcher.createFilter())) files.push(relative(root, file).split(sep).join("/"));
	}
	return files.sort();
}

function pngSize(file: string): { width: number; height: number } {
	const buf = readFileSync(file);
	expect(buf.subarray(0, 8).toString("hex"), `${file} is a PNG`).toBe("89504e470d0a1a0a");
	expect(buf.subarray(12, 16).toString("latin1")).toBe("IHDR");
	return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Throws on any XML well-formedness error (plist's own parser is lenient). */
function assertWellFormedXml(xml: string, name: string): void {
	const parser = sax.parser(true);
	parser.onerror = (e) => {
		throw new Error(`${name} is not well-formed XML: ${e.message.split("\n")[0]}`);
	};
	parser.write(xml).close();
}

/** Bare module specifiers a built ES module imports (static and dynamic). */
function bareImports(code: string): string[] {
	const specs = new Set<string>();
	for (const m of code.matchAll(/(?:^|[\n;])\s*(?:import|export)\s*(?:[\w*${},\s]+?\s*from\s*)?["']([^"']+)["']/g)) specs.add(m[1] ?? "");
	for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specs.add(m[1] ?? "");
	return [...specs].filter((s) => s && !s.startsWith(".") && !s.startsWith("/") && !s.startsWith("node:") && !builtinModules.includes(s));
}

function packageName(specifier: string): string {
	const parts = specifier.split("/");
	return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function listFiles(dir: string): string[] {
	return readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((d) => d.isFile())
		.map((d) => join(d.parentPath, d.name));
}

beforeAll(async () => {
	if (!existsSync(join(outDir, "main/index.js"))) throw new Error("out/ is missing: run `npm run build` first (npm test does)");
	config = await configModule.getConfig(root, null, null);
});

describe("electron-builder.yml", () => {
	it("passes electron-builder's own schema validation", async () => {
		await expect(configModule.validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
		expect(config.appId).toBe("dev.moq.studio");
		expect(config.productName).toBe("MoQ Studio");
		expect(config.directories?.buildResources).toBe("build");
	});

	it("catches a bad key through the same validation (the check is live)", async () => {
		const broken = { ...config, mac: { ...config.mac, hardenedRuntim: true } } as Configuration;
		await expect(configModule.validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(/configuration\.mac/);
		const wrongType = { ...config, asar: "yes" } as unknown as Configuration;
		await expect(configModule.validateConfiguration(wrongType, new DebugLogger(false))).rejects.toThrow(/configuration\.asar/);
	});

	it("packs into asar and starts the built main", () => {
		expect(config.asar).toBe(true);
		const main = (config.extraMetadata as { main?: string } | undefined)?.main;
		expect(main).toBe("out/main/index.js");
		expect(packageJson.main).toBe(main);
		expect(existsSync(join(root, main ?? ""))).toBe(true);
	});

	it("names the targets: dmg, nsis, AppImage + deb", () => {
		const targets = (p: Platform) => [config[p]?.target].flat().map((t) => (typeof t === "string" ? t : t?.target));
		expect(targets("mac")).toEqual(["dmg"]);
		expect(targets("win")).toEqual(["nsis"]);
		expect(targets("linux")).toEqual(["AppImage", "deb"]);
		expect(config.mac?.category).toBe("public.app-category.video");
		expect(config.linux?.category).toBe("AudioVideo");
		// deb refuses to build without a maintainer (package.json has no author e-mail).
		expect(config.linux?.maintainer).toMatch(/<[^@\s]+@[^>\s]+>/);
	});

	it("unpacks the optional HTTP/3 WebTransport addon from the asar (a .node file cannot load from inside it)", () => {
		const unpack = [config.asarUnpack ?? []].flat();
		expect(unpack).toContain("**/node_modules/@fails-components/webtransport-transport-http3-quiche/**");
		// electron-builder matches asarUnpack with its own minimatch: the pattern must take the
		// addon's binary and nothing of the pure-JS main package.
		const builderRequire = createRequire(createRequire(import.meta.url).resolve("app-builder-lib/package.json"));
		const { minimatch } = builderRequire("minimatch") as { minimatch: (path: string, pattern: string, options?: object) => boolean };
		const matches = (path: string) => unpack.some((p) => minimatch(path, p, { dot: true }));
		expect(matches("node_modules/@fails-components/webtransport-transport-http3-quiche/build_rel/webtransport.node")).toBe(true);
		expect(matches("node_modules/@fails-components/webtransport/lib/index.node.js")).toBe(false);
		expect(Object.keys(packageJson.optionalDependencies ?? {})).toContain("@fails-components/webtransport-transport-http3-quiche");
		expect(Object.keys(packageJson.dependencies ?? {})).toContain("@fails-components/webtransport");
	});

	it("does not need the optional native WebTransport addon", () => {
		const optional = Object.keys(packageJson.optionalDependencies ?? {});
		for (const dep of Object.keys(packageJson.dependencies ?? {})) expect(optional).not.toContain(dep);
		expect(Object.keys(packageJson.dependencies ?? {})).not.toContain("@fails-components/webtransport-transport-http3-quiche");
		expect(config.npmRebuild).toBe(false);
	});
});

describe("build resources", () => {
	it("has an icon of at least 512x512 (1024x1024 from assets/icon.svg) and the per-platform icons", () => {
		const { width, height } = pngSize(join(root, "build/icon.png"));
		expect(width).toBe(height);
		expect(width).toBeGreaterThanOrEqual(512);
		for (const p of platforms) {
			const icon = config[p]?.icon;
			expect(icon, `${p}.icon`).toBeTruthy();
			expect(existsSync(join(root, icon ?? "")), `${p}.icon ${icon}`).toBe(true);
		}
		const icns = readFileSync(join(root, "build/icon.icns"));
		expect(icns.subarray(0, 4).toString("latin1")).toBe("icns");
		expect(icns.readUInt32BE(4)).toBe(icns.length);
		expect(icns.includes(Buffer.from("ic09")) || icns.includes(Buffer.from("ic10")), "icns has a 512 or 1024 image").toBe(true);
		const ico = readFileSync(join(root, "build/icon.ico"));
		expect(ico.readUInt16LE(0)).toBe(0);
		expect(ico.readUInt16LE(2)).toBe(1);
		const count = ico.readUInt16LE(4);
		const widths = Array.from({ length: count }, (_, i) => ico[6 + i * 16] || 256);
		expect(widths, "Windows needs a 256x256 entry").toContain(256);
	});

	it("has macOS usage strings for camera, microphone, screen capture and local network", () => {
		const info = (config.mac?.extendInfo ?? {}) as Record<string, unknown>;
		for (const key of ["NSCameraUsageDescription", "NSMicrophoneUsageDescription", "NSScreenCaptureUsageDescription", "NSLocalNetworkUsageDescription"]) {
			expect(typeof info[key], key).toBe("string");
			expect(String(info[key]).length, key).toBeGreaterThan(20);
		}
	});

	it("signs macOS with the hardened runtime and a valid entitlements plist", () => {
		expect(config.mac?.hardenedRuntime).toBe(true);
		expect(config.mac?.entitlements).toBe("build/entitlements.mac.plist");
		expect(config.mac?.entitlementsInherit).toBe("build/entitlements.mac.plist");
		const xml = readFileSync(join(root, "build/entitlements.mac.plist"), "utf8");
		assertWellFormedXml(xml, "build/entitlements.mac.plist");
		expect(() => assertWellFormedXml(xml.replace("</key>", "</kye>"), "mutated"), "the XML check is live").toThrow(/well-formed/);
		expect(xml).toMatch(/<!DOCTYPE plist PUBLIC "-\/\/Apple\/\/DTD PLIST 1\.0\/\/EN"/);
		const entitlements = plist.parse(xml) as Record<string, unknown>;
		for (const key of [
			"com.apple.security.cs.allow-jit",
			"com.apple.security.device.camera",
			"com.apple.security.device.audio-input",
			"com.apple.security.network.client",
			"com.apple.security.network.server",
		]) {
			expect(entitlements[key], key).toBe(true);
		}
		// Nothing that re-opens the hardened runtime more than Electron needs.
		expect(entitlements["com.apple.security.cs.allow-dyld-environment-variables"]).toBeUndefined();
		expect(entitlements["com.apple.security.get-task-allow"]).toBeUndefined();
	});
});

describe("the files electron-builder would pack (its own matchers over out/)", () => {
	it("every include pattern resolves to built output", async () => {
		const files = await packagedFiles("linux");
		// getConfig normalises `files` into file sets: [{ filter: [...] }].
		const includes = [config.files]
			.flat()
			.flatMap((set) => (typeof set === "string" ? [set] : [set?.filter ?? []].flat()))
			.filter((p) => !p.startsWith("!"));
		expect(includes.length).toBeGreaterThan(0);
		for (const pattern of includes) {
			const prefix = pattern.replace(/\*\*.*$/, "");
			expect(
				files.some((f) => (prefix === pattern ? f === pattern : f.startsWith(prefix))),
				`${pattern} matches nothing`,
			).toBe(true);
		}
	});

	it("packs main, preload, renderer and package.json, and nothing else", async () => {
		for (const platform of platforms) {
			const files = await packagedFiles(platform);
			expect(files, platform).toContain("package.json");
			expect(files).toContain("out/main/index.js");
			expect(files).toContain("out/preload/index.cjs");
			expect(files).toContain("out/renderer/index.html");
			const stray = files.filter((f) => f !== "package.json" && !/^out\/(main|preload|renderer)\//.test(f));
			expect(stray, `${platform}: files outside out/{main,preload,renderer}`).toEqual([]);
			const sources = files.filter((f) => /\.(tsx?|map)$/.test(f) || /(^|\/)(test|tests|bench|__tests__)\//.test(f) || /\.test\./.test(f));
			expect(sources, `${platform}: sources, tests or maps packed`).toEqual([]);
			// Everything the build produced for the app is packed (no build output silently dropped).
			const built = ["main", "preload", "renderer"]
				.flatMap((d) => listFiles(join(outDir, d)))
				.map((f) => relative(root, f).split(sep).join("/"))
				.filter((f) => !f.endsWith(".map"));
			expect(built.filter((f) => !files.includes(f))).toEqual([]);
		}
	});

	it("the main bundle finds its preload and page at the paths it loads them from", async () => {
		const files = await packagedFiles("linux");
		const main = readFileSync(join(outDir, "main/index.js"), "utf8");
		const refs = [...main.matchAll(/import\.meta\.dirname,\s*"(\.\.\/[^"]+)"/g)].map((m) => m[1] ?? "");
		expect(refs).toEqual(expect.arrayContaining(["../preload/index.cjs", "../renderer/index.html"]));
		for (const ref of refs) expect(files, ref).toContain(`out/${ref.slice(3)}`);
	});

	it("every package the main process imports is a production dependency (devDependencies are not packed)", () => {
		const deps = new Set([...Object.keys(packageJson.dependencies ?? {}), ...Object.keys(packageJson.optionalDependencies ?? {})]);
		const mainFiles = listFiles(join(outDir, "main")).filter((f) => f.endsWith(".js") || f.endsWith(".mjs"));
		const missing: string[] = [];
		for (const file of mainFiles) {
			for (const spec of bareImports(readFileSync(file, "utf8"))) {
				const name = packageName(spec);
				if (name !== "electron" && !deps.has(name)) missing.push(`${relative(root, file)} imports ${spec}`);
			}
		}
		expect(missing).toEqual([]);
	});

	it("the sandboxed preload requires nothing but what Electron's sandbox provides", () => {
		// A sandboxed preload gets a require() that knows only these; anything else throws at load
		// and the page has no window.studio. Bundle such code into the preload instead.
		const allowed = new Set(["electron", "events", "timers", "url", "node:events", "node:timers", "node:url"]);
		const preload = readFileSync(join(outDir, "preload/index.cjs"), "utf8");
		const required = [...preload.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? "");
		expect(required).toContain("electron");
		expect(required.filter((r) => !allowed.has(r))).toEqual([]);
	});
});
