/**
 * The relay's WebTransport listeners: HTTP/3 on UDP (same port number as the WebSocket listener)
 * when the quiche addon is installed, and HTTP/2 on TCP when asked (testing, and networks where
 * UDP is blocked). Both use a self-signed ECDSA certificate valid for at most 14 days, rotated
 * before it expires, whose hash the HTTP listener serves at `/certificate.sha256` for pinning.
 * Library quirks are handled in transport/webtransport.ts, not here.
 */
import { CertificateRotation, type CertificateRotationOptions } from "../transport/certificate";
import { adaptSession, type FailsServer, type FailsServerClass, type FailsSession, loadWebTransport, probeHttp3 } from "../transport/webtransport";
import { MOQ_ALPNS } from "../transport/alpn";
import type { RelayLog } from "./log";

/** One WebTransport session offered to the relay, before admission. */
export interface IncomingWebTransport {
	/** The adapted session `@moq/net` can accept (`protocol` set to the one chosen). */
	transport: WebTransport;
	/** The request URL (path and `?jwt=`), as the client sent it. */
	url: URL;
	/** Peer IP address. */
	remote: string;
	kind: "webtransport-h2" | "webtransport-h3";
}

/** Options for {@link listenWebTransport}. */
export interface WebTransportListenOptions {
	host: string;
	/** TCP port for HTTP/2 WebTransport; undefined: no HTTP/2 listener. 0 picks a free port. */
	http2Port: number | undefined;
	/** UDP port for HTTP/3 WebTransport; undefined: no HTTP/3 listener. */
	http3Port: number | undefined;
	log: RelayLog;
	/** Certificate validity and renewal (tests shorten them); 14 days, renewed a day before expiry, by default. */
	certificate?: Pick<CertificateRotationOptions, "validityMs" | "renewBeforeMs" | "now">;
	/**
	 * Decides from the request URL alone whether to refuse the session with an HTTP status (the
	 * peer address is not known yet): undefined admits it to {@link onSession}, which checks again.
	 */
	admit(url: URL, kind: IncomingWebTransport["kind"]): number | undefined;
	onSession(incoming: IncomingWebTransport): void;
}

/** Running WebTransport listeners. */
export interface WebTransportListeners {
	/** Bound HTTP/2 port, when that listener runs. */
	readonly http2Port: number | undefined;
	/** Bound HTTP/3 (UDP) port, when that listener runs. */
	readonly http3Port: number | undefined;
	/** Why HTTP/3 does not run when it was asked for (e.g. the addon is missing). */
	readonly http3Missing: string | undefined;
	/** Hex sha-256 of the current certificate (what `/certificate.sha256` serves); undefined when no listener runs. */
	sha256(): string | undefined;
	close(): Promise<void>;
}

type Server = FailsServer;

/** Picks the client's offered protocol we prefer most, or "" (the MoQ version then comes from SETUP). */
export function selectWebTransportProtocol(offered: unknown): string {
	const list = (Array.isArray(offered) ? offered.map(String) : typeof offered === "string" ? offered.split(",") : []).map((p) => p.trim().replace(/^"|"$/g, ""));
	return MOQ_ALPNS.find((p) => list.includes(p)) ?? "";
}

function remoteOf(peerAddress: unknown): string {
	// fails-components reports "ip:port"; IPv6 addresses contain colons themselves.
	const s = typeof peerAddress === "string" ? peerAddress : "";
	const i = s.lastIndexOf(":");
	return i > 0 ? s.slice(0, i) : s || "?";
}

/**
 * Starts the asked-for WebTransport listeners. HTTP/3 without the quiche addon is not an error:
 * `http3Missing` says so (the relay's startup line reports it).
 */
export async function listenWebTransport(opts: WebTransportListenOptions): Promise<WebTransportListeners> {
	if (opts.http2Port === undefined) {
		// HTTP/3 only and no addon: nothing will listen, so load neither the library nor a certificate.
		const http3Missing = await probeHttp3();
		if (http3Missing !== undefined) {
			return { http2Port: undefined, http3Port: undefined, http3Missing, sha256: () => undefined, close: () => Promise.resolve() };
		}
	}
	const lib = await loadWebTransport();
	// Renewed certificates name the same hosts. One certificate for both listeners, so the one
	// hash `/certificate.sha256` serves pins either.
	const hosts = ["localhost", ...(opts.host.includes(":") || /^[\d.]+$/.test(opts.host) ? [opts.host] : [])];
	const servers: { server: Server; kind: IncomingWebTransport["kind"] }[] = [];
	const rotation = new CertificateRotation({
		...opts.certificate,
		hosts,
		onRotate: (next) => {
			// New handshakes get the new certificate; sessions already open keep theirs (TLS does
			// not renegotiate), so nobody is cut. `/certificate.sha256` serves one hash, the new
			// one: <moq-publish>/<moq-watch> parse the whole body as a single hex hash, and the
			// relay presents one certificate per handshake, so an old pin cannot be honoured.
			for (const { server } of servers) server.updateCert(next.cert, next.key, false);
			opts.log("info", `WebTransport certificate rotated; sha-256 ${next.sha256}, valid until ${next.notAfter.toISOString()}`);
		},
	});
	const cert = () => rotation.current;
	const sessions = new Set<WebTransport>();

	const start = async (Ctor: FailsServerClass, port: number, kind: IncomingWebTransport["kind"]): Promise<number> => {
		const server = new Ctor({ port, host: opts.host, secret: cert().sha256, cert: cert().cert, privKey: cert().key });
		// The request callback is the only place to choose the subprotocol and rewrite the path:
		// sessions arrive through one registered path ("/"), the original URL rides in userData.
		server.setRequestCallback(async (req) => {
			const path = typeof req.header[":path"] === "string" ? req.header[":path"] : "/";
			const refused = opts.admit(new URL(path, `https://${opts.host}`), kind);
			if (refused !== undefined) return { status: refused, path: "/" };
			const protocol = selectWebTransportProtocol(req.header["wt-available-protocols"]);
			return { status: 200, path: "/", userData: { path, protocol }, selectedProtocol: protocol || undefined };
		});
		const stream = server.sessionStream("/");
		server.startServer();
		await server.ready;
		servers.push({ server, kind });
		void (async () => {
			const reader = stream.getReader();
			for (;;) {
				const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
				if (done || !value) return;
				const raw = value as unknown as FailsSession & { userData?: { path?: string; protocol?: string }; peerAddress?: string };
				const transport = adaptSession(raw, raw.userData?.protocol ?? "");
				sessions.add(transport);
				void transport.closed.finally(() => sessions.delete(transport));
				opts.onSession({ transport, url: new URL(raw.userData?.path ?? "/", `https://${opts.host}`), remote: remoteOf(raw.peerAddress), kind });
			}
		})();
		return (server.address() as { port: number }).port;
	};

	let http3Missing: string | undefined;
	let http3Port: number | undefined;
	if (opts.http3Port !== undefined) {
		if (lib.http3) http3Port = await start(lib.Http3Server, opts.http3Port, "webtransport-h3");
		// Not logged here: the relay's startup line says it, once (server.ts).
		else http3Missing = lib.http3Missing ?? "HTTP/3 unavailable";
	}
	const http2Port = opts.http2Port !== undefined ? await start(lib.Http2Server, opts.http2Port, "webtransport-h2") : undefined;
	if (servers.length === 0) {
		// No listener: no hash either, so browsers fetching /certificate.sha256 get a 404 and go
		// straight to WebSocket instead of trying a WebTransport nobody answers.
		return { http2Port, http3Port, http3Missing, sha256: () => undefined, close: () => Promise.resolve() };
	}

	rotation.start();

	return {
		http2Port,
		http3Port,
		http3Missing,
		sha256: () => cert().sha256,
		async close() {
			rotation.stop();
			for (const s of sessions) s.close({ closeCode: 0, reason: "relay closing" });
			for (const { server } of servers) {
				server.stopServer();
				await Promise.race([server.closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
			}
		},
	};
}
