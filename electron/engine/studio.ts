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
import { APP_NAME, APP_VERSION } from "./version";

/** What a host tells the engine about itself. */
export interface StudioOptions {
	/** Which host serves the contract. */
	host: HostKind;
	/** The shared logger; a fresh one when absent. */
	logger?: Logger;
}

/** One running studio engine. */
export class Studio {
	/** The engine-wide logger (redacting). */
	readonly logger: Logger;
	/** Contract events for the hosts to forward. */
	readonly events = new EventBus();
	/** The origins the studio manages. */
	readonly origins = new OriginRegistry();
	/** The contract's handlers, served by every host through `dispatch`. */
	readonly handlers: Handlers;

	readonly #host: HostKind;
	readonly #cleanups: (() => void)[] = [];

	constructor(options: StudioOptions) {
		this.#host = options.host;
		this.logger = options.logger ?? new Logger();

		const logBatch = new Batcher<LogEntry>((entries) => this.events.emit("log.entries", { entries }));
		this.#cleanups.push(this.logger.addSink((e) => logBatch.push(e)));
		this.#cleanups.push(this.origins.subscribe((origins) => this.events.emit("origins.changed", { origins })));

		this.handlers = {
			"app.info": () => ({
				name: APP_NAME,
				version: APP_VERSION,
				host: this.#host,
				platform: platform(),
				embeddedRelayUrl: null,
			}),
			"origins.list": () => this.origins.list(),
			"origins.create": ({ name }) => this.origins.create(name),
			"origins.rename": ({ id, name }) => this.origins.rename(id, name),
			"origins.delete": ({ id }) => {
				this.origins.delete(id);
				return { id };
			},
			"log.recent": ({ level, limit }) => this.logger.recent(level, limit),
		};
	}

	/** Stops everything the engine started; safe to call twice. */
	async close(): Promise<void> {
		for (const c of this.#cleanups.splice(0)) c();
	}
}
