import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "electron-vite";

export default defineConfig({
	main: {
		build: {
			outDir: "out/main",
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
