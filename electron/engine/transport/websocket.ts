/**
 * Opens the WebSocket a MoQ session rides on (QMux), so the engine controls what `@moq/net`
 * would otherwise hide: the subprotocol offer (version forcing), certificate pinning, byte
 * counters, keepalive pings and readable errors.
 */
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { WebSocket } from "ws";
import { StudioError } from "../../../shared/errors";
import { describeSocketError, upgradeRefused } from "./socket-errors";

export { describeSocketError } from "./socket-errors";


// moq-transport-18 and -20 are pinned to qmux-01 by @moq/net; the rest ride any QMux draft.
const PINNED_QMUX: Record<string, string[]> = { "moqt-20": ["qmux-01"], "moqt-18": ["qmux-01"] };
const QMUX_VERSIONS = ["qmux-02", "qmux-01", "qmux-00"];

/** The `Sec-WebSocket-Protocol` offer for `protocols`, each paired with the QMux drafts it may use. */
export function subprotocolOffer(protocols: readonly string[]): string[] {
	return protocols.flatMap((p) => (PINNED_QMUX[p] ?? QMUX_VERSIONS).map((v) => `${v}.${p}`));
}

/** Byte counters of one socket, updated as data moves. */
export interface SocketCounters {
	bytesIn: number;
	bytesOut: number;
	/** `Date.now()` of the last byte or pong received. */
	lastActivity: number;
	/**
	 * The ping awaiting its pong: when it was sent and `bytesOut` then. A pong comes back behind
	 * every byte sent before its ping (one ordered stream), so it proves those bytes arrived.
	 */
	pinged?: { at: number; bytesOut: number };
	/** What the latest pong proved: `bytesOut` that had reached the peer, when, and the ping's round trip. */
	delivered?: { bytes: number; at: number; rttMs: number };
}

/** Options for {@link openWebSocket}. */
export interface OpenWebSocketOptions {
	protocols: readonly string[];
	/** Lowercase hex sha-256 of the server certificate; the TLS handshake fails unless it matches. */
	certificateSha256?: string;
	timeoutMs: number;
	signal?: AbortSignal;
}

/** A socket being opened: adopt it synchronously, then await `opened`. */
export interface OpeningWebSocket {
	socket: WebSocket;
	counters: SocketCounters;
	/**
	 * Resolves once the upgrade succeeded. Failures become StudioErrors in plain words: CONNECT
	 * (refused, unreachable, HTTP error), UNAUTHORIZED (401/403), CERTIFICATE (pin mismatch),
	 * TIMEOUT, CLOSED (aborted).
	 */
	opened: Promise<void>;
}

/**
 * Starts connecting. The caller must attach its protocol handler to `socket` synchronously:
 * the server's first message can arrive in the same tick as `open`, before any promise
 * continuation runs, and QMux must see that first frame (its transport parameters).
 */
export function openWebSocket(url: URL, options: OpenWebSocketOptions): OpeningWebSocket {
	const pin = options.certificateSha256;
	if (pin && url.protocol !== "wss:") {
		throw new StudioError("CERTIFICATE", "a certificate pin needs a TLS relay (https://); this URL is not encrypted");
	}
	const counters: SocketCounters = { bytesIn: 0, bytesOut: 0, lastActivity: Date.now() };
	const where = `${url.hostname}:${url.port || (url.protocol === "wss:" ? 443 : 80)}`;
	const socket = new WebSocket(url, subprotocolOffer(options.protocols), {
		handshakeTimeout: options.timeoutMs,
		perMessageDeflate: false,
		...(pin ? { createConnection: pinnedTls(pin) as never } : {}),
		...(isLoopbackHost(url.hostname) ? { generateMask: zeroMask } : {}),
	});
	socket.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
		counters.bytesIn += byteLength(data);
		counters.lastActivity = Date.now();
	});
	socket.on("pong", () => {
		const now = Date.now();
		counters.lastActivity = now;
		const pinged = counters.pinged;
		counters.pinged = undefined;
		if (pinged) counters.delivered = { bytes: pinged.bytesOut, at: now, rttMs: now - pinged.at };
	});
	const ping = socket.ping.bind(socket);
	socket.ping = (...args: Parameters<WebSocket["ping"]>) => {
		// One measured ping at a time: a pong answers the oldest ping outstanding.
		counters.pinged ??= { at: Date.now(), bytesOut: counters.bytesOut };
		ping(...args);
	};
	const send = socket.send.bind(socket) as (data: unknown, ...rest: unknown[]) => void;
	(socket as unknown as { send: typeof send }).send = (data: unknown, ...rest: unknown[]) => {
		counters.bytesOut += byteLength(data);
		send(data, ...rest);
	};

	const opened = new Promise<void>((resolve, reject) => {
		let settled = false;
		const fail = (err: StudioError) => {
			if (settled) return;
			settled = true;
			socket.removeAllListeners("open");
			socket.terminate();
			reject(err);
		};
		const onAbort = () => fail(new StudioError("CLOSED", "connection attempt cancelled"));
		options.signal?.addEventListener("abort", onAbort, { once: true });

		socket.once("unexpected-response", (_req, res) => {
			const status = res.statusCode ?? 0;
			let body = "";
			res.on("data", (c: Buffer) => (body += c.toString().slice(0, 300)));
			res.on("end", () => fail(upgradeRefused(status, body)));
			res.on("error", () => fail(new StudioError("CONNECT", `the relay answered HTTP ${status}`)));
		});
		socket.once("error", (err: NodeJS.ErrnoException) => fail(describeSocketError(err, where)));
		socket.once("open", () => {
			settled = true;
			counters.lastActivity = Date.now();
			options.signal?.removeEventListener("abort", onAbort);
			resolve();
		});
	});
	return { socket, counters, opened };
}

/**
 * A zero WebSocket mask, for connections to this machine only. RFC 6455 masks client frames so
 * that bytes a script chose cannot pass for another protocol to a proxy between a browser and
 * the server; a loopback connection has no such intermediary. With a zero mask `ws` sends the
 * payload as it is instead of copying it through a JavaScript XOR loop, and the relay's `ws`
 * skips unmasking it: both were a tenth of the relay's time carrying one fast stream
 * (bench/relay-throughput.ts). Remote relays keep `ws`'s random masks.
 */
function zeroMask(mask: Buffer): void {
	mask.fill(0);
}

/** True for a URL host that is this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(hostname: string): boolean {
	const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
	return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function byteLength(data: unknown): number {
	if (Array.isArray(data)) return data.reduce((n: number, b: Buffer) => n + b.byteLength, 0);
	if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
	if (typeof data === "string") return Buffer.byteLength(data);
	return 0;
}

/**
 * A `createConnection` for https that accepts a self-signed certificate only when its sha-256
 * matches the pin, and hands the socket over (so the request, token included, is written) only
 * after that check: a pinned connection never leaks the token to an impostor.
 */
function pinnedTls(pin: string) {
	return (opts: ConnectionOptions, callback: (err: Error | null, socket?: TLSSocket) => void) => {
		const socket = tlsConnect({ ...opts, rejectUnauthorized: false });
		socket.once("secureConnect", () => {
			const fingerprint = socket.getPeerCertificate().fingerprint256?.replace(/:/g, "").toLowerCase();
			if (fingerprint === pin) return callback(null, socket);
			socket.destroy();
			callback(new StudioError("CERTIFICATE", "the relay's certificate does not match the pinned sha-256"));
		});
		socket.once("error", (err) => callback(err));
		return undefined;
	};
}
