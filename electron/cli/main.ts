/**
 * The `moq-studio` command framework: finds the sub-command, parses its options, prints
 * `--help`, wires SIGINT/SIGTERM to an AbortSignal and turns failures into one-line errors.
 */
import { parseArgs } from "node:util";
import { StudioError } from "../../shared/errors";
import { APP_VERSION } from "../engine/version";
import type { Command, CommandContext } from "./command";
import type { CommandEntry } from "./commands";

/** Everything `main` needs from the process, injectable for tests. */
export interface CliIo {
	stdout: (line: string) => void;
	stderr: (line: string) => void;
	signal: AbortSignal;
}

function commandHelp(cmd: Command): string {
	const lines = [`Usage: moq-studio ${cmd.name} ${cmd.usage}`.trimEnd(), "", cmd.summary, "", "Options:"];
	const entries = Object.entries(cmd.options).map(([name, spec]) => {
		const flag = `--${name}${spec.type === "string" ? ` <${name.toUpperCase()}>` : ""}`;
		return [flag, cmd.optionHelp[name] ?? ""] as const;
	});
	entries.push(["--help", "show this help"]);
	const width = Math.max(...entries.map(([f]) => f.length));
	for (const [flag, help] of entries) lines.push(`  ${flag.padEnd(width)}  ${help}`);
	return lines.join("\n");
}

function globalHelp(commands: readonly CommandEntry[]): string {
	const width = Math.max(...commands.map((c) => c.name.length));
	return [
		"Usage: moq-studio <command> [options]",
		"",
		"MoQ Studio: a broadcast studio for Media over QUIC.",
		"",
		"Commands:",
		...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
		"",
		"Run `moq-studio <command> --help` for a command's options.",
	].join("\n");
}

/**
 * Runs the CLI with `argv` (without node and script); resolves with the exit code. Loads the
 * module of the named command only: the command list and `--version` load none.
 */
export async function runCli(commands: readonly CommandEntry[], argv: string[], io: CliIo): Promise<number> {
	const [name, ...rest] = argv;
	if (name === undefined || name === "--help" || name === "-h" || name === "help") {
		io.stdout(globalHelp(commands));
		return name === undefined ? 2 : 0;
	}
	if (name === "--version" || name === "-v") {
		io.stdout(APP_VERSION);
		return 0;
	}
	const entry = commands.find((c) => c.name === name);
	if (!entry) {
		io.stderr(`moq-studio: unknown command ${JSON.stringify(name)} (try --help)`);
		return 2;
	}
	const cmd = await entry.load();
	let values: Record<string, unknown>;
	let positionals: string[];
	try {
		({ values, positionals } = parseArgs({
			args: rest,
			options: { ...cmd.options, help: { type: "boolean", short: "h" } },
			allowPositionals: true,
			strict: true,
		}));
	} catch (err) {
		io.stderr(`moq-studio ${cmd.name}: ${err instanceof Error ? err.message : String(err)} (try --help)`);
		return 2;
	}
	if (values.help === true) {
		io.stdout(commandHelp(cmd));
		return 0;
	}
	const ctx: CommandContext = { stdout: io.stdout, stderr: io.stderr, signal: io.signal };
	try {
		return await cmd.run(values as Parameters<Command["run"]>[0], positionals, ctx);
	} catch (err) {
		const e = StudioError.from(err);
		io.stderr(`moq-studio ${cmd.name}: ${e.message.split("\n")[0]} [${e.codeName}]`);
		return 1;
	}
}
