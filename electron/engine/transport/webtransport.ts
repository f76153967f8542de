/**
 * The one adapter between `@fails-components/webtransport` (WebTransport for Node: HTTP/2 in
 * pure JS, HTTP/3 through its optional quiche addon) and `@moq/net`. Every workaround for that
 * library lives here, each with its reason:
 *
 * - Its send streams resolve `write()` before they have consumed the buffer, and `@moq/net`
 *   reuses a scratch buffer for the next message: unless each chunk is copied, the peer reads the
 *   next message's bytes ("unexpected client message type: 0x0"). {@link adaptSession} copies.
 * - It negotiates no subprotocol unless the server picks one in `setRequestCallback`, and a
 *   server-side session does not expose the picked one: the relay passes its choice to
 *   {@link adaptSession}, which reports it as `protocol` (what `@moq/net` reads).
 * - Closing a session was seen to make its HTTP/2 streams write after their end
 *   (`ERR_STREAM_WRITE_AFTER_END`) and the library throws when a session is closed twice or after
 *   its peer left: the adapter closes once and swallows those close errors, and a stream that
 *   fails is observed (no unhandled rejection). test/transport/webtransport-h2.test.ts checks
 *   that nothing of it reaches the console.
 * - Importing it without the quiche addon prints "Problem loading http3-quiche transport" and a
 *   stack on stderr, and its `quicheLoaded` still resolves: {@link loadWebTransport} probes the
 *   addon itself and swallows that noise once, so callers get a clear {@link HTTP3_UNAVAILABLE}.
 */

/**
 * The parts of the library used here, typed locally: its package `exports` put the types under
 * a "node" condition the bundler resolution does not select, so `import type` cannot see them.
 */
export interface FailsServer {
	setRequestCallback(callback: (request: { header: Record<string, unknown> }) => Promise<object>): void;
	sessionStream(path: string): ReadableStream<unknown>;
	startServer(): void;
	stopServer(): void;
	updateCert(cert: string, privKey: string, http2only: boolean): void;
	address(): { port: number; host: string } | null;
	readonly ready: Promise<void>;
	readonly closed: Promise<void>;
}
/** Constructor of `Http2Server` / `Http3Server`. */
export type FailsServerClass = new (init: { port: number; host: string; secret: string; cert: string; privKey: string }) => FailsServer;
/** Constructor of the client `WebTransport`. */
export type FailsClientClass = new (
	url: string,
	options: { forceReliable?: boolean; serverCertificateHashes?: { algorithm: string; value: Uint8Array }[]; protocols?: string[] },
) => FailsSession;

/** The addon that gives `@fails-components/webtransport` HTTP/3 (an optionalDependency). */
export const QUICHE_PACKAGE = "@fails-components/webtransport-transport-http3-quiche";

/** What the relay and the client say, once, when HTTP/3 cannot be offered. */
export const HTTP3_UNAVAILABLE = `HTTP/3 unavailable: install ${QUICHE_PACKAGE}`;

/** The transports a MoQ session can ride, as shown in its state and `--json` lines (`in-process`: QMux over an in-memory link to the embedded relay, transport/in-process.ts). */
export type TransportKind = "webtransport-h3" | "webtransport-h2" | "websocket" | "in-process";

/** The loaded library and whether its HTTP/3 transport works. */
export interface WebTransportLibrary {
	WebTransport: FailsClientClass;
	Http2Server: FailsServerClass;
	Http3Server: FailsServerClass;
	/** True when the quiche addon loaded. */
	http3: boolean;
	/** Why HTTP/3 is missing ({@link HTTP3_UNAVAILABLE}), undefined when it is available. */
	http3Missing: string | undefined;
}

let loading: Promise<WebTransportLibrary> | undefined;
let probing: Promise<string | undefined> | undefined;

/**
 * Whether the quiche addon (HTTP/3) can be loaded: resolves `undefined` when it can, else
 * {@link HTTP3_UNAVAILABLE}. Never rejects. Cheap when the addon is absent (a failed resolve),
 * so a relay that only wanted HTTP/3 skips loading the main library (about 100 ms of start-up,
 * which made the first reconnect retry after a relay restart miss) and its certificate.
 */
export function probeHttp3(): Promise<string | undefined> {
	probing ??= import(/* @vite-ignore */ QUICHE_PACKAGE).then(
		() => undefined,
		() => HTTP3_UNAVAILABLE,
	);
	return probing;
}

/**
 * The library's loader noise when the addon is absent (printed from a promise, asynchronously,
 * sometimes after {@link loadWebTransport} has put the console back: library-console.ts demotes it too).
 */
export function isLoaderNoise(args: unknown[]): boolean {
	const first = typeof args[0] === "string" ? args[0] : "";
	return (
		first.startsWith("Problem loading http3-quiche transport") ||
		first.startsWith("Did you install @fails-components/webtransport-transport-http3-quiche") ||
		first.startsWith("http3 loader:")
	);
}

/**
 * Loads `@fails-components/webtransport` once. Never rejects for a missing addon: `http3` is
 * false and `http3Missing` says what to install. Rejects only if the main package is missing.
 */
export function loadWebTransport(): Promise<WebTransportLibrary> {
	loading ??= (async () => {
		const http3Missing = await probeHttp3();
		// Filter the library's own complaint while it loads; anything else still gets through.
		const { error, log } = console;
		const filteredError = (...args: unknown[]) => void (isLoaderNoise(args) || error.apply(console, args));
		const filteredLog = (...args: unknown[]) => void (isLoaderNoise(args) || log.apply(console, args));
		console.error = filteredError;
		console.log = filteredLog;
		try {
			const name = "@fails-components/webtransport";
			const lib = (await import(/* @vite-ignore */ name)) as {
				quicheLoaded: Promise<unknown>;
				WebTransport: FailsClientClass;
				Http2Server: FailsServerClass;
				Http3Server: FailsServerClass;
			};
			await lib.quicheLoaded;
			// The complaint is printed one microtask chain after quicheLoaded settles.
			await new Promise((resolve) => setImmediate(resolve));
			return { WebTransport: lib.WebTransport, Http2Server: lib.Http2Server, Http3Server: lib.Http3Server, http3: !http3Missing, http3Missing };
		} finally {
			// Restore only our own wrappers: a host may have captured the console meanwhile.
			if (console.error === filteredError) console.error = error;
			if (console.log === filteredLog) console.log = log;
		}
	})();
	return loading;
}

type Bidi = { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };

/** A WritableStream that hands the library a private copy of each chunk (see the module note). */
function copying(writable: WritableStream<Uint8Array>): WritableStream<Uint8Array> {
	const writer = writable.getWriter();
	// A failed stream must not surface as an unhandled rejection: @moq/net sees it on its own writer.
	writer.closed.catch(() => {});
	return new WritableStream<Uint8Array>(
		{
			write: (chunk) => writer.write(chunk.slice()),
			close: () => writer.close().catch(() => {}),
			abort: (reason: unknown) => writer.abort(reason).catch(() => {}),
		},
		{ highWaterMark: 1 },
	);
}

function adaptBidi(stream: Bidi): Bidi {
	return { readable: stream.readable, writable: copying(stream.writable) };
}

function mapStream<T, U>(source: ReadableStream<T>, map: (value: T) => U): ReadableStream<U> {
	const reader = source.getReader();
	return new ReadableStream<U>({
		async pull(controller) {
			try {
				const { done, value } = await reader.read();
				if (done) controller.close();
				else controller.enqueue(map(value));
			} catch {
				// The session closed: end the listing, the close itself arrives through `closed`.
				controller.close();
			}
		},
		cancel: (reason) => reader.cancel(reason).catch(() => {}),
	});
}

/** The subset of a WebTransport session that `@moq/net` uses. */
export interface FailsSession {
	ready: Promise<unknown>;
	closed: Promise<unknown>;
	close(info?: { closeCode?: number; reason?: string }): void;
	createBidirectionalStream(): Promise<Bidi>;
	createUnidirectionalStream(): Promise<WritableStream<Uint8Array>>;
	incomingBidirectionalStreams: ReadableStream<Bidi>;
	incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
	datagrams?: unknown;
	protocol?: string;
}

/**
 * Wraps a fails-components session (client `WebTransport` or a server session) so `@moq/net`
 * can run on it: chunks copied, `protocol` reported, close errors swallowed. `protocol`
 * overrides what the session reports (the relay knows what it picked; the library does not say).
 */
export function adaptSession(session: FailsSession, protocol?: string): WebTransport {
	let closing = false;
	const adapted = {
		get ready() {
			return session.ready;
		},
		closed: session.closed.then(
			(info) => info,
			// A session torn down by its peer or by close() rejects; @moq/net only needs it to settle.
			(err: unknown) => ({ closeCode: 0, reason: err instanceof Error ? err.message : String(err) }),
		),
		get draining() {
			return new Promise<void>(() => {});
		},
		get protocol() {
			return protocol ?? session.protocol ?? "";
		},
		get datagrams() {
			return session.datagrams;
		},
		get incomingBidirectionalStreams() {
			return incomingBidi;
		},
		get incomingUnidirectionalStreams() {
			return session.incomingUnidirectionalStreams;
		},
		async createBidirectionalStream() {
			return adaptBidi(await session.createBidirectionalStream());
		},
		async createUnidirectionalStream() {
			return copying(await session.createUnidirectionalStream());
		},
		close(info?: { closeCode?: number; reason?: string }) {
			if (closing) return;
			closing = true;
			try {
				session.close(info);
			} catch {
				// Closing twice or after the peer left throws in the library; the session is gone either way.
			}
		},
		getStats: () => Promise.resolve({}),
	};
	const incomingBidi = mapStream(session.incomingBidirectionalStreams, adaptBidi);
	return adapted as unknown as WebTransport;
}

/** Hex sha-256 to the `serverCertificateHashes` entry WebTransport expects. */
export function certificateHash(sha256Hex: string): { algorithm: "sha-256"; value: Uint8Array } {
	return { algorithm: "sha-256", value: Uint8Array.from(Buffer.from(sha256Hex, "hex")) };
}
