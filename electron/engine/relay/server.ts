/**
 * The relay's network face: an HTTP server whose WebSocket upgrades become QMux sessions running
 * MoQ, admitted by `auth.ts` and routed by `router.ts`.
 */
import { X509Certificate } from "node:crypto";
import { createServer, type IncomingMessage, type RequestListener, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import Qmux from "@moq/qmux";
import * as Moq from "@moq/net";
import { type WebSocket, WebSocketServer } from "ws";
import { StudioError } from "../../../shared/errors";
import { createInProcessLink, type InProcessRelay, type InProcessSocket } from "../transport/in-process";
import { openWithoutPeerEndWait } from "../transport/moq-net-delivery";
import { describeSocketError, upgradeRefused } from "../transport/socket-errors";
import { socketStream } from "../transport/socket-stream";
import { assertSafeListen, authorize } from "./auth";
import { closeCodeFor } from "./close-codes";
import { safeLog, silentLog } from "./log";
import { type RelayOptions, type ResolvedRelayOptions, resolveOptions } from "./options";
import { selectRelaySubprotocol } from "./protocols";
import type { RouteStats } from "./route";
import { Router } from "./router";
import type { Scope } from "./scope";
import { RelaySession } from "./session";
import { type IncomingWebTransport, listenWebTransport, type WebTransportListeners } from "./webtransport";

/** A point-in-time view of the relay, for tests, the UI and benchmarks. */
export interface RelayStats {
	/** Sessions accepted and still open. */
	sessions: number;
	/** Broadcasts currently routed (including ones waiting for their publisher to return). */
	broadcasts: number;
	/** Open upstream track subscriptions: one per relayed track, however many subscribe downstream. */
	upstreamSubscriptions: number;
	/** Frames, bytes and groups forwarded from publishers since start. */
	frames: number;
	bytes: number;
	groups: number;
	/** Subscribers cut from a group because they held faster ones back or stopped reading (each skipped the rest of that group). */
	readersCut: number;
	/** Upgrades refused (auth, limits, unknown subprotocol) and sessions that failed their handshake. */
	rejected: number;
	/** Per-route detail. */
	routes: RouteStats[];
}

/** What a relay offers over WebTransport. */
export interface RelayWebTransport {
	/** `https://host:port/` of the HTTP/2 WebTransport listener, when it runs. */
	http2Url: string | undefined;
	/** UDP port of the HTTP/3 listener, when it runs (the WebSocket port number). */
	http3Port: number | undefined;
	/** Why HTTP/3 is not offered, e.g. "HTTP/3 unavailable: install …". */
	http3Missing: string | undefined;
	/** Hex sha-256 of the WebTransport certificate (served at `/certificate.sha256`), if any listener runs. */
	certificateSha256: string | undefined;
}

/**
 * A running relay. As an {@link InProcessRelay} it also admits sessions from this process over an
 * in-memory link (the studio's embedded relay and its own session, transport/in-process.ts).
 */
export interface RelayHandle extends InProcessRelay {
	/** Where clients connect, e.g. `http://127.0.0.1:4443/` (@moq/net maps http to ws). */
	readonly url: string;
	/** The bound port (the chosen one when 0 was asked). */
	readonly port: number;
	/** The bound host. */
	readonly host: string;
	/**
	 * The WebTransport listeners: HTTP/2 URL (when asked), HTTP/3 UDP port (when the addon is
	 * installed), why HTTP/3 is missing, and the certificate hash clients pin.
	 */
	readonly webTransport: RelayWebTransport;
	/** One line naming every listener and why one is missing, for the startup log and the CLI. */
	readonly listeners: string;
	/** A snapshot of counters and routes. */
	stats(): RelayStats;
	/** Closes every session, ends every route and frees the port. Idempotent. */
	close(): Promise<void>;
}

type AcceptSocket = Parameters<typeof Qmux.accept>[0];

/** A session's socket as the relay holds it: a WebSocket, or the relay's end of an in-process link. */
type RelaySocket = WebSocket | InProcessSocket;

/**
 * The peer address an in-process link is admitted as: it comes from this process, so from this
 * machine, and the anonymous loopback rule (auth.ts) applies to it as to a local socket.
 */
const IN_PROCESS_ADDRESS = "127.0.0.1";

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 503: "Service Unavailable" };

function refuse(socket: Duplex, status: number, message: string): void {
	const body = `${message}\n`;
	try {
		socket.end(
			`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
				`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
		);
	} catch {
		socket.destroy();
	}
}

function statusFor(err: StudioError): number {
	switch (err.codeName) {
		case "UNAUTHORIZED":
			return 401;
		case "FORBIDDEN":
			return 403;
		case "LIMIT":
			return 503;
		default:
			return 400;
	}
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const expired = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new StudioError("TIMEOUT", `${what} timed out after ${ms} ms`)), ms);
	});
	return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function formatHost(host: string): string {
	return host.includes(":") ? `[${host}]` : host;
}

class RelayServer implements RelayHandle {
	readonly url: string;
	readonly port: number;
	readonly host: string;
	#wt: WebTransportListeners | undefined;
	#webTransport: RelayWebTransport = { http2Url: undefined, http3Port: undefined, http3Missing: undefined, certificateSha256: undefined };
	#listeners: string;
	readonly #opts: ResolvedRelayOptions;
	readonly #http: Server;
	readonly #wss: WebSocketServer;
	readonly #router: Router;
	readonly #sockets = new Set<RelaySocket>();
	// The subprotocol chosen for each upgrade, read back by ws's handleProtocols.
	readonly #chosen = new WeakMap<IncomingMessage, string>();
	#pending = 0;
	#nextId = 1;
	#rejected = 0;
	#closing: Promise<void> | undefined;

	constructor(opts: ResolvedRelayOptions, http: Server, router: Router, wss: WebSocketServer) {
		this.#opts = opts;
		this.#http = http;
		this.#router = router;
		this.#wss = wss;
		this.host = opts.host;
		this.port = (http.address() as AddressInfo).port;
		this.url = `${opts.tls ? "https" : "http"}://${formatHost(opts.host === "0.0.0.0" || opts.host === "::" ? "127.0.0.1" : opts.host)}:${this.port}/`;
		http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
		this.#listeners = `${this.url} (websocket)`;
	}

	get webTransport(): RelayWebTransport {
		return { ...this.#webTransport, certificateSha256: this.#wt?.sha256() };
	}

	get listeners(): string {
		return this.#listeners;
	}

	/** Attaches the WebTransport listeners (started after the HTTP port is bound: HTTP/3 reuses its number). */
	attachWebTransport(wt: WebTransportListeners | undefined, http3Missing: string | undefined): void {
		this.#wt = wt;
		const host = formatHost(this.url.replace(/^https?:\/\/|:\d+\/$/g, ""));
		const info: RelayWebTransport = {
			http2Url: wt?.http2Port !== undefined ? `https://${host}:${wt.http2Port}/` : undefined,
			http3Port: wt?.http3Port,
			http3Missing: wt?.http3Missing ?? http3Missing,
			certificateSha256: wt?.sha256(),
		};
		const parts = [`${this.url} (websocket)`];
		if (info.http3Port !== undefined) parts.push(`udp ${info.http3Port} (webtransport http/3)`);
		if (info.http2Url) parts.push(`${info.http2Url} (webtransport http/2)`);
		if (info.http3Missing) parts.push(`no webtransport http/3: ${info.http3Missing}`);
		this.#webTransport = info;
		this.#listeners = parts.join("; ");
	}

	/** The current WebTransport certificate hash (it rotates), for `/certificate.sha256`. */
	certificateSha256(): string | undefined {
		return this.#wt?.sha256();
	}

	/**
	 * The HTTP status refusing a WebTransport request before its session exists (limits, tokens),
	 * so the client's `ready` fails as a WebSocket upgrade would with 401/403/503. Without a key
	 * the loopback rule needs the peer address, which the library gives only with the session:
	 * {@link acceptWebTransport} checks that one.
	 */
	refuseWebTransport(url: URL, kind: string): number | undefined {
		try {
			if (this.#closing) throw new StudioError("CLOSED", "relay is shutting down");
			if (this.#router.sessions.size + this.#pending >= this.#opts.limits.maxSessions) {
				throw new StudioError("LIMIT", `the relay is at its limit of ${this.#opts.limits.maxSessions} sessions`);
			}
			if (this.#opts.jwtKey) authorize(url, undefined, this.#opts.jwtKey);
			return undefined;
		} catch (err) {
			const e = StudioError.from(err, "PROTOCOL");
			this.#rejected++;
			this.#opts.log("info", `refused ${url.pathname} (${kind}): ${e.message}`);
			return statusFor(e);
		}
	}

	/** Admits a WebTransport session like a WebSocket upgrade: same limits, auth and routing. */
	acceptWebTransport(incoming: IncomingWebTransport): void {
		const { transport, url, remote } = incoming;
		try {
			if (this.#closing) throw new StudioError("CLOSED", "relay is shutting down");
			if (this.#router.sessions.size + this.#pending >= this.#opts.limits.maxSessions) {
				throw new StudioError("LIMIT", `the relay is at its limit of ${this.#opts.limits.maxSessions} sessions`);
			}
			const scope = authorize(url, remote, this.#opts.jwtKey);
			void this.#acceptTransport(transport, url, scope, remote, incoming.kind, () => {});
		} catch (err) {
			// fails-components does not expose the peer before the session exists, so refusals
			// arrive as a close code instead of an HTTP status.
			const e = StudioError.from(err, "PROTOCOL");
			this.#rejected++;
			this.#opts.log("info", `refused ${remote} ${url.pathname} (${incoming.kind}): ${e.message}`);
			transport.close({ closeCode: closeCodeFor(e.codeName), reason: e.message.slice(0, 200) });
		}
	}

	/** The subprotocol picked for an upgrade in progress (ws asks through handleProtocols). */
	chosenProtocol(req: IncomingMessage): string | false {
		return this.#chosen.get(req) ?? false;
	}

	stats(): RelayStats {
		const c = this.#router.counters;
		return {
			sessions: this.#router.sessions.size,
			broadcasts: this.#router.routeCount,
			upstreamSubscriptions: c.upstreamSubscriptions,
			frames: c.frames,
			bytes: c.bytes,
			groups: c.groups,
			readersCut: c.readersCut,
			rejected: this.#rejected,
			routes: this.#router.routes(),
		};
	}

	#onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
		// A peer resetting mid-upgrade must not become an uncaught 'error' event.
		socket.on("error", () => {});
		const log = this.#opts.log;
		const remote = (socket as Socket).remoteAddress;
		try {
			if (this.#closing) throw new StudioError("CLOSED", "relay is shutting down");
			const url = new URL(req.url ?? "/", `http://${this.host}`);
			if (this.#router.sessions.size + this.#pending >= this.#opts.limits.maxSessions) {
				throw new StudioError("LIMIT", `the relay is at its limit of ${this.#opts.limits.maxSessions} sessions`);
			}
			const scope = authorize(url, remote, this.#opts.jwtKey);
			const protocol = selectRelaySubprotocol(req.headers["sec-websocket-protocol"]);
			if (!protocol) throw new StudioError("PROTOCOL", "no supported MoQ/QMux WebSocket subprotocol offered");
			this.#chosen.set(req, protocol);
			this.#pending++;
			this.#wss.handleUpgrade(req, socket, head, (ws) => {
				this.#pending--;
				void this.#accept(ws, url, scope, remote ?? "?");
			});
		} catch (err) {
			const e = StudioError.from(err, "PROTOCOL");
			this.#rejected++;
			log("info", `refused ${remote ?? "?"} ${req.url ?? ""}: ${e.message}`.replace(/jwt=[^&\s]+/, "jwt=…"));
			refuse(socket, statusFor(e), e.message);
		}
	}

	/**
	 * Admits a session from this process over an in-memory link, exactly as {@link #onUpgrade}
	 * admits a WebSocket (closing, session limit, token and scope, subprotocol), and serves it the
	 * same way; only the socket differs. Refusals throw the error the client's upgrade would have
	 * ended with (websocket.ts): CONNECT once the relay is closing (as a refused TCP connection),
	 * UNAUTHORIZED / LIMIT / CONNECT (HTTP 400) with the relay's reason otherwise.
	 */
	connectInProcess(url: URL, subprotocols: readonly string[]): InProcessSocket {
		if (this.#closing) {
			throw describeSocketError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), `${url.hostname}:${url.port || 80}`);
		}
		// What the relay sees of an upgrade: the request's path and query, against its own host.
		const target = new URL(`${url.pathname}${url.search}`, `http://${this.host}`);
		let scope: Scope;
		let protocol: string | undefined;
		try {
			if (this.#router.sessions.size + this.#pending >= this.#opts.limits.maxSessions) {
				throw new StudioError("LIMIT", `the relay is at its limit of ${this.#opts.limits.maxSessions} sessions`);
			}
			scope = authorize(target, IN_PROCESS_ADDRESS, this.#opts.jwtKey);
			protocol = selectRelaySubprotocol(subprotocols.join(", "));
			if (!protocol) throw new StudioError("PROTOCOL", "no supported MoQ/QMux WebSocket subprotocol offered");
		} catch (err) {
			const e = StudioError.from(err, "PROTOCOL");
			this.#rejected++;
			this.#opts.log("info", `refused in-process ${target.pathname}${target.search}: ${e.message}`.replace(/jwt=[^&\s]+/, "jwt=…"));
			throw upgradeRefused(statusFor(e), e.message);
		}
		const { client, server } = createInProcessLink(this.url, protocol);
		void this.#accept(server, target, scope, "in-process", "in-process");
		return client;
	}

	async #accept(ws: RelaySocket, url: URL, scope: Scope, remote: string, kind = "websocket"): Promise<void> {
		this.#sockets.add(ws);
		ws.on("close", () => this.#sockets.delete(ws));
		ws.on("error", () => {});
		// A WebSocket without web streams (transport/socket-stream.ts); a link end is one already.
		const stream = "opened" in ws ? ws : socketStream(ws, this.#opts.sendBufferBytes);
		const transport = Qmux.accept(stream as unknown as AcceptSocket, {
			config: this.#opts.qmux,
			sendBufferSize: this.#opts.sendBufferBytes,
		});
		await this.#acceptTransport(transport, url, scope, remote, kind, () => setTimeout(() => ws.terminate(), 200).unref());
	}

	async #acceptTransport(transport: Qmux | WebTransport, url: URL, scope: Scope, remote: string, kind: string, dispose: () => void): Promise<void> {
		const id = this.#nextId++;
		try {
			// DESIGN §4: the QMux session must be ready before @moq/net reads its protocol.
			await timeout(transport.ready, this.#opts.handshakeTimeoutMs, `${kind} handshake`);
			const accept = () => Moq.Connection.accept(transport, url);
			const conn = await timeout(transport instanceof Qmux ? accept() : openWithoutPeerEndWait(accept), this.#opts.handshakeTimeoutMs, "MoQ SETUP");
			if (this.#closing) {
				conn.close();
				return;
			}
			const session = new RelaySession(id, remote, scope, transport, conn, this.#router);
			if (!session.alive) return;
			this.#opts.log("info", `session ${id} from ${remote} at /${scope.root} speaks ${session.version} over ${kind}`);
			this.#router.add(session);
		} catch (err) {
			this.#rejected++;
			const e = StudioError.from(err, "PROTOCOL");
			this.#opts.log("info", `session ${id} from ${remote} failed its handshake: ${e.message}`);
			try {
				transport.close({ closeCode: closeCodeFor(e.codeName), reason: e.message.slice(0, 200) });
			} catch {
				// Already closed.
			}
			dispose();
		}
	}

	close(): Promise<void> {
		this.#closing ??= this.#shutdown();
		return this.#closing;
	}

	async #shutdown(): Promise<void> {
		const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
		this.#router.closeAll();
		// Let the APPLICATION_CLOSE frames flush (QMux closes the socket 100 ms after queueing).
		if (this.#sockets.size > 0) await new Promise((resolve) => setTimeout(resolve, 150));
		for (const ws of this.#sockets) ws.terminate();
		await this.#wt?.close();
		this.#wss.close();
		this.#http.closeAllConnections();
		await timeout(closed, 2000, "relay close").catch(() => {});
		this.#opts.log("info", `relay on port ${this.port} closed`);
	}
}

function listen(http: Server, host: string, port: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const onError = (err: NodeJS.ErrnoException) => {
			http.off("listening", onListening);
			const where = `${formatHost(host)}:${port}`;
			if (err.code === "EADDRINUSE") reject(new StudioError("ALREADY_EXISTS", `${where} is already in use`, { cause: err }));
			else reject(new StudioError("IO", `cannot listen on ${where}: ${err.message}`, { cause: err }));
		};
		const onListening = () => {
			http.off("error", onError);
			resolve();
		};
		http.once("error", onError);
		http.once("listening", onListening);
		http.listen(port, host);
	});
}

/** The lowercase hex sha-256 of a PEM certificate's DER bytes: what clients pin. */
export function certificateSha256(pem: string | Buffer): string {
	return new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
}

/**
 * Starts a MoQ relay over WebSocket (QMux) on `host:port`.
 *
 * Guarantees: resolves once the port is bound and accepting; rejects with a StudioError for bad
 * options (INVALID_ARGUMENT), a non-loopback host without a key (FORBIDDEN), a taken port
 * (ALREADY_EXISTS) or another listen failure (IO). After it resolves nothing a client sends can
 * throw out of the relay: failures close the offending session with a code (close-codes.ts).
 * Every MoQ version `@moq/net` speaks is accepted (protocols.ts).
 */
export async function startRelay(options: RelayOptions = {}): Promise<RelayHandle> {
	const log = safeLog(options.log ?? silentLog);
	const opts = resolveOptions(options, log);
	assertSafeListen(opts.host, opts.jwtKey);
	const fingerprint = opts.tls ? certificateSha256(opts.tls.cert) : undefined;
	// Set once the relay exists: requests can arrive before (there is no certificate then).
	const current: { relay?: RelayServer } = {};
	const answer: RequestListener = (req, res) => {
		// Plain HTTP only identifies the server (and its certificate hash, like moq-relay);
		// MoQ arrives as a WebSocket upgrade.
		if (req.url === "/certificate.sha256") {
			// Browsers (<moq-publish>, <moq-watch>) fetch this cross-origin before trying
			// WebTransport: without CORS they log an error even when the answer is 404. The
			// WebTransport certificate wins: it is the one pinned with serverCertificateHashes.
			const hash = current.relay?.certificateSha256() ?? fingerprint;
			const headers = { "content-type": "text/plain; charset=utf-8", "access-control-allow-origin": "*", "cache-control": "no-store" };
			if (req.method === "OPTIONS") {
				res.writeHead(204, { ...headers, "access-control-allow-methods": "GET", "access-control-allow-headers": "*" });
				return void res.end();
			}
			res.writeHead(hash ? 200 : 404, headers);
			return void res.end(hash ?? "no certificate: this relay serves MoQ over WebSocket only\n");
		}
		res.writeHead(req.url === "/" ? 200 : 404, { "content-type": "text/plain; charset=utf-8" });
		res.end(req.url === "/" ? "moq-studio relay: connect with a MoQ client over WebSocket\n" : "not found\n");
	};
	const http: Server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, answer) : createServer(answer);
	// Garbage that is not HTTP closes that connection only.
	http.on("clientError", (_err, socket: Duplex) => socket.destroy());
	const wss = new WebSocketServer({
		noServer: true,
		// QMux records are at most ~16 KiB; refusing huge messages bounds what one frame can allocate.
		maxPayload: 1024 * 1024,
		perMessageDeflate: false,
		handleProtocols: (_offered, req) => chosen(req),
	});
	let chosen: (req: IncomingMessage) => string | false = () => false;
	await listen(http, opts.host, opts.port);
	const router = new Router({
		log,
		maxBroadcasts: opts.limits.maxBroadcasts,
		maxFrameBytes: opts.limits.maxFrameBytes,
		maxPathLength: opts.limits.maxPathLength,
		graceMs: opts.publisherGraceMs,
	});
	const relay = new RelayServer(opts, http, router, wss);
	current.relay = relay;
	chosen = (req) => relay.chosenProtocol(req);
	const { http3, http2Port, certificate } = opts.webTransport;
	if (http3 || http2Port !== undefined) {
		try {
			const wt = await listenWebTransport({
				host: opts.host,
				http2Port,
				http3Port: http3 ? relay.port : undefined,
				certificate,
				log,
				admit: (url, kind) => relay.refuseWebTransport(url, kind),
				onSession: (incoming) => relay.acceptWebTransport(incoming),
			});
			relay.attachWebTransport(wt, undefined);
		} catch (err) {
			// WebTransport is an extra: a failure to start it leaves the WebSocket relay running.
			const e = StudioError.from(err, "IO");
			log("warn", `WebTransport listeners failed to start: ${e.message}`);
			relay.attachWebTransport(undefined, http3 ? `HTTP/3 unavailable: ${e.message}` : undefined);
		}
	}
	log("info", `relay listening on ${relay.listeners}`);
	return relay;
}

/**
 * Starts the relay on `options.port` (default 4443) and, if that port is taken, on a free port
 * instead. Other failures propagate. Used by the studio's embedded relay.
 */
export async function startRelayWithFallback(options: RelayOptions = {}): Promise<RelayHandle> {
	try {
		return await startRelay(options);
	} catch (err) {
		if (err instanceof StudioError && err.codeName === "ALREADY_EXISTS" && options.port !== 0) {
			return startRelay({ ...options, port: 0 });
		}
		throw err;
	}
}
