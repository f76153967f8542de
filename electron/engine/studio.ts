/**
 * The engine root: everything the studio does, with no Electron in sight. Hosts (Electron IPC,
 * the web host, the CLI) create one `Studio`, serve its `handlers` and forward its `events`.
 */
import { platform } from "node:os";
import type { HostKind, LogEntry } from "../../shared/models";
import type { Handlers } from "./dispatch";
import { EventBus } from "./events";
import { Batcher } from "./batch";
import { Logger } from "./log/logger";
import { OriginRegistry } from "./origins/registry";
import { startRelayWithFallback, type RelayHandle } from "./relay";
import { SessionManager } from "./sessions/manager";
import { APP_NAME, APP_VERSION } from "./version";

/** Where the embedded relay listens; the studio's default connection. */
export interface EmbeddedRelayOptions {
	host?: string;
	/** Preferred port (4443 by default); a free one is used when it is taken. */
	port?: number;
}

/** What a host tells the engine about itself. */
export interface StudioOptions {
	/** Which host serves the contract. */
	host: HostKind;
	/** The shared logger; a fresh one when absent. */
	logger?: Logger;
	/** Start the embedded local relay (and a session to it) in `start()`; off when absent. */
	embeddedRelay?: EmbeddedRelayOptions;
}

/** The embedded relay's default port, like moq-relay's. */
export const EMBEDDED_RELAY_PORT = 4443;

/** One running studio engine. */
export class Studio {
	/** The engine-wide logger (redacting). */
	readonly logger: Logger;
	/** Contract events for the hosts to forward. */
	readonly events = new EventBus();
	/** The origins the studio manages. */
	readonly origins = new OriginRegistry();
	/** The relay sessions. */
	readonly sessions: SessionManager;
	/** The contract's handlers, served by every host through `dispatch`. */
	readonly handlers: Handlers;

	readonly #options: StudioOptions;
	readonly #cleanups: (() => void)[] = [];
	#relay: RelayHandle | undefined;

	constructor(options: StudioOptions) {
		this.#options = options;
		this.logger = options.logger ?? new Logger();
		this.sessions = new SessionManager(this.origins, this.logger, this.events);

		const logBatch = new Batcher<LogEntry>((entries) => this.events.emit("log.entries", { entries }));
		this.#cleanups.push(this.logger.addSink((e) => logBatch.push(e)));
		this.#cleanups.push(this.origins.subscribe((origins) => this.events.emit("origins.changed", { origins })));

		this.handlers = {
			"app.info": () => ({
				name: APP_NAME,
				version: APP_VERSION,
				host: options.host,
				platform: platform(),
				embeddedRelayUrl: this.#relay?.url ?? null,
			}),
			"origins.list": () => this.origins.list(),
			"origins.create": ({ name }) => this.origins.create(name),
			"origins.rename": ({ id, name }) => this.origins.rename(id, name),
			"origins.delete": ({ id }) => {
				this.origins.delete(id);
				return { id };
			},
			"sessions.connect": (args) => ({ id: this.sessions.connect(args) }),
			"sessions.list": () => this.sessions.list(),
			"sessions.close": ({ id }) => this.sessions.close(id),
			"sessions.remove": async ({ id }) => {
				await this.sessions.remove(id);
				return { id };
			},
			"sessions.stats": ({ id }) => this.sessions.stats(id),
			"sessions.wake": () => {
				this.sessions.wake();
				return null;
			},
			"log.recent": ({ level, limit }) => this.logger.recent(level, limit),
		};
	}

	/** The embedded relay, when it runs. */
	get embeddedRelay(): RelayHandle | undefined {
		return this.#relay;
	}

	/**
	 * Starts what the options ask for: the embedded relay on loopback, and a default origin
	 * ("studio") published to and consumed from it, so a fresh install can go live and monitor
	 * with no server.
	 */
	async start(): Promise<void> {
		const embedded = this.#options.embeddedRelay;
		if (!embedded || this.#relay) return;
		const log = this.logger.scope("relay");
		this.#relay = await startRelayWithFallback({
			host: embedded.host ?? "127.0.0.1",
			port: embedded.port ?? EMBEDDED_RELAY_PORT,
			log: (level, message) => log[level](message),
		});
		const origin = this.origins.list().find((o) => o.name === "studio") ?? this.origins.create("studio");
		this.sessions.connect({ url: this.#relay.url, publishOrigin: origin.id, consumeOrigin: origin.id });
	}

	/** Stops everything the engine started; safe to call twice. */
	async close(): Promise<void> {
		for (const c of this.#cleanups.splice(0)) c();
		await this.sessions.closeAll();
		await this.#relay?.close();
		this.#relay = undefined;
	}
}
