/**
 * One relay session: connects, reconnects with exponential backoff, and keeps libmoq's status
 * contract exactly (`moq_session_connect`):
 *
 * - a positive epoch on every (re)connect: 1 first, 2 first reconnect, ...;
 * - 0 exactly once after a clean close (terminal);
 * - a negative error code exactly once when reconnecting gives up (terminal);
 * - nothing after a terminal status.
 *
 * Each epoch re-announces every broadcast of the publish origin (a new producer per connection)
 * and feeds what the relay announces into the consume origin, so origins outlive connections.
 * A keepalive notices a silently dead connection (moq-dev/moq #2609: a session hung for hours
 * after laptop sleep) and `wake()` lets the host force that check on resume or network change.
 */
import * as Moq from "@moq/net";
import { StudioError } from "../../../shared/errors";
import type { SessionState, SessionStats, BroadcastStats } from "../../../shared/sessions";
import type { Log } from "../log/logger";
import { displayRelayUrl } from "../log/redact";
import { RemoteBroadcast } from "../origins/broadcast";
import { serveBroadcast, type ServeCounters } from "../origins/forward";
import type { OriginRegistry } from "../origins/registry";
import { openMoqConnection, type MoqConnection, type TransportChoice } from "../transport/connect";
import type { InProcessRelay } from "../transport/in-process";
import { announcedInitially } from "../transport/moq-net-initial-announce";
import { backoffDelay, DEFAULT_BACKOFF, shouldGiveUp, type BackoffSettings } from "./backoff";
import { RateMeter } from "./rate";

/** How to connect a session (already validated). */
export interface SessionConfig {
	/** The relay URL with the token applied as `?jwt=`; never shown unredacted. */
	url: URL;
	publishOrigin?: string;
	consumeOrigin?: string;
	/** Only announcements under this prefix are consumed. */
	prefix?: string;
	certificateSha256?: string;
	transport: TransportChoice;
	/** The relay's WebTransport listener when not at `url`'s port over UDP (transport/connect.ts). */
	webTransportUrl?: URL;
	backoff: BackoffSettings;
	/** Restrict the protocol offer (e.g. one moq-transport draft); default all. */
	protocols?: readonly string[];
	connectTimeoutMs: number;
	/** No traffic and no keepalive answer for this long means the connection is dead. */
	stallTimeoutMs: number;
	/** After `wake()`, how long a live connection has to answer a ping. */
	wakeProbeMs: number;
	/** The session to the studio's own embedded relay (shown as such, not persisted). */
	embedded?: boolean;
	/**
	 * The relay running in this process, read at every attempt: a session to its URL rides an
	 * in-memory link instead of a loopback socket (transport/connect.ts `inProcess`).
	 */
	inProcess?: () => InProcessRelay | undefined;
}

/** How a session begins. */
export interface SessionStart {
	/**
	 * Begin closed without connecting: a saved session the user had disconnected comes back
	 * like that after a restart, listed and restartable, and reports no status (it never ran).
	 */
	dormant?: boolean;
}

/** Defaults for the timing options of {@link SessionConfig}. */
export const SESSION_DEFAULTS = {
	backoff: DEFAULT_BACKOFF,
	connectTimeoutMs: 10_000,
	stallTimeoutMs: 20_000,
	wakeProbeMs: 2_000,
} as const;

/** What a session reports to its owner. */
export interface SessionHooks {
	origins: OriginRegistry;
	log: Log;
	/** libmoq's status callback: epoch > 0, 0 on close, negative on give-up; never after terminal. */
	onStatus(code: number): void;
	/** Called whenever the live state changes. */
	onState(state: SessionState): void;
}

interface Epoch {
	conn: MoqConnection;
	published: Map<string, { producer: Moq.Broadcast.Producer; counters: ServeCounters; rate: RateMeter }>;
	consumed: Map<string, RemoteBroadcast>;
	cleanups: (() => void)[];
	/** Resolves with the reason the epoch ended. */
	ended: Promise<StudioError>;
	end(reason: StudioError): void;
	probeDeadline?: number;
}

/** A session that reconnects by itself until closed or given up. */
export class Session {
	readonly id: string;
	readonly #config: SessionConfig;
	readonly #hooks: SessionHooks;
	#state: SessionState;
	#terminal = false;
	#closing = false;
	#epoch: Epoch | undefined;
	#attemptAbort: AbortController | undefined;
	#wakeSleep: (() => void) | undefined;
	readonly #rateIn = new RateMeter();
	readonly #rateOut = new RateMeter();
	/** Bytes the relay is known to have received (pongs), as a rate: what the path really carries. */
	readonly #rateDelivered = new RateMeter();
	#totals = { bytesIn: 0, bytesOut: 0 };
	#connectedTotalMs = 0;
	readonly done: Promise<void>;

	constructor(id: string, config: SessionConfig, hooks: SessionHooks, start: SessionStart = {}) {
		this.id = id;
		this.#config = config;
		this.#hooks = hooks;
		this.#state = {
			id,
			url: displayRelayUrl(config.url),
			phase: start.dormant ? "closed" : "connecting",
			epoch: 0,
			reconnects: 0,
			attempt: 0,
			transport: null,
			version: null,
			nextRetryAt: null,
			lastError: null,
			connectedAt: null,
			terminalCode: start.dormant ? 0 : null,
			publishOrigin: config.publishOrigin ?? null,
			consumeOrigin: config.consumeOrigin ?? null,
			prefix: config.prefix ?? "",
			embedded: config.embedded ?? false,
		};
		if (start.dormant) {
			this.#terminal = true;
			this.done = Promise.resolve();
			return;
		}
		this.done = this.#run().catch((err: unknown) => {
			// The loop itself must never die silently: report it as a give-up.
			this.#hooks.log.error(`session loop crashed: ${StudioError.from(err).message}`);
			this.#finish("failed", StudioError.from(err));
		});
	}

	/** The live state, for the UI. */
	get state(): SessionState {
		return this.#state;
	}

	/** Closes the session: status 0 once (unless it already reported a terminal status). */
	async close(): Promise<void> {
		if (this.#terminal || this.#closing) return this.done;
		this.#closing = true;
		this.#attemptAbort?.abort();
		this.#wakeSleep?.();
		this.#epoch?.end(new StudioError("CLOSED", "closed by the user"));
		await this.done;
	}

	/**
	 * The host's hint that the machine woke up or the network changed: a backoff wait is cut
	 * short, and a connected session must answer a ping within `wakeProbeMs` or reconnect.
	 */
	wake(): void {
		if (this.#terminal || this.#closing) return;
		if (this.#state.phase === "backoff") {
			this.#wakeSleep?.();
			return;
		}
		const epoch = this.#epoch;
		if (epoch) {
			epoch.probeDeadline = Date.now() + this.#config.wakeProbeMs;
			epoch.conn.counters.lastActivity = 0;
			try {
				epoch.conn.socket.ping();
			} catch {
				epoch.end(new StudioError("CONNECT", "the connection was lost while the machine slept"));
			}
		}
	}

	/** Counters and rates for this session and what it publishes. */
	stats(): SessionStats {
		this.#sample();
		const epoch = this.#epoch;
		const broadcasts: BroadcastStats[] = [];
		for (const [path, served] of epoch?.published ?? []) {
			const { tracks, ...totals } = served.counters;
			broadcasts.push({
				path,
				direction: "publish",
				...totals,
				bitrate: served.rate.bitsPerSecond(),
				tracks: [...tracks].map(([name, t]) => ({ name, ...t })),
			});
		}
		for (const path of epoch?.consumed.keys() ?? []) {
			broadcasts.push({ path, direction: "consume", frames: 0, bytes: 0, groups: 0, subscribers: 0, bitrate: 0, tracks: [] });
		}
		const connectedMs = this.#connectedTotalMs + (this.#state.connectedAt ? Date.now() - this.#state.connectedAt : 0);
		return {
			id: this.id,
			epoch: this.#state.epoch,
			reconnects: this.#state.reconnects,
			bytesIn: this.#totals.bytesIn,
			bytesOut: this.#totals.bytesOut,
			bitrateIn: this.#rateIn.bitsPerSecond(),
			bitrateOut: this.#rateOut.bitsPerSecond(),
			connectedMs,
			queuedBytes: epoch?.conn.socket.bufferedAmount ?? 0,
			estimatedSendBps: this.#rateOut.peakBitsPerSecond(),
			...this.#delivery(epoch?.conn.counters),
			broadcasts,
		};
	}

	/**
	 * Samples the session's meters and every served broadcast's meter at one instant. The card's
	 * OUT total and its per-broadcast lines are one measurement over the same windows: sampled
	 * apart (the session by the keepalive every second, a broadcast only when someone asked for
	 * stats), a broadcast's first reading after a quiet spell averaged everything since the last
	 * look, and showed `demo/cam2 · 100 kb/s` beside a session sending 0 b/s (issue 14).
	 */
	#sample(): void {
		const epoch = this.#epoch;
		if (!epoch) return;
		const now = Date.now();
		const totals = this.#totalsWith(epoch.conn.counters);
		this.#rateIn.sample(totals.bytesIn, now);
		this.#rateOut.sample(totals.bytesOut, now);
		const delivered = epoch.conn.counters.delivered;
		if (delivered) this.#rateDelivered.sample(this.#base.bytesOut + delivered.bytes, delivered.at);
		for (const served of epoch.published.values()) served.rate.sample(served.counters.bytes, now);
	}

	/** What pongs told of the path (WebSocket only; nothing before the first pong). */
	#delivery(counters: MoqConnection["counters"] | undefined): { deliveredBps?: number; rttMs?: number } {
		const delivered = counters?.delivered;
		if (!delivered) return {};
		// A ping still out longer than the last round trip means the way got longer still.
		const waiting = counters.pinged ? Date.now() - counters.pinged.at : 0;
		return { deliveredBps: this.#rateDelivered.bitsPerSecond(), rttMs: Math.max(delivered.rttMs, waiting) };
	}

	#base = { bytesIn: 0, bytesOut: 0 };
	#totalsWith(c: { bytesIn: number; bytesOut: number }) {
		this.#totals = { bytesIn: this.#base.bytesIn + c.bytesIn, bytesOut: this.#base.bytesOut + c.bytesOut };
		return this.#totals;
	}

	#setState(patch: Partial<SessionState>): void {
		this.#state = { ...this.#state, ...patch };
		this.#hooks.onState(this.#state);
	}

	#status(code: number): void {
		if (this.#terminal) return;
		if (code <= 0) this.#terminal = true;
		this.#hooks.onStatus(code);
	}

	#finish(phase: "closed" | "failed", error?: StudioError): void {
		if (this.#terminal) return;
		const code = phase === "closed" ? 0 : (error?.code ?? -1);
		this.#setState({
			phase,
			nextRetryAt: null,
			connectedAt: null,
			terminalCode: code,
			...(error && phase === "failed" ? { lastError: error.toInfo() } : {}),
		});
		this.#status(code);
	}

	async #run(): Promise<void> {
		const { backoff } = this.#config;
		let failingSince = Date.now();
		let attempt = 0;
		while (!this.#closing) {
			this.#setState({ phase: "connecting", attempt, nextRetryAt: null });
			const abort = new AbortController();
			this.#attemptAbort = abort;
			let conn: MoqConnection | undefined;
			let failure: StudioError | undefined;
			try {
				conn = await openMoqConnection(this.#config.url, {
					transport: this.#config.transport,
					webTransportUrl: this.#config.webTransportUrl,
					log: (message) => this.#hooks.log.info(message),
					certificateSha256: this.#config.certificateSha256,
					protocols: this.#config.protocols,
					timeoutMs: this.#config.connectTimeoutMs,
					signal: abort.signal,
					inProcess: this.#config.inProcess?.(),
				});
			} catch (err) {
				failure = StudioError.from(err, "CONNECT");
			}
			this.#attemptAbort = undefined;
			if (this.#closing) {
				conn?.close();
				break;
			}

			if (conn) {
				const epochNumber = this.#state.epoch + 1;
				attempt = 0;
				this.#setState({
					phase: "connected",
					epoch: epochNumber,
					reconnects: epochNumber - 1,
					transport: conn.transport,
					transportKind: conn.kind,
					version: conn.version,
					connectedAt: Date.now(),
					lastError: null,
				});
				this.#hooks.log.info(`connected to ${this.#state.url} (epoch ${epochNumber}, ${conn.kind}, ${conn.version})`);
				this.#status(epochNumber);
				failure = await this.#runEpoch(conn);
				this.#connectedTotalMs += Date.now() - (this.#state.connectedAt ?? Date.now());
				this.#setState({ connectedAt: null });
				if (this.#closing) break;
				this.#hooks.log.warn(`disconnected from ${this.#state.url}: ${failure.message}`);
				failingSince = Date.now();
			} else if (failure) {
				this.#hooks.log.warn(`connect to ${this.#state.url} failed: ${failure.message}`);
				// Retrying cannot fix refused credentials, a wrong pin or a missing transport.
				if (["UNAUTHORIZED", "CERTIFICATE", "UNSUPPORTED", "INVALID_ARGUMENT"].includes(failure.codeName)) {
					this.#finish("failed", failure);
					return;
				}
			}

			attempt++;
			const now = Date.now();
			if (shouldGiveUp(backoff, failingSince, now)) {
				this.#finish("failed", new StudioError(failure?.codeName ?? "CONNECT", `gave up reconnecting: ${failure?.message ?? "unknown error"}`));
				return;
			}
			let delay = backoffDelay(backoff, attempt);
			if (backoff.timeout > 0) delay = Math.min(delay, Math.max(0, failingSince + backoff.timeout - now));
			this.#setState({ phase: "backoff", attempt, nextRetryAt: now + delay, lastError: failure?.toInfo() ?? null });
			await this.#sleep(delay);
			if (!this.#closing && shouldGiveUp(backoff, failingSince, Date.now())) {
				this.#finish("failed", new StudioError(failure?.codeName ?? "CONNECT", `gave up reconnecting: ${failure?.message ?? "unknown error"}`));
				return;
			}
		}
		this.#finish("closed");
	}

	#sleep(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const timer = setTimeout(done, ms);
			function done() {
				clearTimeout(timer);
				resolve();
			}
			this.#wakeSleep = () => {
				this.#wakeSleep = undefined;
				done();
			};
		});
	}

	/** Runs one connection until it ends; resolves with why. */
	#runEpoch(conn: MoqConnection): Promise<StudioError> {
		let end!: (reason: StudioError) => void;
		const ended = new Promise<StudioError>((resolve) => (end = resolve));
		let over = false;
		const epoch: Epoch = {
			conn,
			published: new Map(),
			consumed: new Map(),
			cleanups: [],
			ended,
			end: (reason) => {
				if (over) return;
				over = true;
				end(reason);
			},
		};
		this.#epoch = epoch;
		const { established } = conn;

		void established.closed.then(
			() => epoch.end(new StudioError("CLOSED", "the relay closed the session")),
			(err: unknown) => epoch.end(StudioError.from(err, "CONNECT")),
		);
		conn.socket.once("close", (code: number) => epoch.end(new StudioError("CONNECT", `the connection dropped (WebSocket code ${code})`)));

		this.#startKeepalive(epoch);
		if (this.#config.publishOrigin) this.#publishOrigin(epoch, this.#config.publishOrigin);
		if (this.#config.consumeOrigin) this.#consumeOrigin(epoch, this.#config.consumeOrigin);

		return ended.then(async (reason) => {
			for (const c of epoch.cleanups) c();
			for (const { producer } of epoch.published.values()) producer.close();
			for (const remote of epoch.consumed.values()) remote.end("disconnected");
			this.#sample();
			this.#base = { ...this.#totals };
			if (this.#closing) await closeGracefully(conn);
			conn.close();
			this.#epoch = undefined;
			return reason;
		});
	}

	#startKeepalive(epoch: Epoch): void {
		const { stallTimeoutMs } = this.#config;
		const tick = Math.max(100, Math.min(1000, stallTimeoutMs / 4));
		const timer = setInterval(() => {
			const now = Date.now();
			const counters = epoch.conn.counters;
			if (epoch.probeDeadline !== undefined) {
				if (counters.lastActivity > 0) epoch.probeDeadline = undefined;
				else if (now >= epoch.probeDeadline) {
					return epoch.end(new StudioError("TIMEOUT", "the relay did not answer after the machine woke up"));
				}
			}
			const idle = now - counters.lastActivity;
			if (counters.lastActivity > 0 && idle >= stallTimeoutMs) {
				return epoch.end(new StudioError("TIMEOUT", `no traffic from the relay for ${Math.round(idle / 1000)} s`));
			}
			if (idle >= stallTimeoutMs / 2 || (!counters.pinged && epoch.published.size > 0)) {
				// Also a ping per tick while publishing (one outstanding): its pong says what reached
				// the relay and how long the way is, which Go Live adapts to (stats(): deliveredBps, rttMs).
				try {
					epoch.conn.socket.ping();
				} catch {
					epoch.end(new StudioError("CONNECT", "the connection was lost"));
				}
			}
			this.#sample();
		}, tick);
		timer.unref?.();
		epoch.cleanups.push(() => clearInterval(timer));
	}

	#publishOrigin(epoch: Epoch, originId: string): void {
		const log = this.#hooks.log;
		try {
			const stop = this.#hooks.origins.watch(originId, ({ broadcast, active }) => {
				const existing = epoch.published.get(broadcast.path);
				if (!active) {
					if (existing) {
						existing.producer.close();
						epoch.published.delete(broadcast.path);
					}
					return;
				}
				// Never echo a broadcast back to the session it came from.
				if (broadcast.source.kind === "session" && broadcast.source.sessionId === this.id) return;
				existing?.producer.close();
				const served = { ...serveBroadcast(broadcast), rate: new RateMeter() };
				epoch.published.set(broadcast.path, served);
				try {
					epoch.conn.established.publish(Moq.Path.from(broadcast.path), served.producer);
					log.debug(`announced ${broadcast.path}`);
				} catch (err) {
					served.producer.close();
					epoch.published.delete(broadcast.path);
					log.warn(`could not announce ${broadcast.path}: ${StudioError.from(err).message}`);
				}
			});
			epoch.cleanups.push(stop);
		} catch (err) {
			log.error(`publish origin unavailable: ${StudioError.from(err).message}`);
		}
	}

	#consumeOrigin(epoch: Epoch, originId: string): void {
		const log = this.#hooks.log;
		const prefix = Moq.Path.from(this.#config.prefix ?? "");
		const announced = epoch.conn.established.announced(prefix);
		epoch.cleanups.push(() => announced.close());
		void (async () => {
			try {
				for (;;) {
					const event = await announced.next();
					if (!event) break;
					const path = Moq.Path.join(prefix, event.path);
					const previous = epoch.consumed.get(path);
					previous?.end("unannounced");
					epoch.consumed.delete(path);
					if (!event.active) {
						log.debug(`unannounced ${path}`);
						continue;
					}
					if (!this.#hooks.origins.has(originId)) break;
					const existing = this.#hooks.origins.broadcast(originId, path);
					// Our own broadcasts come back from the relay when one origin is both published
					// and consumed; the local one stays authoritative.
					if (existing && !existing.ended) continue;
					const remote = new RemoteBroadcast(path, this.id, epoch.conn.established.consume(path), announcedInitially(event));
					epoch.consumed.set(path, remote);
					try {
						this.#hooks.origins.addBroadcast(originId, remote);
						log.debug(`announced by relay: ${path}`);
					} catch (err) {
						remote.end("unannounced");
						epoch.consumed.delete(path);
						log.debug(`skipped ${path}: ${StudioError.from(err).message}`);
					}
				}
			} catch (err) {
				if (!this.#closing) log.debug(`announcements ended: ${StudioError.from(err).message}`);
			}
		})();
	}
}

/** The longest a closing session waits for its QMux close to reach the relay. */
export const GRACEFUL_CLOSE_MS = 1000;

/**
 * Closes the MoQ session and lets the transport finish: QMux queues an APPLICATION_CLOSE and
 * closes the WebSocket a moment later (qmux session.js `#sendApplicationClose`), while
 * `MoqConnection.close()` terminates the socket at once. Terminating first dropped the queued
 * close, so every session the user closed, and every CLI command that exited, reached the
 * relay as a dropped socket (1006) instead of a clean close (issue 14). Resolves when the socket
 * has closed or after {@link GRACEFUL_CLOSE_MS}, whichever is first: a dead peer cannot hold
 * a close up.
 */
async function closeGracefully(conn: MoqConnection): Promise<void> {
	const { socket } = conn;
	if (socket.readyState === socket.CLOSED) return;
	await new Promise<void>((resolve) => {
		const timer = setTimeout(done, GRACEFUL_CLOSE_MS);
		timer.unref?.();
		socket.once("close", done);
		function done() {
			clearTimeout(timer);
			socket.off("close", done);
			resolve();
		}
		try {
			conn.established.close();
		} catch {
			done(); // already closed
		}
	});
}
