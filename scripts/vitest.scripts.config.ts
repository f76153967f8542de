import { defineConfig, mergeConfig } from "vitest/config";
import base from "../vitest.config";

/** Runs the maintenance scripts under scripts/ with the test setup (polyfill, timeouts). */
export default mergeConfig(base, defineConfig({ test: { include: ["scripts/*.ts"], exclude: ["scripts/vitest.*"] } }));
