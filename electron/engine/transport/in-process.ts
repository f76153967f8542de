/**
 * An in-memory link between the engine's MoQ session and a relay running in the same process
 * (the studio's embedded relay), in place of a loopback WebSocket.
 *
 * Over a WebSocket every QMux record the engine sends to its own relay is framed and masked by
 * `ws`, copied into the kernel, woken up for by the event loop's next poll, unmasked, copied again
 * into an ArrayBuffer and pushed through web streams on both sides: two socket hops' worth of
 * work and at least one event-loop turn on the Go Live latency path (bench/golive-latency.ts).
 * Here a record written on one end is handed, the same bytes, to the other end's reader, which
 * runs as a promise continuation of the write.
 *
 * Everything above the socket is unchanged: both ends still run QMux (flow control, close codes
 * in APPLICATION_CLOSE / CONNECTION_CLOSE, the same transport parameters) and the relay admits the
 * link exactly as a WebSocket upgrade (limits, token and scope, subprotocol choice,
 * relay/server.ts `connectInProcess`). Each end behaves as a `ws` socket does where the engine and
 * the relay look: `readyState`, `bufferedAmount`, `ping()` answered by a `pong`, `close` events
 * with WebSocket codes (1005 after a closing handshake without a code, 1006 after `terminate()`,
 * on both ends), messages after a close dropped, and what was sent before a close or a terminate
 * delivered first.
 *
 * Each end is handed to `@moq/qmux` as a `WebSocketStream` (the shape it accepts besides a
 * WebSocket), with plain objects for its reader and writer instead of web streams: QMux only
 * calls `read()` on the one and `ready` / `write()` / `desiredSize` on the other.
 */
import { EventEmitter } from "node:events";
import type { SocketCounters } from "./websocket";

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** A WebSocket close without a status code ("no status received"), as `ws` reports it. */
export const CLOSE_NO_STATUS = 1005;
/** A WebSocket that ended without a closing handshake (`terminate()`), as `ws` reports it. */
export const CLOSE_ABNORMAL = 1006;

type ReadResult = { done: false; value: Uint8Array } | { done: true; value: undefined };

const RESOLVED: Promise<void> = Promise.resolve();
const DONE: ReadResult = { done: true, value: undefined };

/** What `@moq/qmux` reads off an opened `WebSocketStream` (see the module comment). */
interface OpenedLink {
	readable: { getReader(): { read(): Promise<ReadResult>; releaseLock(): void; cancel(): Promise<void> } };
	writable: { getWriter(): { readonly ready: Promise<void>; readonly desiredSize: number | null; write(chunk: Uint8Array): Promise<void> } };
	extensions: string;
	protocol: string;
}

/** How one end of the link closed: the WebSocket close code and reason both ends see. */
export interface InProcessClose {
	closeCode: number;
	reason: string;
}

/**
 * One end of an in-process link. Hand it to `@moq/qmux` (`new Qmux(end)` / `Qmux.accept(end)`)
 * as a `WebSocketStream`; the engine reads it as its connection's socket (ping, buffered amount,
 * close events) and the relay terminates it as it would a WebSocket.
 */
export class InProcessSocket extends EventEmitter {
	readonly CLOSED = CLOSED;
	/** Where it leads, for QMux (which only keeps it). */
	readonly url: string;
	/** The negotiated `Sec-WebSocket-Protocol` value (QMux draft + MoQ ALPN). */
	readonly protocol: string;
	/** Bytes and activity seen on this end, like `openWebSocket`'s counters. */
	readonly counters: SocketCounters = { bytesIn: 0, bytesOut: 0, lastActivity: Date.now() };
	/**
	 * Resolves once both ends are open (a turn after the link is made, like a socket's `open`);
	 * rejects if the link closed before that.
	 */
	readonly opened: Promise<OpenedLink>;
	/** Resolves with the close code and reason once this end has closed; never rejects. */
	readonly closed: Promise<InProcessClose>;
	#state = CONNECTING;
	#peer: InProcessSocket | undefined;
	/** Messages the peer sent that this end's reader has not taken yet. */
	#inbox: Uint8Array[] = [];
	#inboxHead = 0;
	#inboxBytes = 0;
	/** The reader's pending `read()`, when the inbox was empty. */
	#waiting: ((result: ReadResult) => void) | undefined;
	/** Set once the peer will send nothing more: the reader ends after the inbox. */
	#ended = false;
	#resolveOpened!: (link: OpenedLink) => void;
	#rejectOpened!: (err: Error) => void;
	#resolveClosed!: (info: InProcessClose) => void;
	#closeInfo: InProcessClose | undefined;

	/** @internal Made in pairs by {@link createInProcessLink}. */
	constructor(url: string, protocol: string) {
		super();
		this.url = url;
		this.protocol = protocol;
		this.opened = new Promise((resolve, reject) => {
			this.#resolveOpened = resolve;
			this.#rejectOpened = reject;
		});
		this.opened.catch(() => {});
		this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
	}

	/** `ws`'s ready states: 0 connecting, 1 open, 2 closing, 3 closed. */
	get readyState(): number {
		return this.#state;
	}

	/**
	 * Bytes sent from this end that the peer has not read yet: what a socket would still hold.
	 * Drains (sessions/drain.ts) wait for it to reach what was handed over.
	 */
	get bufferedAmount(): number {
		const peer = this.#peer;
		return peer ? peer.#inboxBytes : 0;
	}

	/**
	 * The peer answers with a `pong` event, a turn later, while the link is open; like `ws`, a
	 * closed end ignores it. As on the engine's WebSocket (websocket.ts), the first ping
	 * outstanding is measured: its pong comes after every byte sent before it, so it sets
	 * `counters.delivered` (those bytes reached the relay) and the round trip.
	 */
	ping(): void {
		if (this.#state === CONNECTING) throw new Error("WebSocket is not open: readyState 0 (CONNECTING)");
		const peer = this.#peer;
		if (this.#state !== OPEN || !peer || peer.#state !== OPEN) return;
		const counters = this.counters;
		counters.pinged ??= { at: Date.now(), bytesOut: counters.bytesOut };
		setImmediate(() => {
			if (this.#state !== OPEN) return;
			const now = Date.now();
			counters.lastActivity = now;
			const pinged = counters.pinged;
			counters.pinged = undefined;
			if (pinged) counters.delivered = { bytes: pinged.bytesOut, at: now, rttMs: now - pinged.at };
			this.emit("pong");
		});
	}

	/**
	 * Closes with a closing handshake (QMux calls this 100 ms after queueing its own close frame):
	 * what was sent reaches the peer first, then both ends close with `closeCode` (1005 without one).
	 */
	close(info?: { closeCode?: number; reason?: string }): void {
		if (this.#state >= CLOSING) return;
		const code = info?.closeCode === 1000 || (info?.closeCode !== undefined && info.closeCode >= 3000 && info.closeCode <= 4999) ? info.closeCode : CLOSE_NO_STATUS;
		this.#shutdown({ closeCode: code, reason: code === CLOSE_NO_STATUS ? "" : (info?.reason ?? "") });
	}

	/** Drops the link at once, like `ws`'s `terminate()`: both ends close with 1006. What was sent is still read. */
	terminate(): void {
		if (this.#state === CLOSED) return;
		this.#shutdown({ closeCode: CLOSE_ABNORMAL, reason: "" });
	}

	/** @internal Joins two ends; {@link createInProcessLink} opens them a turn later. */
	static pair(a: InProcessSocket, b: InProcessSocket): void {
		a.#peer = b;
		b.#peer = a;
		queueMicrotask(() => {
			for (const end of [b, a]) {
				if (end.#state !== CONNECTING) continue;
				end.#state = OPEN;
				end.counters.lastActivity = Date.now();
				end.#resolveOpened(end.#link());
				end.emit("open");
			}
		});
	}

	#link(): OpenedLink {
		const reader = {
			read: (): Promise<ReadResult> => {
				if (this.#inboxHead < this.#inbox.length) return Promise.resolve({ done: false, value: this.#take() });
				if (this.#ended || this.#state === CLOSED) return Promise.resolve(DONE);
				return new Promise<ReadResult>((resolve) => (this.#waiting = resolve));
			},
			releaseLock: () => {},
			cancel: (): Promise<void> => {
				this.close();
				return RESOLVED;
			},
		};
		const writer = {
			ready: RESOLVED,
			get desiredSize(): number | null {
				return 1;
			},
			write: (chunk: Uint8Array): Promise<void> => {
				this.#send(chunk);
				return RESOLVED;
			},
		};
		return { readable: { getReader: () => reader }, writable: { getWriter: () => writer }, extensions: "", protocol: this.protocol };
	}

	#take(): Uint8Array {
		const value = this.#inbox[this.#inboxHead]!;
		this.#inbox[this.#inboxHead++] = undefined as unknown as Uint8Array;
		if (this.#inboxHead === this.#inbox.length) {
			this.#inbox = [];
			this.#inboxHead = 0;
		} else if (this.#inboxHead >= 1024) {
			this.#inbox = this.#inbox.slice(this.#inboxHead);
			this.#inboxHead = 0;
		}
		this.#inboxBytes -= value.byteLength;
		return value;
	}

	/**
	 * Hands `chunk` to the peer. QMux allocates every record it writes and never touches it again
	 * (frame.js encodes each into a fresh buffer), so the same bytes travel without a copy.
	 * Like `ws` after a close, a write on a closing or closed link is dropped.
	 */
	#send(chunk: Uint8Array): void {
		const peer = this.#peer;
		if (this.#state !== OPEN || !peer || peer.#ended || peer.#state === CLOSED) return;
		this.counters.bytesOut += chunk.byteLength;
		peer.#receive(chunk);
	}

	#receive(chunk: Uint8Array): void {
		this.counters.bytesIn += chunk.byteLength;
		this.counters.lastActivity = Date.now();
		const waiting = this.#waiting;
		if (waiting) {
			this.#waiting = undefined;
			waiting({ done: false, value: chunk });
		} else {
			this.#inbox.push(chunk);
			this.#inboxBytes += chunk.byteLength;
		}
		if (this.listenerCount("message") > 0) this.emit("message", chunk);
	}

	/** Both ends stop sending at once and close a turn later, the peer after reading what it was sent. */
	#shutdown(info: InProcessClose): void {
		const peer = this.#peer;
		this.#state = info.closeCode === CLOSE_ABNORMAL ? CLOSED : CLOSING;
		this.#endReading();
		if (peer && peer.#state !== CLOSED) {
			peer.#state = peer.#state === CONNECTING ? CLOSED : CLOSING;
			peer.#endReading();
		}
		setImmediate(() => {
			if (peer) peer.#finish(info);
			this.#finish(info);
		});
	}

	/** The reader ends once it has taken what is already in the inbox. */
	#endReading(): void {
		this.#ended = true;
		const waiting = this.#waiting;
		this.#waiting = undefined;
		waiting?.(DONE);
	}

	#finish(info: InProcessClose): void {
		if (this.#closeInfo) return;
		this.#closeInfo = info;
		this.#state = CLOSED;
		// A no-op once open; otherwise whoever waits to use this end learns it never opened.
		this.#rejectOpened(new Error("WebSocket closed before opening"));
		this.#resolveClosed(info);
		this.emit("close", info.closeCode, Buffer.from(info.reason));
	}
}

/**
 * Two joined ends: `client` for the engine, `server` for the relay, both speaking `protocol`
 * (the subprotocol the relay chose). They open a microtask later, so each side attaches QMux
 * before anything arrives.
 */
export function createInProcessLink(url: string, protocol: string): { client: InProcessSocket; server: InProcessSocket } {
	const client = new InProcessSocket(url, protocol);
	const server = new InProcessSocket(url, protocol);
	InProcessSocket.pair(client, server);
	return { client, server };
}

/** A relay in this process that can take sessions over an in-process link (relay/server.ts). */
export interface InProcessRelay {
	/** The relay's own URL (`http://127.0.0.1:4443/`). */
	readonly url: string;
	/**
	 * Admits a session at `url` offering `subprotocols` (`Sec-WebSocket-Protocol` values) as a
	 * WebSocket upgrade would, and returns the engine's end. Throws the StudioError the socket
	 * path would have produced: CONNECT (not running), UNAUTHORIZED, FORBIDDEN, LIMIT, PROTOCOL.
	 */
	connectInProcess(url: URL, subprotocols: readonly string[]): InProcessSocket;
}

/**
 * True when `url` names `relay` itself: the same scheme family, host and port as its own URL.
 * Only those sessions take the in-process link; anything else (another host name for the same
 * port included) goes over the network as before.
 */
export function servesUrl(relay: InProcessRelay, url: URL): boolean {
	const own = new URL(relay.url);
	const secure = (u: URL) => u.protocol === "https:" || u.protocol === "wss:";
	const port = (u: URL) => u.port || (secure(u) ? "443" : "80");
	return secure(own) === secure(url) && own.hostname === url.hostname && port(own) === port(url);
}
