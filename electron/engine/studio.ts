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
import { PlaybackManager } from "./replay/manager";
import { resolveRecording } from "./replay/resolve";
import { listAnnouncements, watchAnnouncements } from "./origins/announcements";
import { OriginRegistry } from "./origins/registry";
import { FilePublishManager } from "./publishing/manager";
import { probeMediaFile } from "./publishing/probe";
import { DiskSpaceWatcher, lowSpaceMessage } from "./recordings/disk-space";
import { RecordingLibrary } from "./recordings/library";
import { RecordingSettingsStore } from "./recordings/settings";
import { RecordingManager } from "./recordings/manager";
import { AutoRecordRules } from "./recordings/auto-record";
import { startRelayWithFallback, type RelayHandle } from "./relay";
import { SessionManager, splitUrlToken } from "./sessions/manager";
import { FileSecretStore, type SecretStore } from "./settings/secrets";
import { SettingsStore, type SavedSession } from "./settings/store";
import { SceneStore } from "./scenes/store";
import { APP_NAME, APP_VERSION } from "./version";

/** Where the embedded relay listens; the studio's default connection. */
export interface EmbeddedRelayOptions {
	host?: string;
	/** Preferred port (4443 by default); a free one is used when it is taken. */
	port?: number;
	/**
	 * Also listen for WebTransport over HTTP/2 (a free TCP port) and connect the studio's own
	 * session through it, WebSocket as the fallback: MoQ over the fails-components stack without
	 * the HTTP/3 addon, for testing. Off by default.
	 */
	webTransportH2?: boolean;
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
	/** Auto-record rules: every broadcast of an origin under a path prefix is recorded (saved with the settings). */
	readonly autoRecord: AutoRecordRules;
	/** Where recordings go and the free space they need (kept in the preferences). */
	readonly recordingSettings: RecordingSettingsStore;
	/** Free space of the recordings folder: refuses starts below the minimum and stops running recordings. */
	readonly diskSpace: DiskSpaceWatcher;
	/** Media files published as broadcasts. */
	readonly publishing: FilePublishManager;
	/** Monitors: broadcasts watched by the renderer over media channels. */
	readonly monitors: MonitorManager;
	/** Recordings played in the studio's player over media channels. */
	readonly playback: PlaybackManager;
	/** The Go Live scenes (issue 16), in their own file of the data dir. */
	readonly scenes: SceneStore;
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
		this.recordingSettings = new RecordingSettingsStore(
			{
				get: () => this.#preferences,
				set: async (patch) => {
					this.#preferences = { ...this.#preferences, ...patch };
					await this.#persist();
				},
			},
			() => this.#defaultRecordingsDir(),
		);
		this.diskSpace = new DiskSpaceWatcher({
			folder: () => this.recordingsDir,
			minFreeBytes: () => this.recordingSettings.minFreeBytes(),
			onChange: (now) => {
				this.events.emit("recordings.disk", now);
				if (now.low) void this.recordings.stopForLowDisk(lowSpaceMessage(now, "recordings were stopped and their files completed"));
			},
		});
		this.recordings = new RecordingManager({
			diskSpace: this.diskSpace,
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
			diskSpace: () => this.diskSpace.current(),
		});
		this.publishing = new FilePublishManager({ origins: this.origins, events: this.events, log: this.logger.scope("publish"), sessions: this.sessions });
		this.monitors = new MonitorManager({ origins: this.origins, events: this.events, log: this.logger.scope("monitor") });
		this.autoRecord = new AutoRecordRules({ origins: this.origins, recordings: this.recordings, events: this.events, log: this.logger.scope("record") });
		this.playback = new PlaybackManager({
			events: this.events,
			log: this.logger.scope("playback"),
			folder: () => this.recordingsDir,
			activeFiles: () => this.recordings.activeFiles(),
		});
		this.#settings = options.dataDir ? new SettingsStore(options.dataDir) : undefined;
		this.scenes = new SceneStore(options.dataDir);
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
		const rulesBatch = new Batcher<true>(() => this.events.emit("recordings.rules.changed", { rules: this.autoRecord.list() }));
		this.#cleanups.push(
			this.autoRecord.onChange((save) => {
				if (save) persist.push(true);
				rulesBatch.push(true);
			}),
			() => rulesBatch.cancel(),
		);

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
			"scenes.get": () => this.scenes.get(),
			"scenes.set": ({ collection }) => this.scenes.set(collection),
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
			"recordings.rules": () => this.autoRecord.list(),
			"recordings.rules.create": (args) => this.autoRecord.create(args),
			"recordings.rules.delete": ({ id }) => this.autoRecord.delete(id),
			"recordings.finalize": ({ name }) => this.library.finalize(name),
			"recordings.disk": () => this.diskSpace.measure(),
			"recordings.settings": () => this.recordingSettings.read(),
			"recordings.configure": async (patch) => {
				const settings = await this.recordingSettings.configure(patch);
				this.diskSpace.measure();
				this.events.emit("recordings.library.changed", { name: null });
				return settings;
			},
			"publishing.start": (args) => this.publishing.start(args),
			"publishing.stop": ({ id }) => this.publishing.stop(id),
			"publishing.list": () => this.publishing.list(),
			"publishing.probe": ({ file }) => probeMediaFile(file),
			"monitor.open": (args) => this.monitors.open(args),
			"monitor.close": ({ id }) => this.monitors.close(id),
			"monitor.select": ({ id, video, audio }) => this.monitors.select(id, video, audio),
			"monitor.list": () => this.monitors.list(),
			"recordings.replay": async ({ name, originId, path, loop, waitForViewer }) => {
				this.origins.get(originId); // NOT_FOUND for the origin before looking at the file
				const file = await resolveRecording(this.recordingsDir, name, this.recordings.activeFiles());
				return this.publishing.start({ originId, path, file, loop, waitForSubscribers: waitForViewer });
			},
			"playback.open": (args) => this.playback.open(args),
			"playback.control": (args) => this.playback.control(args),
			"playback.close": ({ id }) => this.playback.close(id),
			"playback.list": () => this.playback.list(),
			"broadcasts.list": ({ prefix, originId }) => listAnnouncements(this.origins, { prefix, originId }),
			"log.recent": ({ level, limit }) => this.logger.recent(level, limit),
		};
	}

	#desktopCapture(): DesktopCapture {
		const capture = this.#options.desktopCapture;
		if (!capture) throw new StudioError("UNSUPPORTED", "this host has no source list: the browser shows its own screen picker");
		return capture;
	}

	/** The folder recordings are written to: the one chosen in the settings, else the default. */
	get recordingsDir(): string {
		return this.recordingSettings.folder();
	}

	/** The host's recordings folder, or `<dataDir>/recordings` (a temp folder without dataDir). */
	#defaultRecordingsDir(): string {
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
		await this.scenes.load().catch((err: unknown) => this.logger.scope("settings").warn(`scenes not loaded: ${(err as Error).message}`));
		this.diskSpace.start();
		const embedded = this.#options.embeddedRelay;
		if (!embedded || this.#relay) return;
		const log = this.logger.scope("relay");
		this.#relay = await startRelayWithFallback({
			host: embedded.host ?? "127.0.0.1",
			port: embedded.port ?? EMBEDDED_RELAY_PORT,
			log: (level, message) => log[level](message),
			...(embedded.webTransportH2 ? { webTransport: { http2: true } } : {}),
		});
		const origin = this.origins.list().find((o) => o.name === "studio") ?? this.origins.create("studio");
		const webTransportUrl = this.#relay.webTransport.http2Url;
		// The studio's own session reaches its relay over memory, not a loopback socket (issue 15).
		this.sessions.useInProcessRelay(this.#relay);
		this.sessions.connect({ url: this.#relay.url, publishOrigin: origin.id, consumeOrigin: origin.id, ...(webTransportUrl ? { webTransportUrl } : {}) }, undefined, { embedded: true });
	}

	/** Stops everything the engine started; safe to call twice. */
	async close(): Promise<void> {
		if (this.#closed) return;
		// Rule recordings finish first, so the rules are saved with what they recorded.
		await this.autoRecord.close();
		// Save while sessions still run (so they come back at the next start), then never again:
		// nothing writes the data folder once close() resolves.
		await this.#persist();
		this.#closed = true;
		for (const c of this.#cleanups.splice(0)) c();
		this.diskSpace.close();
		this.monitors.closeAll();
		await this.playback.closeAll();
		await this.golive.stopAll();
		await this.publishing.stopAll();
		await this.recordings.stopAll();
		await this.sessions.closeAll();
		await this.#relay?.close();
		this.sessions.useInProcessRelay(undefined);
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
			this.autoRecord.restore(saved.autoRecordRules);
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
			await this.#settings.save({ version: 1, origins, sessions, preferences: this.#preferences, autoRecordRules: this.autoRecord.saved() });
		} catch (err) {
			this.logger.scope("settings").error((err as Error).message);
		}
	}
}
