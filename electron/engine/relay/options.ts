/**
 * Relay configuration: limits, timeouts and QMux tuning, with the defaults the studio uses.
 */
import type { Config as QmuxConfig } from "@moq/qmux";
import { QMUX_WINDOWS } from "../transport/qmux-config";
import { StudioError } from "../../../shared/errors";
import type { RelayLog } from "./log";

/** Hard limits that protect the relay from one client; exceeding one closes that client only. */
export interface RelayLimits {
	/** Concurrent sessions (including handshakes in progress); more are refused with HTTP 503. */
	maxSessions: number;
	/** Broadcasts routed at once across all publishers; a session announcing more is closed (LIMIT). */
	maxBroadcasts: number;
	/** Largest frame payload in bytes the relay forwards; a publisher sending more is closed (LIMIT). */
	maxFrameBytes: number;
	/** Longest broadcast path in UTF-8 bytes, root included; longer announcements close the session. */
	maxPathLength: number;
}

/** Defaults sized for a desktop studio: generous for media, small enough to bound memory. */
export const DEFAULT_LIMITS: Readonly<RelayLimits> = {
	maxSessions: 256,
	maxBroadcasts: 1024,
	maxFrameBytes: 8 * 1024 * 1024,
	maxPathLength: 1024,
};

/** QMux receive windows the relay advertises: the studio's own (transport/qmux-config.ts). */
export const DEFAULT_QMUX_CONFIG: Readonly<QmuxConfig> = QMUX_WINDOWS;

/** Send-buffer high-water mark (bytes) per session: more than one video frame so writes batch. */
export const DEFAULT_SEND_BUFFER_BYTES = 1024 * 1024;

/** Options for {@link startRelay}. */
export interface RelayOptions {
	/** Address to bind; default `127.0.0.1`. Non-loopback addresses require `jwtKey`. */
	host?: string;
	/** Port to bind; default 4443. 0 picks a free port. */
	port?: number;
	/** HMAC secret for `?jwt=` tokens (see `loadJwtKey`). Without it only loopback clients are served, anonymously. */
	jwtKey?: Uint8Array;
	/** Overrides for {@link DEFAULT_LIMITS}. */
	limits?: Partial<RelayLimits>;
	/** Where log lines go; default silent. */
	log?: RelayLog;
	/**
	 * How long a route survives its publisher's session dropping, waiting for a reconnect under the
	 * same path to take it over (subscribers keep their subscriptions). Default 5000 ms; an
	 * explicit unannounce ends the route at once.
	 */
	publisherGraceMs?: number;
	/** Time allowed for the WebSocket/QMux/SETUP handshake; default 10000 ms. */
	handshakeTimeoutMs?: number;
	/** QMux windows; `undefined` uses {@link DEFAULT_QMUX_CONFIG}, `{}` the library defaults. */
	qmux?: QmuxConfig;
	/** Send-buffer high-water mark per session; default {@link DEFAULT_SEND_BUFFER_BYTES}. */
	sendBufferBytes?: number;
	/**
	 * Serve over TLS (wss://) with this PEM certificate and key; clients reach it as `https://`.
	 * The certificate's sha-256 is served at `/certificate.sha256`, as moq-relay does, for pinning.
	 */
	tls?: { cert: string | Buffer; key: string | Buffer };
	/**
	 * WebTransport listeners (relay/webtransport.ts). `http3` (default true) listens on UDP at the
	 * WebSocket listener's port number when the quiche addon is installed, and logs why not
	 * otherwise. `http2` (default off) listens on TCP at that port (0: a free one), for testing and
	 * UDP-less networks. Their self-signed certificate's sha-256 is served at `/certificate.sha256`.
	 * `certificate` shortens its validity (default 14 days) and renewal point (default a day
	 * before expiry), for tests of the rotation.
	 */
	webTransport?: { http3?: boolean; http2?: boolean | { port: number }; certificate?: { validityMs?: number; renewBeforeMs?: number } };
}

/** Options with every default filled in. */
export interface ResolvedRelayOptions {
	host: string;
	port: number;
	jwtKey: Uint8Array | undefined;
	limits: RelayLimits;
	log: RelayLog;
	publisherGraceMs: number;
	handshakeTimeoutMs: number;
	qmux: QmuxConfig;
	sendBufferBytes: number;
	tls: { cert: string | Buffer; key: string | Buffer } | undefined;
	webTransport: { http3: boolean; http2Port: number | undefined; certificate: { validityMs?: number; renewBeforeMs?: number } | undefined };
}

function positiveInt(name: string, value: number): number {
	if (!Number.isInteger(value) || value <= 0) {
		throw new StudioError("INVALID_ARGUMENT", `relay option ${name} must be a positive integer, got ${value}`);
	}
	return value;
}

/** Fills defaults and validates; throws INVALID_ARGUMENT naming the bad option. */
export function resolveOptions(opts: RelayOptions, log: RelayLog): ResolvedRelayOptions {
	const port = opts.port ?? 4443;
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		throw new StudioError("INVALID_ARGUMENT", `relay port must be 0-65535, got ${port}`);
	}
	if (opts.jwtKey !== undefined && opts.jwtKey.byteLength === 0) {
		throw new StudioError("INVALID_ARGUMENT", "the relay's JWT key is empty");
	}
	const merged = { ...DEFAULT_LIMITS, ...opts.limits };
	const limits: RelayLimits = {
		maxSessions: positiveInt("maxSessions", merged.maxSessions),
		maxBroadcasts: positiveInt("maxBroadcasts", merged.maxBroadcasts),
		maxFrameBytes: positiveInt("maxFrameBytes", merged.maxFrameBytes),
		maxPathLength: positiveInt("maxPathLength", merged.maxPathLength),
	};
	return {
		host: opts.host ?? "127.0.0.1",
		port,
		jwtKey: opts.jwtKey,
		limits,
		log,
		publisherGraceMs: Math.max(0, opts.publisherGraceMs ?? 5000),
		handshakeTimeoutMs: positiveInt("handshakeTimeoutMs", opts.handshakeTimeoutMs ?? 10_000),
		qmux: opts.qmux ?? { ...DEFAULT_QMUX_CONFIG },
		sendBufferBytes: positiveInt("sendBufferBytes", opts.sendBufferBytes ?? DEFAULT_SEND_BUFFER_BYTES),
		tls: opts.tls,
		webTransport: {
			http3: opts.webTransport?.http3 ?? true,
			http2Port: webTransportPort(opts.webTransport?.http2),
			certificate: opts.webTransport?.certificate,
		},
	};
}

function webTransportPort(http2: boolean | { port: number } | undefined): number | undefined {
	if (http2 === undefined || http2 === false) return undefined;
	const port = http2 === true ? 0 : http2.port;
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		throw new StudioError("INVALID_ARGUMENT", `relay WebTransport HTTP/2 port must be 0-65535, got ${port}`);
	}
	return port;
}
