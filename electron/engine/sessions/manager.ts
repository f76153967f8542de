/**
 * Owns every session of the engine: validates connect requests, hands out ids, forwards status
 * and state to the contract's events, and closes them all on shutdown.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { StudioError } from "../../../shared/errors";
import type { SessionConnectArgs as ConnectSchema, SessionState, SessionStats } from "../../../shared/sessions";
import type { EventBus } from "../events";
import type { Logger } from "../log/logger";
import type { OriginRegistry } from "../origins/registry";
import { normaliseFingerprint, parseRelayUrl } from "../transport/url";
import { SESSION_DEFAULTS, Session } from "./session";

/** Receives every status code of every session (libmoq's on_status). */
export type StatusListener = (id: string, code: number) => void;

/** Connect arguments after schema validation. */
export type ConnectInput = z.output<typeof ConnectSchema>;

/** The engine's sessions. */
export class SessionManager {
	readonly #sessions = new Map<string, Session>();
	readonly #configs = new Map<string, ConnectInput>();
	readonly #changeListeners = new Set<() => void>();
	readonly #statusListeners = new Set<StatusListener>();
	readonly #origins: OriginRegistry;
	readonly #logger: Logger;
	readonly #events: EventBus;

	constructor(origins: OriginRegistry, logger: Logger, events: EventBus) {
		this.#origins = origins;
		this.#logger = logger;
		this.#events = events;
	}

	/**
	 * Starts a session and returns its id at once; the connection proceeds in the background and
	 * reports through status events. INVALID_ARGUMENT for a bad URL or pin, NOT_FOUND for an
	 * unknown origin.
	 */
	connect(args: ConnectInput, id: string = randomUUID(), options: { embedded?: boolean } = {}): string {
		if (this.#sessions.has(id)) throw new StudioError("ALREADY_EXISTS", `a session with id ${JSON.stringify(id)} exists`);
		const url = parseRelayUrl(args.url, args.token);
		for (const origin of [args.publishOrigin, args.consumeOrigin]) {
			if (origin !== undefined && !this.#origins.has(origin)) {
				throw new StudioError("NOT_FOUND", `no origin with id ${JSON.stringify(origin)}`);
			}
		}
		const certificateSha256 = args.certificateSha256 ? normaliseFingerprint(args.certificateSha256) : undefined;
		const log = this.#logger.scope(`session/${id.slice(0, 8)}`);
		const session = new Session(
			id,
			{
				url,
				publishOrigin: args.publishOrigin,
				consumeOrigin: args.consumeOrigin,
				prefix: args.prefix,
				certificateSha256,
				transport: args.transport ?? "auto",
				backoff: { ...SESSION_DEFAULTS.backoff, ...args.backoff },
				protocols: args.protocols,
				connectTimeoutMs: args.connectTimeoutMs ?? SESSION_DEFAULTS.connectTimeoutMs,
				stallTimeoutMs: args.stallTimeoutMs ?? SESSION_DEFAULTS.stallTimeoutMs,
				wakeProbeMs: SESSION_DEFAULTS.wakeProbeMs,
				embedded: options.embedded,
			},
			{
				origins: this.#origins,
				log,
				onStatus: (code) => {
					this.#events.emit("sessions.status", { id, code });
					for (const l of this.#statusListeners) l(id, code);
				},
				onState: (state) => this.#events.emit("sessions.state", { session: state }),
			},
		);
		this.#sessions.set(id, session);
		this.#configs.set(id, args);
		this.#emitChange();
		return id;
	}

	/**
	 * Replaces a session with one using `args` (or its own configuration): the old one closes
	 * (status 0) and is removed, and the new one starts under a new id, so no status ever
	 * follows a terminal one for the same id. Returns the new id.
	 */
	async replace(id: string, args?: ConnectInput): Promise<string> {
		const config = args ?? this.config(id);
		// Validate the new configuration before touching the running session.
		parseRelayUrl(config.url, config.token);
		const embedded = this.get(id).embedded;
		await this.remove(id);
		return this.connect(config, undefined, { embedded });
	}

	/** The configuration a session was started with (token included: never send it to a UI). */
	config(id: string): ConnectInput {
		this.#require(id);
		return this.#configs.get(id)!;
	}

	/** Every session's configuration with whether it is still running, for persistence. */
	configs(): { id: string; config: ConnectInput; enabled: boolean }[] {
		return [...this.#configs].map(([id, config]) => ({ id, config, enabled: !["closed", "failed"].includes(this.#sessions.get(id)!.state.phase) }));
	}

	/** Called after sessions are added, removed or closed. */
	onChange(listener: () => void): () => void {
		this.#changeListeners.add(listener);
		return () => this.#changeListeners.delete(listener);
	}

	#emitChange(): void {
		for (const l of this.#changeListeners) l();
	}

	/** Every session, terminal ones included until removed. */
	list(): SessionState[] {
		return [...this.#sessions.values()].map((s) => s.state);
	}

	/** One session's state; NOT_FOUND for an unknown id. */
	get(id: string): SessionState {
		return this.#require(id).state;
	}

	/** One session's statistics; NOT_FOUND for an unknown id. */
	stats(id: string): SessionStats {
		return this.#require(id).stats();
	}

	/** Closes a session (status 0 unless already terminal); NOT_FOUND for an unknown id. */
	async close(id: string): Promise<SessionState> {
		const session = this.#require(id);
		await session.close();
		this.#emitChange();
		return session.state;
	}

	/** Closes (if needed) and forgets a session. */
	async remove(id: string): Promise<void> {
		await this.close(id);
		this.#sessions.delete(id);
		this.#configs.delete(id);
		this.#emitChange();
		this.#events.emit("sessions.removed", { id });
	}

	/** Resume / network-change hint for every session. */
	wake(): void {
		for (const s of this.#sessions.values()) s.wake();
	}

	/** Subscribes to every status code; returns the unsubscribe function. */
	onStatus(listener: StatusListener): () => void {
		this.#statusListeners.add(listener);
		return () => this.#statusListeners.delete(listener);
	}

	/** Closes every session. */
	async closeAll(): Promise<void> {
		await Promise.all([...this.#sessions.values()].map((s) => s.close()));
	}

	#require(id: string): Session {
		const s = this.#sessions.get(id);
		if (!s) throw new StudioError("NOT_FOUND", `no session with id ${JSON.stringify(id)}`);
		return s;
	}
}
