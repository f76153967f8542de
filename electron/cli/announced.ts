/**
 * `moq-studio announced`: prints the broadcasts a relay announces, live, across reconnects.
 */
import { StudioError } from "../../shared/errors";
import { flagOption, stringOption, type Command } from "./command";
import { holdSession } from "./held-session";

/** The `announced` sub-command. */
export const announcedCommand: Command = {
	name: "announced",
	summary: "Print the broadcasts a relay announces, as they come (keeps going across reconnects)",
	usage: "--url URL [--prefix P] [--token JWT] [--json]",
	options: { url: { type: "string" }, prefix: { type: "string" }, token: { type: "string" }, json: { type: "boolean" } },
	optionHelp: {
		url: "the relay, e.g. http://127.0.0.1:4443/ or https://relay.example.com/",
		prefix: "only broadcasts under this path prefix",
		token: "relay token (JWT); sent as ?jwt= and never printed",
		json: "one JSON object per line, each with an \"event\" field",
	},
	async run(values, _positionals, ctx) {
		const url = stringOption(values, "url");
		if (!url) throw new StudioError("INVALID_ARGUMENT", "--url is required");
		const held = holdSession(ctx, {
			url,
			token: stringOption(values, "token"),
			prefix: stringOption(values, "prefix"),
			json: flagOption(values, "json"),
			role: "consume",
		});
		try {
			const stopWatch = held.studio.origins.watch(held.originId, ({ broadcast, active }) => {
				held.printer.print("announce", { path: broadcast.path, active }, `${active ? "+" : "-"} ${broadcast.path}`);
			});
			const outcome = await Promise.race([held.terminal, held.interrupted.then(() => "interrupted" as const)]);
			stopWatch();
			if (outcome !== "interrupted" && outcome < 0) throw held.failure(outcome);
			return 0;
		} finally {
			await held.close();
		}
	},
};
