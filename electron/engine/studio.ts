/**
 * The engine root: everything the studio does, with no Electron in sight. Hosts (Electron IPC,
 * the web host, the CLI) create one `Studio`, serve its `handlers` and forward its `events`.
 */
import { platform, tmpdir } from "node:os";
import { join } from "node:path";
import type { HostKind, LogEntry } from "../../shared/models";
import type { Preferences } from "../../shared/sessions";
import type { Handlers } from "./dispatch";
import { EventBus } from "./events";
import { Batcher } from "./batch";
import { Logger } from "./log/logger";
import { displayRelayUrl } from "./log/redact";
import { StudioError } from "../../shared/errors";
import type { DesktopCapture } from "./golive/desktop-capture";
import { GoLiveManager } from "./golive/manager";
import { MonitorManager } from "./monitor/manager";
import { listAnnouncements, watchAnnouncements } from "./origins/announcements";
import { OriginRegistry } from "./origins/registry";
import { FilePublishManager } from "./publishing/manager";
import { RecordingLibrary } from "./recordings/library";
import { RecordingManager } from "./recordings/manager";
import { startRelayWithFallback, type RelayHandle } from "./relay";
import { SessionManager, splitUrlToken } from "./sessions/manager";
import { FileSecretStore, type SecretStore } from "./settings/secrets";
import { SettingsStore, type SavedSession } from "./settings/store";
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
	/** Folder for settings; nothing is persisted when absent (tests, one-shot CLI commands). */
	dataDir?: string;
	/** Where recordings are written; `<dataDir>/recordings` (or a temp folder without dataDir) when absent. */
	recordingsDir?: string;
	/** Where relay tokens rest; {@link FileSecretStore} when absent. */
	secrets?: SecretStore;
	/** Screen and window sources (desktop host only). */
	desktopCapture?: DesktopCapture;
	/**
	 * How the library deletes a recording: the desktop host moves it to the OS trash
	 * (`shell.trashItem`); `unlink` when absent.
	 */
	removeFile?: (path: string) => Promise<void>;
	/** Shows a recording in the file manager (desktop host: `shell.showItemInFolder`); UNSUPPORTED when absent. */
	revealFile?: (path: string) => void | Promise<void>;
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
	/** Go Live broadcasts fed by the renderer's encoders. */
	readonly golive: GoLiveManager;
	/** Recordings of broadcasts to files. */
	readonly recordings: RecordingManager;
	/** The files of the recordings folder. */
	readonly library: RecordingLibrary;
	/** Media files published as broadcasts. */
	readonly publishing: FilePublishManager;
	/** Monitors: broadcasts watched by the renderer over media channels. */
	readonly monitors: MonitorManager;
	/** The contract's handlers, served by every host through `dispatch`. */
	readonly handlers: Handlers;

	readonly #options: StudioOptions;
	readonly #cleanups: (() => void)[] = [];
	readonly #settings: SettingsStore | undefined;
	readonly #secrets: SecretStore;
	#preferences: Preferences = {};
	#relay: RelayHandle | undefined;
	#restoring = false;
	#closed = false;

	constructor(options: StudioOptions) {
		this.#options = options;
		this.logger = options.logger ?? new Logger();
		this.sessions = new SessionManager(this.origins, this.logger, this.events);
		this.golive = new GoLiveManager({ origins: this.origins, sessions: this.sessions, events: this.events, log: this.logger.scope("golive") });
		this.recordings = new RecordingManager({
			origins: this.origins,
			events: this.events,
			log: this.logger.scope("record"),
			folder: () => this.recordingsDir,
			sessionConnectedAt: (id) => this.sessions.get(id).connectedAt,
			describeSource: (originId) => ({
				originName: this.origins.list().find((o) => o.id === originId)?.name ?? null,
				// Session URLs in the list are already redacted (no token).
				relay: this.sessions.list().find((s) => s.consumeOrigin === originId)?.url ?? null,
			}),
		});
		this.library = new RecordingLibrary({
			folder: () => this.recordingsDir,
			activeFiles: () => this.recordings.activeFiles(),
			removeFile: options.removeFile,
			revealFile: options.revealFile,
			changed: (name) => this.events.emit("recordings.library.changed", { name }),
			log: this.logger.scope("record"),
		});
		this.publishing = new FilePublishManager({ origins: this.origins, events: this.events, log: this.logger.scope("publish"), sessions: this.sessions });
		this.monitors = new MonitorManager({ origins: this.origins, events: this.events, log: this.logger.scope("monitor") });
		this.#settings = options.dataDir ? new SettingsStore(options.dataDir) : undefined;
		this.#secrets = options.secrets ?? new FileSecretStore();

		const logBatch = new Batcher<LogEntry>((entries) => this.events.emit("log.entries", { entries }));
		this.#cleanups.push(this.logger.addSink((e) => logBatch.push(e)));
		// Thousands of announcements must not become thousands of full origin lists: coalesce.
		const originsBatch = new Batcher<true>(() => this.events.emit("origins.changed", { origins: this.origins.list() }));
		this.#cleanups.push(this.origins.subscribe(() => originsBatch.push(true)));
		this.#cleanups.push(watchAnnouncements(this.origins, (batch) => this.events.emit("broadcasts.changed", batch)));
		const persist = new Batcher<true>(() => void this.#persist(), 250);
		this.#cleanups.push(this.sessions.onChange(() => persist.push(true)));
		this.#cleanups.push(this.origins.subscribe(() => persist.push(true)));
		this.#cleanups.push(() => persist.cancel());

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
			"sessions.config": ({ id }) => {
				const { token, ...rest } = this.sessions.config(id);
				return { ...rest, hasToken: Boolean(token) };
			},
			"sessions.update": async ({ id, config }) => {
				// An edit without a token keeps the saved one: the UI never sees tokens to send back.
				// A `?jwt=` typed into the edited URL is a token given with the edit.
				const token = splitUrlToken(config).args.token ?? this.sessions.config(id).token;
				return { id: await this.sessions.replace(id, { ...config, token }) };
			},
			"sessions.restart": async ({ id }) => ({ id: await this.sessions.replace(id) }),
			"preferences.get": () => this.#preferences,
			"preferences.set": async ({ preferences }) => {
				this.#preferences = { ...this.#preferences, ...preferences };
				await this.#persist();
				return this.#preferences;
			},
			"golive.start": (spec) => this.golive.start(spec),
			"golive.stop": async ({ id }) => {
				await this.golive.stop(id);
				return { id };
			},
			"golive.list": () => this.golive.list(),
			"capture.sources": () => this.#desktopCapture().sources(),
			"capture.select": ({ id }) => {
				this.#desktopCapture().select(id);
				return null;
			},
			"recordings.start": (args) => this.recordings.start(args),
			"recordings.stop": ({ id }) => this.recordings.stop(id),
			"recordings.list": () => this.recordings.list(),
			"recordings.library": () => this.library.list(),
			"recordings.rename": ({ name, newName }) => this.library.rename(name, newName),
			"recordings.delete": ({ name }) => this.library.delete(name),
			"recordings.reveal": ({ name }) => this.library.reveal(name),
			"publishing.start": (args) => this.publishing.start(args),
			"publishing.stop": ({ id }) => this.publishing.stop(id),
			"publishing.list": () => this.publishing.list(),
			"monitor.open": (args) => this.monitors.open(args),
			"monitor.close": ({ id }) => this.monitors.close(id),
			"monitor.select": ({ id, video, audio }) => this.monitors.select(id, video, audio),
			"monitor.list": () => this.monitors.list(),
			"broadcasts.list": ({ prefix, originId }) => listAnnouncements(this.origins, { prefix, originId }),
			"log.recent": ({ level, limit }) => this.logger.recent(level, limit),
		};
	}

	#desktopCapture(): DesktopCapture {
		const capture = this.#options.desktopCapture;
		if (!capture) throw new StudioError("UNSUPPORTED", "this host has no source list: the browser shows its own screen picker");
		return capture;
	}

	/** The folder recordings are written to. */
	get recordingsDir(): string {
		return this.#options.recordingsDir ?? join(this.#options.dataDir ?? join(tmpdir(), "moq-studio"), "recordings");
	}

	/** The embedded relay, when it runs. */
	get embeddedRelay(): RelayHandle | undefined {
		return this.#relay;
	}

	/**
	 * Restores saved origins and sessions, then starts the embedded relay on loopback with a
	 * session to it publishing and consuming the "studio" origin, so a fresh install can go live
	 * and monitor with no server.
	 */
	async start(): Promise<void> {
		await this.#restore();
		const embedded = this.#options.embeddedRelay;
		if (!embedded || this.#relay) return;
		const log = this.logger.scope("relay");
		this.#relay = await startRelayWithFallback({
			host: embedded.host ?? "127.0.0.1",
			port: embedded.port ?? EMBEDDED_RELAY_PORT,
			log: (level, message) => log[level](message),
		});
		const origin = this.origins.list().find((o) => o.name === "studio") ?? this.origins.create("studio");
		this.sessions.connect({ url: this.#relay.url, publishOrigin: origin.id, consumeOrigin: origin.id }, undefined, { embedded: true });
	}

	/** Stops everything the engine started; safe to call twice. */
	async close(): Promise<void> {
		if (this.#closed) return;
		// Save while sessions still run (so they come back at the next start), then never again:
		// nothing writes the data folder once close() resolves.
		await this.#persist();
		this.#closed = true;
		for (const c of this.#cleanups.splice(0)) c();
		this.monitors.closeAll();
		await this.golive.stopAll();
		await this.publishing.stopAll();
		await this.recordings.stopAll();
		await this.sessions.closeAll();
		await this.#relay?.close();
		this.#relay = undefined;
	}

	async #restore(): Promise<void> {
		if (!this.#settings) return;
		this.#restoring = true;
		let migrate = false;
		try {
			const saved = await this.#settings.load();
			this.#preferences = saved.preferences as Preferences;
			for (const o of saved.origins) {
				try {
					this.origins.restore(o.id, o.name, o.createdAt);
				} catch (err) {
					this.logger.scope("settings").warn(`skipped saved origin ${o.name}: ${(err as Error).message}`);
				}
			}
			// Every saved session comes back: one the user closed stays closed (restartable), any
			// other connects again, including one that had given up (issue 14).
			for (const s of saved.sessions) {
				try {
					const token = s.sealedToken ? this.#secrets.open(s.sealedToken) : undefined;
					const { sealedToken: _sealed, enabled, id, ...config } = s;
					this.sessions.connect({ ...config, token }, id, { dormant: !enabled });
				} catch (err) {
					this.logger.scope("settings").warn(`skipped saved session to ${displayRelayUrl(s.url)}: ${(err as Error).message}`);
				}
			}
			// Settings written before tokens left URLs hold one verbatim: seal it now.
			migrate = saved.sessions.some((s) => splitUrlToken({ url: s.url }).args.token !== undefined);
		} finally {
			this.#restoring = false;
		}
		if (migrate) await this.#persist();
	}

	#sealToken(token: string | undefined): { sealedToken?: string } {
		if (!token) return {};
		try {
			return { sealedToken: this.#secrets.seal(token) };
		} catch (err) {
			this.logger.scope("settings").warn(`relay token not saved: ${(err as Error).message}`);
			return {};
		}
	}

	async #persist(): Promise<void> {
		if (!this.#settings || this.#restoring || this.#closed) return;
		const sessions: SavedSession[] = this.sessions
			.configs()
			// The embedded relay's session is recreated at every start, on whatever port it gets.
			.filter(({ id }) => !this.sessions.get(id).embedded)
			.map(({ id, config, enabled }) => {
				const { token, stallTimeoutMs: _s, connectTimeoutMs: _c, protocols: _p, ...rest } = config;
				return { id, ...rest, enabled, ...this.#sealToken(token) };
			});
		const origins = this.origins.list().map(({ id, name, createdAt }) => ({ id, name, createdAt }));
		try {
			await this.#settings.save({ version: 1, origins, sessions, preferences: this.#preferences });
		} catch (err) {
			this.logger.scope("settings").error((err as Error).message);
		}
	}
}
