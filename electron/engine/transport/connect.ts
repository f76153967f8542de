/**
 * One MoQ connection attempt over WebTransport (HTTP/3 when the quiche addon is present, HTTP/2
 * otherwise, through `@fails-components/webtransport` and transport/webtransport.ts) or
 * WebSocket (QMux). Returns the established `@moq/net` session with the engine's own counters.
 */
import { EventEmitter } from "node:events";
import Qmux from "@moq/qmux";
import * as Moq from "@moq/net";
import { StudioError } from "../../../shared/errors";
import { QMUX_WINDOWS } from "./qmux-config";
import { CLIENT_ALPNS } from "./alpn";
import { type InProcessRelay, servesUrl } from "./in-process";
import { openWithoutPeerEndWait } from "./moq-net-delivery";
import { socketStream } from "./socket-stream";
import { openWebSocket, type OpeningWebSocket, subprotocolOffer, type SocketCounters } from "./websocket";
import { webSocketUrl } from "./url";
import { adaptSession, certificateHash, loadWebTransport, type TransportKind } from "./webtransport";
// Installs the @moq/net workarounds (leaks, track ends, stream slots) before any connection exists.
import "./moq-net-workarounds";

/**
 * Which transport a session asks for. `auto` tries WebTransport first when it can (the quiche
 * addon is installed, or a `webTransportUrl` is given) and falls back to WebSocket; the other two
 * force one.
 */
export type TransportChoice = "auto" | "websocket" | "webtransport";

export type { TransportKind } from "./webtransport";


/** Options for {@link openMoqConnection}. */
export interface MoqConnectOptions {
	transport: TransportChoice;
	certificateSha256?: string;
	/**
	 * Where the relay's WebTransport listener is when it is not at `url`'s port number over UDP
	 * (HTTP/3), e.g. the relay's HTTP/2 WebTransport listener (`https://host:port/`).
	 */
	webTransportUrl?: URL;
	/** Where to say, once per process, that HTTP/3 is unavailable when WebTransport was wanted. */
	log?: (message: string) => void;
	/** Restrict the offer to these application protocols (e.g. `["moqt-17"]`); default all. */
	protocols?: readonly string[];
	timeoutMs: number;
	signal?: AbortSignal;
	/**
	 * A relay running in this process (the studio's embedded relay). A session to exactly its URL
	 * (host and port, transport/in-process.ts `servesUrl`) that would ride WebSocket takes an
	 * in-memory link to it instead: `websocket`, or `auto` without a `webTransportUrl` (so it
	 * also skips the HTTP/3 attempt). Everything else, a certificate pin included, is unchanged.
	 */
	inProcess?: InProcessRelay;
}

/** An established connection and what the engine measures of it. */
export interface MoqConnection {
	established: Moq.Connection.Established;
	transport: "websocket" | "webtransport";
	/** Which exact transport carries it. */
	kind: TransportKind;
	/** The negotiated MoQ version, e.g. `moq-lite-05`. */
	version: string;
	counters: SocketCounters;
	/** The raw socket (or a stand-in), for keepalive pings and buffered-amount (congestion) readings. */
	socket: ConnectionSocket;
	close(): void;
}

/** What the session loop needs of the connection's socket (a `ws` WebSocket satisfies it). */
export interface ConnectionSocket {
	/** Asks the peer for a sign of life; activity shows in `counters.lastActivity`. */
	ping(): void;
	/** Bytes queued but not yet sent. */
	readonly bufferedAmount: number;
	readonly readyState: number;
	readonly CLOSED: number;
	once(event: "close", listener: (code: number) => void): unknown;
	off(event: "close", listener: (code: number) => void): unknown;
}

let http3Reported = false;

/** The client's send buffer (QMux's default `sendBufferSize`): writes past it wait for the socket. */
const CLIENT_SEND_BUFFER_BYTES = 64 * 1024;

/** How long `auto` gives WebTransport before falling back to WebSocket. */
const AUTO_WEBTRANSPORT_TIMEOUT_MS = 3000;

/**
 * Whether HTTP/3 WebTransport can be used (the quiche addon loaded). Logs nothing itself: the
 * first caller that needs HTTP/3 gets {@link http3UnavailableOnce}.
 */
export async function webTransportAvailable(): Promise<boolean> {
	try {
		return (await loadWebTransport()).http3;
	} catch {
		return false;
	}
}

/** "HTTP/3 unavailable: install …" the first time it is asked in this process, then undefined. */
export async function http3UnavailableOnce(): Promise<string | undefined> {
	const lib = await loadWebTransport().catch(() => undefined);
	if (lib?.http3 || http3Reported) return undefined;
	http3Reported = true;
	return lib?.http3Missing ?? "HTTP/3 unavailable: @fails-components/webtransport did not load";
}

/** Connects once; rejects with a StudioError whose message names the real cause. */
export async function openMoqConnection(url: URL, options: MoqConnectOptions): Promise<MoqConnection> {
	const relay = options.inProcess;
	if (relay && !options.certificateSha256 && servesUrl(relay, url) && (options.transport === "websocket" || (options.transport === "auto" && !options.webTransportUrl))) {
		return openInProcessConnection(url, relay, options);
	}
	if (options.transport === "websocket") return openWebSocketConnection(url, options);
	const http3 = await webTransportAvailable();
	if (!http3 && options.log) {
		const missing = await http3UnavailableOnce();
		if (missing) options.log(missing);
	}
	const canTry = http3 || options.webTransportUrl !== undefined;
	if (options.transport === "webtransport") {
		if (!canTry) {
			throw new StudioError(
				"UNSUPPORTED",
				`${(await loadWebTransport().catch(() => undefined))?.http3Missing ?? "HTTP/3 unavailable"}; give the relay's HTTP/2 WebTransport URL or use WebSocket`,
			);
		}
		return openWebTransportConnection(url, http3, options);
	}
	if (!canTry) return openWebSocketConnection(url, options);
	try {
		// In `auto` a WebTransport path that hangs (UDP filtered) must not hold the session for
		// the whole connect timeout before WebSocket is tried.
		return await openWebTransportConnection(url, http3, { ...options, timeoutMs: Math.min(options.timeoutMs, AUTO_WEBTRANSPORT_TIMEOUT_MS) });
	} catch (err) {
		// A refused token or a wrong pin would fail over WebSocket too: do not hide it.
		const e = StudioError.from(err, "CONNECT");
		if (e.codeName === "UNAUTHORIZED" || e.codeName === "FORBIDDEN" || options.signal?.aborted) throw e;
		return openWebSocketConnection(url, options);
	}
}

/** The `/certificate.sha256` the relay serves over plain HTTP (same host and port as `url`). */
async function fetchCertificateHash(url: URL, timeoutMs: number): Promise<string | undefined> {
	const at = new URL("/certificate.sha256", url);
	if (at.protocol === "ws:") at.protocol = "http:";
	if (at.protocol === "wss:") at.protocol = "https:";
	try {
		const res = await fetch(at, { signal: AbortSignal.timeout(timeoutMs) });
		if (!res.ok) return undefined;
		const text = (await res.text()).trim().toLowerCase();
		return /^[0-9a-f]{64}$/.test(text) ? text : undefined;
	} catch {
		return undefined;
	}
}

/** A stand-in socket for a WebTransport session: closes when the session does. */
class WebTransportSocket extends EventEmitter implements ConnectionSocket {
	readonly CLOSED = 3;
	readyState = 1;
	readonly bufferedAmount = 0;
	readonly #counters: SocketCounters;
	constructor(closed: Promise<unknown>, counters: SocketCounters) {
		super();
		this.#counters = counters;
		void closed.finally(() => {
			this.readyState = this.CLOSED;
			this.emit("close", 1000);
		});
	}
	/**
	 * WebTransport has no application ping; the HTTP/2 (or QUIC) layer below keeps its own and
	 * ends the session when the peer is gone, which closes this socket. So a ping only confirms
	 * the session is still open.
	 */
	ping(): void {
		if (this.readyState === this.CLOSED) throw new StudioError("CLOSED", "the WebTransport session is closed");
		this.#counters.lastActivity = Date.now();
	}
}

async function openWebTransportConnection(url: URL, http3: boolean, options: MoqConnectOptions): Promise<MoqConnection> {
	const lib = await loadWebTransport();
	const target = new URL(options.webTransportUrl ?? url);
	// WebTransport URLs are https: the relay's http:// address names the same host and port (UDP).
	if (!options.webTransportUrl) target.protocol = "https:";
	target.pathname = url.pathname;
	target.search = url.search;
	const pin = options.certificateSha256 ?? (await fetchCertificateHash(url, options.timeoutMs));
	const kind: TransportKind = http3 && !options.webTransportUrl ? "webtransport-h3" : "webtransport-h2";
	const where = `${target.hostname}:${target.port || 443}`;
	let session: ReturnType<typeof adaptSession> | undefined;
	try {
		const raw = new lib.WebTransport(target.toString(), {
			// HTTP/2 unless the addon is there and the relay's UDP listener is the target.
			forceReliable: kind === "webtransport-h2",
			...(pin ? { serverCertificateHashes: [certificateHash(pin)] } : {}),
			protocols: [...(options.protocols ?? CLIENT_ALPNS)],
		});
		session = adaptSession(raw);
		await withTimeout(session.ready, options.timeoutMs, `the WebTransport handshake with ${where}`);
		const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs);
		const established = await openWithoutPeerEndWait(() => Moq.Connection.connect(target, { transport: session, signal }));
		const counters: SocketCounters = { bytesIn: 0, bytesOut: 0, lastActivity: Date.now() };
		const socket = new WebTransportSocket(session.closed, counters);
		const opened = session;
		return {
			established,
			transport: "webtransport",
			kind,
			version: established.version,
			counters,
			socket,
			close: () => {
				established.close();
				opened.close();
			},
		};
	} catch (err) {
		session?.close();
		if (err instanceof StudioError) throw err;
		const message = err instanceof Error ? err.message : String(err);
		if (/certificate|hash/i.test(message)) throw new StudioError("CERTIFICATE", `WebTransport to ${where}: ${message}`, { cause: err });
		throw new StudioError("CONNECT", `WebTransport to ${where} failed: ${message}`, { cause: err });
	}
}

function openWebSocketConnection(url: URL, options: MoqConnectOptions): Promise<MoqConnection> {
	const opening = openWebSocket(webSocketUrl(url), {
		protocols: options.protocols ?? CLIENT_ALPNS,
		certificateSha256: options.certificateSha256,
		timeoutMs: options.timeoutMs,
		signal: options.signal,
	});
	// QMux over the socket without web streams (socket-stream.ts); adopted while still connecting.
	const stream = socketStream(opening.socket, CLIENT_SEND_BUFFER_BYTES);
	return openQmuxConnection(url, { ...opening, stream }, "websocket", options);
}

/**
 * The same session as {@link openWebSocketConnection}, over an in-memory link to a relay in this
 * process: admitted (or refused, with the same errors) by the relay as an upgrade would be.
 */
function openInProcessConnection(url: URL, relay: InProcessRelay, options: MoqConnectOptions): Promise<MoqConnection> {
	if (options.signal?.aborted) return Promise.reject(new StudioError("CLOSED", "connection attempt cancelled"));
	const socket = relay.connectInProcess(url, subprotocolOffer(options.protocols ?? CLIENT_ALPNS));
	return openQmuxConnection(url, { socket, stream: socket, counters: socket.counters, opened: socket.opened.then(() => undefined) }, "in-process", options);
}

/** QMux, then MoQ SETUP, over a socket being opened (adopted at once: see openWebSocket). */
async function openQmuxConnection(
	url: URL,
	{ socket, stream, counters, opened }: Pick<OpeningWebSocket, "opened" | "counters"> & { socket: ConnectionSocket & { terminate(): void }; stream: object },
	kind: "websocket" | "in-process",
	options: MoqConnectOptions,
): Promise<MoqConnection> {
	// Adopted while still connecting, so QMux sees the server's first frame (see openWebSocket).
	const quic = new Qmux(stream as unknown as ConstructorParameters<typeof Qmux>[0], { config: { ...QMUX_WINDOWS } });
	try {
		await opened;
		await withTimeout(quic.ready, options.timeoutMs, "the QMux handshake");
		const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs);
		const established = await Moq.Connection.connect(url, { transport: quic, signal });
		return {
			established,
			transport: "websocket",
			kind,
			version: established.version,
			counters,
			socket,
			close: () => {
				established.close();
				socket.terminate();
			},
		};
	} catch (err) {
		quic.close();
		socket.terminate();
		if (err instanceof StudioError) throw err;
		if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
			throw new StudioError(err.name === "TimeoutError" ? "TIMEOUT" : "CLOSED", `the MoQ handshake with ${url.host} did not complete`, { cause: err });
		}
		throw new StudioError("PROTOCOL", `the MoQ handshake with ${url.host} failed: ${StudioError.from(err).message}`, { cause: err });
	}
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	return Promise.race([
		promise,
		new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new StudioError("TIMEOUT", `${what} timed out after ${ms} ms`)), ms);
		}),
	]).finally(() => clearTimeout(timer));
}
