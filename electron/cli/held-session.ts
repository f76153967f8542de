/**
 * A one-purpose studio for CLI commands that hold one session: an engine with one origin and
 * one session to `--url`, status printed the same way in every command, library console captured.
 */
import { errorName, StudioError } from "../../shared/errors";
import { LogLevel } from "../../shared/models";
import { atLeast } from "../engine/log/logger";
import { Studio } from "../engine/studio";
import { captureLibraryConsole } from "../engine/transport/library-console";
import { type CommandContext, type OptionValues, stringOption } from "./command";
import { eventPrinter, followSessionStatus, type EventPrinter } from "./session-output";

/** An engine with one origin and one session. */
export interface HeldSession {
	studio: Studio;
	originId: string;
	sessionId: string;
	printer: EventPrinter;
	/** Resolves with the terminal status code (0 or negative). */
	terminal: Promise<number>;
	/** Resolves on SIGINT/SIGTERM. */
	interrupted: Promise<void>;
	/** Resolves once the session reports a given epoch (1 = first connect), or rejects if it fails first. */
	connected(): Promise<void>;
	/** Closes the session (status 0 printed) and the engine. */
	close(): Promise<void>;
	/** A StudioError for a negative terminal code, with the session's last error message. */
	failure(code: number): StudioError;
}

/** `--transport` / `--webtransport-url` / `--certificate-sha256`, as session options. */
export interface TransportOption {
	transport?: "auto" | "websocket" | "webtransport";
	webTransportUrl?: string;
	certificateSha256?: string;
}

/** The transport options every session command accepts, declared once. */
export const TRANSPORT_OPTIONS = {
	transport: { type: "string" },
	"webtransport-url": { type: "string" },
	"certificate-sha256": { type: "string" },
} as const;

/** Help for {@link TRANSPORT_OPTIONS}. */
export const TRANSPORT_OPTION_HELP: Record<string, string> = {
	transport: "auto (default: WebTransport when it can, else WebSocket), websocket or webtransport",
	"webtransport-url": "the relay's WebTransport HTTP/2 listener, e.g. https://127.0.0.1:4444/ (see `moq-studio relay --webtransport-h2`)",
	"certificate-sha256": "pin the relay's certificate (hex sha-256); default: fetched from the relay's /certificate.sha256 for WebTransport",
};

/** Reads {@link TRANSPORT_OPTIONS}; INVALID_ARGUMENT for an unknown `--transport`. */
export function transportOption(values: OptionValues): TransportOption {
	const transport = stringOption(values, "transport");
	if (transport !== undefined && transport !== "auto" && transport !== "websocket" && transport !== "webtransport") {
		throw new StudioError("INVALID_ARGUMENT", `--transport wants auto, websocket or webtransport, got ${JSON.stringify(transport)}`);
	}
	const webTransportUrl = stringOption(values, "webtransport-url");
	const certificateSha256 = stringOption(values, "certificate-sha256");
	return { ...(transport ? { transport } : {}), ...(webTransportUrl ? { webTransportUrl } : {}), ...(certificateSha256 ? { certificateSha256 } : {}) };
}

/** Starts the engine and the session; `role` picks whether the origin is published or consumed. */
export function holdSession(
	ctx: CommandContext,
	opts: { url: string; token?: string; json: boolean; role: "publish" | "consume"; prefix?: string; transport?: TransportOption },
): HeldSession {
	const printer = eventPrinter(ctx, opts.json);
	const studio = new Studio({ host: "web" });
	const restoreConsole = captureLibraryConsole(studio.logger.scope("moq"));
	// MOQ_STUDIO_LOG=debug (or trace, info, ...) shows the engine's log on stderr.
	const threshold = LogLevel.safeParse(process.env.MOQ_STUDIO_LOG).data;
	studio.logger.addSink((e) => {
		if (threshold ? atLeast(e.level, threshold) : e.level === "error" && e.scope !== "moq") ctx.stderr(`[${e.level}] ${e.scope}: ${e.message}`);
	});
	const origin = studio.origins.create(opts.role);
	let sessionId: string;
	try {
		sessionId = studio.sessions.connect({
			url: opts.url,
			token: opts.token,
			prefix: opts.prefix,
			...opts.transport,
			...(opts.role === "publish" ? { publishOrigin: origin.id } : { consumeOrigin: origin.id }),
		});
	} catch (err) {
		restoreConsole();
		void studio.close();
		throw err;
	}
	const terminal = followSessionStatus(studio, sessionId, printer);
	const interrupted = new Promise<void>((resolve) => {
		if (ctx.signal.aborted) resolve();
		ctx.signal.addEventListener("abort", () => resolve(), { once: true });
	});
	const failure = (code: number) => new StudioError(errorName(code), studio.sessions.get(sessionId).lastError?.message ?? "the session failed");
	return {
		studio,
		originId: origin.id,
		sessionId,
		printer,
		terminal,
		interrupted,
		failure,
		connected: () =>
			new Promise<void>((resolve, reject) => {
				if (studio.sessions.get(sessionId).epoch > 0) return resolve();
				const stop = studio.sessions.onStatus((id, code) => {
					if (id !== sessionId) return;
					stop();
					if (code > 0) resolve();
					else reject(failure(code));
				});
			}),
		close: async () => {
			await studio.sessions.close(sessionId).catch(() => {});
			await terminal;
			await studio.close();
			restoreConsole();
		},
	};
}

/** Rejects when the session gives up, so long operations can race against it. */
export async function failOnGiveUp(held: HeldSession): Promise<never> {
	const code = await held.terminal;
	throw code < 0 ? held.failure(code) : new StudioError("CLOSED", "the session closed");
}
