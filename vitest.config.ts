import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		include: ["test/**/*.test.ts", "electron/**/*.test.ts", "shared/**/*.test.ts", "renderer/**/*.test.ts"],
		environment: "node",
		setupFiles: ["electron/engine/polyfill.ts"],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		// Two cores: end-to-end files start relays and browsers, so keep parallelism low.
		maxWorkers: 2,
		fileParallelism: true,
	},
});
