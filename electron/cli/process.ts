/**
 * Runs the CLI against the real process: argv, stdout/stderr, SIGINT/SIGTERM, exit code.
 */
import { commands } from "./commands";
import { startHeapReport } from "./heap-report";
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
	// Off unless MOQ_STUDIO_HEAP_REPORT is set (see heap-report.ts): soak tests read it on stderr.
	startHeapReport(process.env.MOQ_STUDIO_HEAP_REPORT, (line) => process.stderr.write(`${line}\n`));
	const code = await runCli(commands, process.argv.slice(2), {
		stdout: (line) => process.stdout.write(`${line}\n`),
		stderr: (line) => process.stderr.write(`${line}\n`),
		signal: controller.signal,
	});
	process.exit(code);
}
