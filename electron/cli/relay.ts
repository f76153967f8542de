/**
 * `moq-studio relay`: runs the embedded MoQ relay headless until SIGINT/SIGTERM.
 */
import { StudioError } from "../../shared/errors";
import { loadJwtKey, startRelay } from "../engine/relay";
import { Logger } from "../engine/log/logger";
import { captureLibraryConsole } from "../engine/transport/library-console";
import { type Command, stringOption } from "./command";

/** Splits `HOST:PORT` (IPv6 as `[::1]:4443`); a bare port binds 127.0.0.1. Throws INVALID_ARGUMENT. */
export function parseListen(value: string): { host: string; port: number } {
	const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
	const port = Number(m?.[3]);
	if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
		throw new StudioError("INVALID_ARGUMENT", `--listen wants HOST:PORT (e.g. 127.0.0.1:4443), got ${JSON.stringify(value)}`);
	}
	return { host: m[1] || m[2] || "127.0.0.1", port };
}

/**
 * The `relay` command. Prints one `listening on URL (websocket)` line once clients can connect,
 * logs warnings to stderr, and resolves 0 after a clean shutdown when `ctx.signal` aborts.
 * Refuses (StudioError) a non-loopback `--listen` without `--jwt-key`.
 */
export const relayCommand: Command = {
	name: "relay",
	summary: "Run a MoQ relay (WebSocket/QMux) until interrupted",
	usage: "[--listen HOST:PORT] [--jwt-key FILE]",
	options: {
		listen: { type: "string" },
		"jwt-key": { type: "string" },
	},
	optionHelp: {
		listen: "address to listen on (default 127.0.0.1:4443; port 0 picks a free one)",
		"jwt-key":
			"HMAC key for ?jwt= tokens: a JWK JSON file with a base64url \"k\", or raw secret bytes. " +
			"Required to listen on a non-loopback address",
	},
	async run(values, _positionals, ctx) {
		const { host, port } = parseListen(stringOption(values, "listen") ?? "127.0.0.1:4443");
		const keyFile = stringOption(values, "jwt-key");
		const jwtKey = keyFile !== undefined ? await loadJwtKey(keyFile) : undefined;
		if (ctx.signal.aborted) return 0;
		// @moq/net prints debug lines to stdout; keep the relay's output to its own lines.
		const restoreConsole = captureLibraryConsole(new Logger(0).scope("moq"));
		const relay = await startRelay({
			host,
			port,
			jwtKey,
			log: (level, message) => {
				if (level === "warn" || level === "error") ctx.stderr(`relay ${level}: ${message}`);
			},
		});
		ctx.stdout(`listening on ${relay.url} (websocket)${jwtKey ? " with JWT auth" : ""}`);
		await new Promise<void>((resolve) => {
			if (ctx.signal.aborted) resolve();
			else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
		});
		await relay.close();
		restoreConsole();
		return 0;
	},
};
