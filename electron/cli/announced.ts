/**
 * `moq-studio announced`: prints the broadcasts a relay announces, live, across reconnects.
 */
import { Studio } from "../engine/studio";
import { captureLibraryConsole } from "../engine/transport/library-console";
import { flagOption, stringOption, type Command } from "./command";
import { eventPrinter, followSessionStatus } from "./session-output";
import { errorName, StudioError } from "../../shared/errors";

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
		const json = flagOption(values, "json");
		const printer = eventPrinter(ctx, json);
		const studio = new Studio({ host: "web" });
		const restoreConsole = captureLibraryConsole(studio.logger.scope("moq"));
		try {
			const origin = studio.origins.create("announced");
			const stopWatch = studio.origins.watch(origin.id, ({ broadcast, active }) => {
				printer.print("announce", { path: broadcast.path, active }, `${active ? "+" : "-"} ${broadcast.path}`);
			});
			const id = studio.sessions.connect({
				url,
				token: stringOption(values, "token"),
				prefix: stringOption(values, "prefix"),
				consumeOrigin: origin.id,
			});
			const terminal = followSessionStatus(studio, id, printer);
			const interrupted = new Promise<"interrupted">((resolve) => {
				if (ctx.signal.aborted) resolve("interrupted");
				ctx.signal.addEventListener("abort", () => resolve("interrupted"), { once: true });
			});
			const outcome = await Promise.race([terminal, interrupted]);
			stopWatch();
			if (outcome === "interrupted") {
				await studio.sessions.close(id);
				await terminal;
				return 0;
			}
			if (outcome < 0) {
				throw new StudioError(errorName(outcome), studio.sessions.get(id).lastError?.message ?? "the session failed");
			}
			return 0;
		} finally {
			await studio.close();
			restoreConsole();
		}
	},
};
