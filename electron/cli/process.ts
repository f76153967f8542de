/**
 * Runs the CLI against the real process: argv, stdout/stderr, SIGINT/SIGTERM, exit code.
 */
import { commands } from "./commands";
import { runCli } from "./main";

/** Runs `moq-studio` with `process.argv` and exits with the command's code. */
export async function runFromProcess(): Promise<never> {
	const controller = new AbortController();
	for (const sig of ["SIGINT", "SIGTERM"] as const) {
		process.on(sig, () => {
			// A second signal while shutting down means "now".
			if (controller.signal.aborted) process.exit(130);
			controller.abort();
		});
	}
	const code = await runCli(commands, process.argv.slice(2), {
		stdout: (line) => process.stdout.write(`${line}\n`),
		stderr: (line) => process.stderr.write(`${line}\n`),
		signal: controller.signal,
	});
	process.exit(code);
}
