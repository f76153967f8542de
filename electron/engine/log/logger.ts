/**
 * The engine's logger: levelled, scoped, redacting, with a bounded in-memory history.
 *
 * Every line passes through {@link redact} before it is stored or delivered, so relay tokens
 * never reach a log sink, the UI or the terminal, whoever logged them.
 */
import type { LogEntry, LogLevel } from "../../../shared/models";
import { redact } from "./redact";

const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

/** True when `level` is at least as severe as `threshold`. */
export function atLeast(level: LogLevel, threshold: LogLevel): boolean {
	return rank[level] <= rank[threshold];
}

/** A sink receives every redacted entry. */
export type LogSink = (entry: LogEntry) => void;

/** A scoped view of a {@link Logger}. */
export interface Log {
	error(message: string): void;
	warn(message: string): void;
	info(message: string): void;
	debug(message: string): void;
	trace(message: string): void;
	/** A child logger whose scope is `scope` under this one. */
	child(scope: string): Log;
}

/** Keeps the last `capacity` entries and fans every entry out to its sinks. */
export class Logger {
	readonly #history: LogEntry[] = [];
	readonly #sinks = new Set<LogSink>();
	readonly #capacity: number;

	constructor(capacity = 2000) {
		this.#capacity = capacity;
	}

	/** Adds a sink; returns a function that removes it. */
	addSink(sink: LogSink): () => void {
		this.#sinks.add(sink);
		return () => this.#sinks.delete(sink);
	}

	/** Records one entry (redacted) and delivers it to every sink. */
	write(level: LogLevel, scope: string, message: string): void {
		const entry: LogEntry = { at: Date.now(), level, scope, message: redact(message) };
		this.#history.push(entry);
		if (this.#history.length > this.#capacity) this.#history.splice(0, this.#history.length - this.#capacity);
		for (const sink of this.#sinks) {
			try {
				sink(entry);
			} catch {
				// A failing sink must not break logging for the others.
			}
		}
	}

	/** The most recent entries at or above `level`, oldest first. */
	recent(level: LogLevel = "trace", limit = 500): LogEntry[] {
		const out = this.#history.filter((e) => atLeast(e.level, level));
		return out.slice(Math.max(0, out.length - limit));
	}

	/** A {@link Log} bound to `scope`. */
	scope(scope: string): Log {
		const at = (level: LogLevel) => (message: string) => this.write(level, scope, message);
		return {
			error: at("error"),
			warn: at("warn"),
			info: at("info"),
			debug: at("debug"),
			trace: at("trace"),
			child: (sub) => this.scope(`${scope}/${sub}`),
		};
	}
}
