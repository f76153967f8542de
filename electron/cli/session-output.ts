/**
 * How CLI commands that hold a session print what happens to it: the same status events in
 * every command, as JSON lines with `--json` or as short human lines.
 */
import { errorName } from "../../shared/errors";
import type { SessionState } from "../../shared/sessions";
import type { Studio } from "../engine/studio";
import type { CommandContext } from "./command";

/** Prints events as `--json` lines or text. */
export interface EventPrinter {
	/** One event; `text` is the human form, `fields` the JSON form (with `event`). */
	print(event: string, fields: Record<string, unknown>, text: string): void;
}

/** A printer writing to the command's stdout. */
export function eventPrinter(ctx: CommandContext, json: boolean): EventPrinter {
	return {
		print(event, fields, text) {
			ctx.stdout(json ? JSON.stringify({ event, ...fields }) : text);
		},
	};
}

function describeStatus(code: number, state: SessionState): string {
	if (code > 0) return `connected to ${state.url} (epoch ${code}, ${state.transportKind ?? state.transport ?? "?"}, ${state.version ?? "?"})`;
	if (code === 0) return "session closed";
	return `gave up: ${state.lastError?.message ?? errorName(code)}`;
}

/**
 * Prints every status of session `id` (libmoq's codes: epoch > 0, 0, negative) and its
 * disconnects, and resolves with the terminal code. Lines carry the redacted URL only.
 */
export function followSessionStatus(studio: Studio, id: string, printer: EventPrinter): Promise<number> {
	return new Promise((resolve) => {
		let lastPhase = "";
		const stopStatus = studio.sessions.onStatus((sid, code) => {
			if (sid !== id) return;
			const state = studio.sessions.get(id);
			printer.print(
				"status",
				{ code, ...(code < 0 ? { error: errorName(code), message: state.lastError?.message ?? "" } : {}), epoch: state.epoch, url: state.url, version: state.version, transport: state.transport, transportKind: state.transportKind ?? null },
				describeStatus(code, state),
			);
			if (code <= 0) {
				stopStatus();
				stopState();
				resolve(code);
			}
		});
		const stopState = studio.events.listen((event, payload) => {
			if (event !== "sessions.state") return;
			const { session } = payload as { session: SessionState };
			if (session.id !== id || session.phase === lastPhase) return;
			lastPhase = session.phase;
			if (session.phase === "backoff") {
				const inMs = Math.max(0, (session.nextRetryAt ?? Date.now()) - Date.now());
				printer.print(
					"disconnected",
					{ attempt: session.attempt, retryInMs: inMs, message: session.lastError?.message ?? "" },
					`disconnected: ${session.lastError?.message ?? "unknown error"}; retrying in ${(inMs / 1000).toFixed(1)} s`,
				);
			}
		});
	});
}
