/**
 * `moq-studio relay`: runs the embedded MoQ relay headless until SIGINT/SIGTERM.
 */
import { createRequire } from "node:module";
import { StudioError } from "../../shared/errors";
import { loadJwtKey, startRelay } from "../engine/relay";
import { Logger } from "../engine/log/logger";
import { captureLibraryConsole } from "../engine/transport/library-console";
import { HTTP3_UNAVAILABLE, QUICHE_PACKAGE } from "../engine/transport/webtransport";
import { type Command, flagOption, stringOption } from "./command";

/**
 * Whether the quiche addon is installed, for `--help` (synchronous: resolves the package
 * without loading it; the relay itself loads it at start and reports a broken install there).
 */
function http3Note(): string {
	try {
		createRequire(import.meta.url).resolve(QUICHE_PACKAGE);
		return "HTTP/3 WebTransport listens on UDP at the same port (quiche addon installed)";
	} catch {
		return `no HTTP/3 WebTransport listener here: ${HTTP3_UNAVAILABLE}`;
	}
}

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
 * The `relay` command. Prints a `listening on URL (websocket)` line once clients can connect, then
 * one line per WebTransport listener and a `no webtransport http/3: …` line saying why HTTP/3 is
 * missing,
 * logs warnings to stderr, and resolves 0 after a clean shutdown when `ctx.signal` aborts.
 * Refuses (StudioError) a non-loopback `--listen` without `--jwt-key`.
 */
export const relayCommand: Command = {
	name: "relay",
	summary: "Run a MoQ relay (WebSocket/QMux, WebTransport) until interrupted",
	usage: "[--listen HOST:PORT] [--jwt-key FILE] [--webtransport-h2 PORT] [--no-http3]",
	options: {
		listen: { type: "string" },
		"jwt-key": { type: "string" },
		"webtransport-h2": { type: "string" },
		"no-http3": { type: "boolean" },
	},
	optionHelp: {
		"webtransport-h2":
			"also listen for WebTransport over HTTP/2 (TLS, TCP) on this port (0 picks a free one); " +
			"its self-signed certificate's sha-256 is served at /certificate.sha256",
		get "no-http3"() {
			return `do not listen for WebTransport over HTTP/3 (UDP); ${http3Note()}`;
		},
		listen: "address to listen on (default 127.0.0.1:4443; port 0 picks a free one)",
		"jwt-key":
			"HMAC key for ?jwt= tokens: a JWK JSON file with a base64url \"k\", or raw secret bytes. " +
			"Required to listen on a non-loopback address",
	},
	async run(values, _positionals, ctx) {
		const { host, port } = parseListen(stringOption(values, "listen") ?? "127.0.0.1:4443");
		const keyFile = stringOption(values, "jwt-key");
		const jwtKey = keyFile !== undefined ? await loadJwtKey(keyFile) : undefined;
		const h2 = stringOption(values, "webtransport-h2");
		const http2Port = h2 === undefined ? undefined : Number(h2);
		if (http2Port !== undefined && !(Number.isInteger(http2Port) && http2Port >= 0 && http2Port <= 65535)) {
			throw new StudioError("INVALID_ARGUMENT", `--webtransport-h2 wants a port 0-65535, got ${JSON.stringify(h2)}`);
		}
		if (ctx.signal.aborted) return 0;
		// @moq/net prints debug lines to stdout; keep the relay's output to its own lines.
		const restoreConsole = captureLibraryConsole(new Logger(0).scope("moq"));
		const relay = await startRelay({
			host,
			port,
			jwtKey,
			webTransport: { http3: !flagOption(values, "no-http3"), http2: http2Port === undefined ? false : { port: http2Port } },
			log: (level, message) => {
				if (level === "warn" || level === "error") ctx.stderr(`relay ${level}: ${message}`);
			},
		});
		ctx.stdout(`listening on ${relay.url} (websocket)${jwtKey ? " with JWT auth" : ""}`);
		// One line per further listener, and why HTTP/3 is missing when it was wanted.
		const wt = relay.webTransport;
		if (wt.http3Port !== undefined) ctx.stdout(`listening on udp ${relay.host}:${wt.http3Port} (webtransport http/3)`);
		if (wt.http2Url) ctx.stdout(`listening on ${wt.http2Url} (webtransport http/2)`);
		if (wt.certificateSha256) ctx.stdout(`certificate sha-256 ${wt.certificateSha256} (also at ${relay.url}certificate.sha256)`);
		if (wt.http3Missing) ctx.stdout(`no webtransport http/3: ${wt.http3Missing}`);
		await new Promise<void>((resolve) => {
			if (ctx.signal.aborted) resolve();
			else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
		});
		await relay.close();
		restoreConsole();
		return 0;
	},
};
