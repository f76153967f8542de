/**
 * The shape every `moq-studio` sub-command has, so commands slot into one framework:
 * uniform `--help`, argument parsing with `node:util` parseArgs, one-line errors, exit codes.
 */
import type { ParseArgsConfig } from "node:util";

/** Options as `node:util` parseArgs declares them. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Parsed option values, keyed by option name. */
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** Where a command writes and how it learns it should stop. */
export interface CommandContext {
	/** Lines for the user (or JSON lines with `--json`). */
	stdout: (line: string) => void;
	/** Diagnostics; never used for machine-readable output. */
	stderr: (line: string) => void;
	/** Aborted on SIGINT/SIGTERM: long-running commands finish cleanly and resolve. */
	signal: AbortSignal;
}

/** One sub-command of `moq-studio`. */
export interface Command {
	/** The word after `moq-studio`. */
	name: string;
	/** One line for the command list. */
	summary: string;
	/** Usage line(s) after the name, e.g. `[--listen HOST:PORT]`. */
	usage: string;
	/** Option declarations; `help` is added by the framework. */
	options: OptionSpec;
	/** Help text per option name, shown by `--help`. */
	optionHelp: Record<string, string>;
	/**
	 * Runs the command. Resolves with the exit code (0 on success). Throwing a `StudioError`
	 * prints its message as one line and exits non-zero.
	 */
	run(values: OptionValues, positionals: string[], ctx: CommandContext): Promise<number>;
}

/** Reads a string option, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
	const v = values[name];
	return typeof v === "string" ? v : undefined;
}

/** Reads a boolean flag. */
export function flagOption(values: OptionValues, name: string): boolean {
	return values[name] === true;
}
