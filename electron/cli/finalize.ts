/**
 * `moq-studio finalize`: writes a recording that a crash or a full disk interrupted again as a
 * regular MP4 (same packets, one index), like the Recordings view's Finalize.
 */
import { stat } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { StudioError } from "../../shared/errors";
import { numbered } from "../engine/record/paths";
import { remuxToMp4 } from "../engine/recordings/finalize";
import { matroskaProblem, mp4Problem } from "../engine/recordings/library";
import { flagOption, stringOption, type Command } from "./command";
import { eventPrinter } from "./session-output";

/** The `finalize` sub-command. */
export const finalizeCommand: Command = {
	name: "finalize",
	summary: "Write an interrupted recording (cut by a crash or a full disk) again as a regular MP4, same packets",
	usage: "FILE [--out FILE] [--force] [--json]",
	options: {
		out: { type: "string" },
		force: { type: "boolean" },
		json: { type: "boolean" },
	},
	optionHelp: {
		out: "the MP4 to write (never overwritten); default <FILE without extension>-finalized.mp4 beside it",
		force: "finalize a file that looks complete too",
		json: "one JSON object per line, each with an \"event\" field",
	},
	async run(values, positionals, ctx) {
		const [input, ...extra] = positionals;
		if (!input || extra.length > 0) throw new StudioError("INVALID_ARGUMENT", "finalize takes one file: moq-studio finalize FILE [--out FILE]");
		const source = resolve(input);
		const info = await stat(source).catch((err: unknown) => {
			throw new StudioError("IO", `cannot read ${input}: ${(err as Error).message}`, { cause: err });
		});
		if (!info.isFile()) throw new StudioError("INVALID_ARGUMENT", `${input} is not a file`);
		const ext = extname(source).toLowerCase();
		if (ext !== ".mp4" && ext !== ".mkv" && ext !== ".webm") throw new StudioError("INVALID_ARGUMENT", `${input} is not a recording (.mp4, .mkv or .webm)`);
		const problem = ext === ".mp4" ? await mp4Problem(source, info.size) : await matroskaProblem(source, info.size);
		if (problem === null && !flagOption(values, "force")) {
			throw new StudioError("INVALID_ARGUMENT", `${input} is complete already: nothing to finalize (--force writes it again anyway)`);
		}
		const printer = eventPrinter(ctx, flagOption(values, "json"));
		const out = stringOption(values, "out");
		let target: string | undefined;
		let result;
		if (out !== undefined) {
			target = resolve(out);
			result = await remuxToMp4(source, target, ctx.signal);
		} else {
			const stem = basename(source).slice(0, basename(source).length - ext.length);
			for (let n = 0; n < 1000 && target === undefined; n++) {
				const candidate = join(dirname(source), numbered(`${stem}-finalized.mp4`, n));
				try {
					result = await remuxToMp4(source, candidate, ctx.signal);
					target = candidate;
				} catch (err) {
					if (!(err instanceof StudioError && err.codeName === "ALREADY_EXISTS")) throw err;
				}
			}
			if (target === undefined || !result) throw new StudioError("IO", `no free name for the finalized copy of ${input}`);
		}
		printer.print(
			"done",
			{ path: target, bytes: result.bytes, tracks: result.tracks, problem },
			`finalized ${input}${problem ? ` (${problem})` : ""} into ${target}: ${result.bytes} bytes, ${result.tracks} track${result.tracks === 1 ? "" : "s"}`,
		);
		return 0;
	},
};
