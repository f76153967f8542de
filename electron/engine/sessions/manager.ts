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
import type { InProcessRelay } from "../transport/in-process";
import { SESSION_DEFAULTS, Session } from "./session";

/** Receives every status code of every session (libmoq's on_status). */
export type StatusListener = (id: string, code: number) => void;

/** Connect arguments after schema validation. */
export type ConnectInput = z.output<typeof ConnectSchema>;

/** Connect arguments with the URL's `?jwt=` taken out, and what became of it. */
export interface UrlTokenSplit {
	/** The arguments with `?jwt=` removed from `url`; `token` set from it unless one was given. */
	args: ConnectInput;
	/** A `?jwt=` was in the URL but an explicit token was given too, so the URL's was dropped. */
	urlTokenIgnored: boolean;
}

/**
 * Moves a relay token written into the URL (`https://relay/?jwt=…`) into `token`, so it is
 * handled like `--token`: sealed at rest, never stored, listed or logged in the URL (issue 14).
 * When both are given the explicit token wins: it is the field meant for the token, and the
 * URL's copy is more likely a stale paste. A URL that does not parse is left for
 * `parseRelayUrl` to refuse.
 */
export function splitUrlToken(args: ConnectInput): UrlTokenSplit {
	let url: URL;
	try {
		url = new URL(args.url);
	} catch {
		return { args, urlTokenIgnored: false };
	}
	if (!url.searchParams.has("jwt")) return { args, urlTokenIgnored: false };
	const fromUrl = url.searchParams.get("jwt") ?? "";
	url.searchParams.delete("jwt");
	const explicit = args.token !== undefined && args.token !== "";
	const token = explicit ? args.token : fromUrl || undefined;
	return { args: { ...args, url: url.toString(), token }, urlTokenIgnored: explicit && fromUrl !== "" && fromUrl !== args.token };
}

/** The engine's sessions. */
export class SessionManager {
	readonly #sessions = new Map<string, Session>();
	readonly #configs = new Map<string, ConnectInput>();
	/** Sessions the user closed: they stay listed and saved, and come back closed after a restart. */
	readonly #userClosed = new Set<string>();
	readonly #changeListeners = new Set<() => void>();
	readonly #statusListeners = new Set<StatusListener>();
	readonly #origins: OriginRegistry;
	readonly #logger: Logger;
	readonly #events: EventBus;
	#inProcess: InProcessRelay | undefined;

	/**
	 * The relay running in this process (the embedded one), or undefined. Sessions to its own URL
	 * connect over an in-memory link to it from their next attempt on (transport/in-process.ts).
	 */
	useInProcessRelay(relay: InProcessRelay | undefined): void {
		this.#inProcess = relay;
	}

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
	connect(args: ConnectInput, id: string = randomUUID(), options: { embedded?: boolean; dormant?: boolean } = {}): string {
		if (this.#sessions.has(id)) throw new StudioError("ALREADY_EXISTS", `a session with id ${JSON.stringify(id)} exists`);
		// Every host's connect and update comes through here: the token leaves the URL once, for all.
		const split = splitUrlToken(args);
		args = split.args;
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
				webTransportUrl: args.webTransportUrl ? new URL(args.webTransportUrl) : undefined,
				backoff: { ...SESSION_DEFAULTS.backoff, ...args.backoff },
				protocols: args.protocols,
				connectTimeoutMs: args.connectTimeoutMs ?? SESSION_DEFAULTS.connectTimeoutMs,
				stallTimeoutMs: args.stallTimeoutMs ?? SESSION_DEFAULTS.stallTimeoutMs,
				wakeProbeMs: SESSION_DEFAULTS.wakeProbeMs,
				embedded: options.embedded,
				inProcess: () => this.#inProcess,
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
			{ dormant: options.dormant },
		);
		if (split.urlTokenIgnored) log.warn("the URL carried a ?jwt= token and a token was also given: using the given token, ignoring the URL's");
		this.#sessions.set(id, session);
		this.#configs.set(id, args);
		if (options.dormant) this.#userClosed.add(id);
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

	/**
	 * Every session's configuration, for persistence. `enabled` is false only for a session the
	 * user closed: one that gave up reconnecting is kept enabled, so it is saved and tries again
	 * at the next start instead of vanishing from the settings (issue 14).
	 */
	configs(): { id: string; config: ConnectInput; enabled: boolean }[] {
		return [...this.#configs].map(([id, config]) => ({ id, config, enabled: !this.#userClosed.has(id) }));
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

	/**
	 * Closes a session (status 0 unless already terminal) at the user's request: it stays listed
	 * and saved, closed, until removed or restarted. NOT_FOUND for an unknown id.
	 */
	async close(id: string): Promise<SessionState> {
		const session = this.#require(id);
		this.#userClosed.add(id);
		await session.close();
		this.#emitChange();
		return session.state;
	}

	/** Closes (if needed) and forgets a session. */
	async remove(id: string): Promise<void> {
		await this.close(id);
		this.#sessions.delete(id);
		this.#configs.delete(id);
		this.#userClosed.delete(id);
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
