/**
 * `moq-studio web`: the studio engine with its UI served to a browser on loopback.
 */
import { StudioError } from "../../shared/errors";
import { Studio } from "../engine/studio";
import { startWebHost } from "../web/server";
import { stringOption, type Command } from "./command";

/** Parses a TCP port option; INVALID_ARGUMENT when it is not 0..65535. */
export function parsePort(value: string | undefined, fallback: number): number {
	if (value === undefined) return fallback;
	const port = Number(value);
	if (!/^\d+$/.test(value) || port > 65535) throw new StudioError("INVALID_ARGUMENT", `invalid port ${JSON.stringify(value)}`);
	return port;
}

/** The `web` sub-command. */
export const webCommand: Command = {
	name: "web",
	summary: "Run the studio and serve its UI to a browser on loopback",
	usage: "[--port P] [--host HOST]",
	options: { port: { type: "string" }, host: { type: "string" } },
	optionHelp: {
		port: "port for the UI (default 5174; 0 picks a free one)",
		host: "interface to bind (default 127.0.0.1)",
	},
	async run(values, _positionals, ctx) {
		const port = parsePort(stringOption(values, "port"), 5174);
		const host = stringOption(values, "host") ?? "127.0.0.1";
		const studio = new Studio({ host: "web" });
		studio.logger.addSink((e) => {
			if (e.level === "error" || e.level === "warn") ctx.stderr(`[${e.level}] ${e.scope}: ${e.message}`);
		});
		const web = await startWebHost({ studio, host, port });
		ctx.stdout(`MoQ Studio is running: open ${web.url}`);
		await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
		await web.close();
		await studio.close();
		return 0;
	},
};
