#!/usr/bin/env node
/**
 * `moq-studio`: the studio engine on the command line.
 *
 * The polyfill must be evaluated before any `@moq` module. Static imports are all evaluated
 * before this module's body (and a bundler may hoist them into shared chunks), so the rest of
 * the CLI is loaded with a dynamic import after it.
 */
import "./engine/polyfill";

const { runFromProcess } = await import("./cli/process");
await runFromProcess();
