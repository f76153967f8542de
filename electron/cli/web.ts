/**
 * `moq-studio web`: the studio engine with its UI served to a browser on loopback.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { StudioError } from "../../shared/errors";
import { EMBEDDED_RELAY_PORT, Studio } from "../engine/studio";
import { captureLibraryConsole } from "../engine/transport/library-console";
import { startWebHost } from "../web/server";
import { flagOption, stringOption, type Command } from "./command";

/** The settings folder of headless hosts: `$XDG_CONFIG_HOME/moq-studio` or `~/.config/moq-studio`. */
export function defaultDataDir(): string {
	return join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "moq-studio");
}

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
	usage: "[--port P] [--host HOST] [--relay-port P] [--no-relay] [--data-dir DIR]",
	options: {
		port: { type: "string" },
		host: { type: "string" },
		"relay-port": { type: "string" },
		"no-relay": { type: "boolean" },
		"data-dir": { type: "string" },
	},
	optionHelp: {
		port: "port for the UI (default 5174; 0 picks a free one)",
		host: "interface to bind (default 127.0.0.1)",
		"relay-port": `port of the embedded relay (default ${EMBEDDED_RELAY_PORT}; a free one if taken)`,
		"no-relay": "do not start the embedded local relay",
		"data-dir": "where settings are kept (default ~/.config/moq-studio)",
	},
	async run(values, _positionals, ctx) {
		const port = parsePort(stringOption(values, "port"), 5174);
		const host = stringOption(values, "host") ?? "127.0.0.1";
		const relayPort = parsePort(stringOption(values, "relay-port"), EMBEDDED_RELAY_PORT);
		const studio = new Studio({
			host: "web",
			dataDir: stringOption(values, "data-dir") ?? defaultDataDir(),
			embeddedRelay: flagOption(values, "no-relay") ? undefined : { port: relayPort },
		});
		const restoreConsole = captureLibraryConsole(studio.logger.scope("moq"));
		studio.logger.addSink((e) => {
			if (e.level === "error") ctx.stderr(`[${e.level}] ${e.scope}: ${e.message}`);
		});
		await studio.start();
		const web = await startWebHost({ studio, host, port });
		if (studio.embeddedRelay) ctx.stdout(`Embedded relay listening on ${studio.embeddedRelay.url}`);
		ctx.stdout(`MoQ Studio is running: open ${web.url}`);
		await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
		await web.close();
		await studio.close();
		restoreConsole();
		return 0;
	},
};
