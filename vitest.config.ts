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
		// Type tests (`*.test-d.ts`, expectTypeOf / @ts-expect-error) run with `vitest run`: tsc over
		// tsconfig.typetest.json, which holds only those files and what they import.
		typecheck: {
			enabled: true,
			include: ["test/**/*.test-d.ts", "electron/**/*.test-d.ts", "shared/**/*.test-d.ts", "renderer/**/*.test-d.ts"],
			tsconfig: "tsconfig.typetest.json",
		},
	},
});
