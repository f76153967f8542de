/**
 * Runs the built `moq-studio` (out/main/cli.js) as a user would, capturing its output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

/** Path of the built CLI. */
export const CLI_PATH = resolve("out/main/cli.js");

/** The outcome of a finished CLI run. */
export interface CliResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

/** Runs the CLI to completion. */
export function runStudioCli(args: string[], timeoutMs = 20_000): Promise<CliResult> {
	const child = spawnStudioCli(args);
	return waitForExit(child, timeoutMs);
}

/** Starts the CLI; pair with {@link waitForLine} and {@link waitForExit}. `env` adds to (overrides) this process's environment. */
export function spawnStudioCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { output: { stdout: string; stderr: string } } {
	const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
	const output = { stdout: "", stderr: "" };
	child.stdout.on("data", (d: Buffer) => (output.stdout += d.toString()));
	child.stderr.on("data", (d: Buffer) => (output.stderr += d.toString()));
	return Object.assign(child, { output });
}

/** Resolves with the first stdout line matching `pattern`. */
export function waitForLine(child: ReturnType<typeof spawnStudioCli>, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
	return new Promise((resolveLine, reject) => {
		const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout: ${child.output.stdout} stderr: ${child.output.stderr}`)), timeoutMs);
		const check = () => {
			const line = child.output.stdout.split("\n").find((l) => pattern.test(l));
			if (line) {
				clearTimeout(timer);
				child.stdout?.off("data", check);
				resolveLine(line);
			}
		};
		child.stdout?.on("data", check);
		child.once("exit", () => {
			check();
			clearTimeout(timer);
			reject(new Error(`exited before ${pattern}; stdout: ${child.output.stdout} stderr: ${child.output.stderr}`));
		});
		check();
	});
}

/** Resolves when the process exits. */
export function waitForExit(child: ReturnType<typeof spawnStudioCli>, timeoutMs = 20_000): Promise<CliResult> {
	return new Promise((resolveExit, reject) => {
		const timer = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`timed out; stdout: ${child.output.stdout} stderr: ${child.output.stderr}`));
		}, timeoutMs);
		const done = (code: number | null, signal: NodeJS.Signals | null) => {
			clearTimeout(timer);
			resolveExit({ code, signal, ...child.output });
		};
		if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode, child.signalCode);
		child.once("exit", done);
	});
}
