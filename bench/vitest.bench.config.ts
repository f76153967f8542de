import { defineConfig } from "vitest/config";

/**
 * Runs the renderer benchmarks (bench/ui-*.ts) with the tests' setup (the Node 20 polyfill).
 * `npm run build` first: they drive the built renderer through the web host in Chromium.
 * Run: npx vitest run -c bench/vitest.bench.config.ts
 */
export default defineConfig({
	test: {
		include: ["bench/ui-*.ts"],
		environment: "node",
		setupFiles: ["electron/engine/polyfill.ts"],
		testTimeout: 300_000,
		hookTimeout: 60_000,
		fileParallelism: false,
	},
});
