/**
 * The web host: the same contract as the Electron host, served on loopback to a browser.
 *
 * It serves the built renderer over HTTP and the contract over one WebSocket (`/bridge`).
 * A random token, shown once in the URL it prints, guards the bridge; sockets without it, from
 * another Origin, or addressed with a foreign Host header (DNS rebinding) are refused.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";
import { BridgeRequest, type BridgeMessage } from "../../shared/api";
import { isEventName, type EventName } from "../../shared/contract";
import { StudioError } from "../../shared/errors";
import { describeIssues, dispatch } from "../engine/dispatch";
import { claimStarted } from "../engine/golive/manager";
import { BusyState } from "../engine/busy";
import { Notifier } from "../shell/notifications";
import { ShellSettings } from "../shell/settings";
import { ownsMediaChannel, serveAnyMediaChannel } from "../engine/media-channels";
import type { Studio } from "../engine/studio";
import { SECURITY_HEADERS, serveStatic } from "./static";
import { serveUpload } from "./upload";
import { DEFAULT_MAX_UPLOAD_BYTES, UPLOAD_PATH } from "../../shared/media-file";

/** How to start a {@link WebHost}. */
export interface WebHostOptions {
	studio: Studio;
	/** Interface to bind; loopback unless the user says otherwise. */
	host?: string;
	/** Port; 0 picks a free one. */
	port?: number;
	/** The built renderer; found next to the build output when absent. */
	staticDir?: string;
	/** The bridge token; random when absent. */
	token?: string;
	/** The largest media file `POST /upload` accepts, in bytes; {@link DEFAULT_MAX_UPLOAD_BYTES} when absent. */
	maxUploadBytes?: number;
}

/** A running web host. */
export interface WebHost {
	/** The URL to open, token included. Print it once; never log it elsewhere. */
	readonly url: string;
	/** `http://HOST:PORT`, the only Origin whose pages may use the bridge. */
	readonly origin: string;
	readonly port: number;
	readonly token: string;
	/** Closes every bridge socket and the server. */
	close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 1 << 20;
const MAX_MEDIA_FRAME_BYTES = 16 << 20;

/**
 * Finds the built renderer by walking up from this module, which may sit in `electron/web`
 * (source, tests) or in a chunk folder under `out/main` (the built CLI).
 */
export function defaultStaticDir(): string {
	let dir = dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 5; i++) {
		// Only a built renderer: `renderer/` at the project root is the unbuilt source.
		const candidate = basename(dir) === "out" ? resolve(dir, "renderer") : resolve(dir, "out/renderer");
		if (existsSync(resolve(candidate, "index.html"))) return candidate;
		dir = dirname(dir);
	}
	return resolve("out/renderer");
}

/** Starts the web host; resolves once it listens. */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
	const { studio } = options;
	const bindHost = options.host ?? "127.0.0.1";
	const token = options.token ?? randomBytes(24).toString("base64url");
	const staticDir = options.staticDir ?? defaultStaticDir();
	const log = studio.logger.scope("web");

	let allowedHosts = new Set<string>();
	const server: Server = createServer((req, res) => {
		if (!allowedHosts.has(req.headers.host ?? "")) {
			res.writeHead(421, { ...SECURITY_HEADERS, "Content-Type": "text/plain" });
			return void res.end("misdirected request");
		}
		if (req.method === "POST" && (req.url ?? "/").split("?")[0] === UPLOAD_PATH) {
			return void serveUpload(req, res, {
				token,
				allowedHosts,
				folder: () => studio.recordingsDir,
				maxBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
				log,
				uploaded: (name) => studio.events.emit("recordings.library.changed", { name }),
			});
		}
		if (req.method !== "GET" && req.method !== "HEAD") {
			res.writeHead(405, { ...SECURITY_HEADERS, Allow: "GET, HEAD" });
			return void res.end();
		}
		serveStatic(staticDir, req, res).catch((err: unknown) => {
			log.error(`static: ${StudioError.from(err).message}`);
			if (!res.headersSent) res.writeHead(500, SECURITY_HEADERS);
			res.end();
		});
	});

	const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
	// Media frames carry whole encoded chunks: a 4K keyframe can be several MiB.
	const mediaWss = new WebSocketServer({ noServer: true, maxPayload: MAX_MEDIA_FRAME_BYTES, perMessageDeflate: false });
	server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
		const refusal = checkUpgrade(req, token, allowedHosts);
		if (refusal) {
			log.warn(`bridge refused: ${refusal.reason}`);
			socket.end(`HTTP/1.1 ${refusal.status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
			return;
		}
		const url = new URL(req.url ?? "/", "http://localhost");
		if (url.pathname === "/media") {
			const channel = url.searchParams.get("channel") ?? "";
			if (!ownsMediaChannel(studio, channel)) {
				log.warn("media channel refused: unknown channel");
				socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
				return;
			}
			mediaWss.handleUpgrade(req, socket, head, (ws) => {
				ws.on("error", () => ws.terminate());
				try {
					const served = serveAnyMediaChannel(studio, channel, {
						sendAck: (ack) => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ ack })),
						// Monitor frames; the monitor skips rather than let bufferedAmount grow.
						send: (data) => ws.readyState === ws.OPEN && ws.send(data),
						bufferedBytes: () => ws.bufferedAmount,
						fail: (e) => ws.close(e.codeName === "CLOSED" ? 1000 : 1007, e.message.slice(0, 120)),
					}, log);
					ws.on("message", (data, isBinary) => served.receive(isBinary ? data : String(data)));
					// A page that closes or reloads drops its media sockets: the engine must know,
					// or the broadcast stays announced at 0 b/s and blocks its path (issue 18), and
					// a monitor must release its track subscriptions and start its grace period.
					ws.on("close", () => served.closed());
				} catch {
					ws.close(1008, "unknown media channel"); // stopped between the check and the upgrade
				}
			});
			return;
		}
		wss.handleUpgrade(req, socket, head, (ws) => serveBridge(ws, studio));
	});

	// The page shows these with the browser's notifications (with the user's permission): the
	// same notices, decided by the same code, as the desktop shell's.
	const busy = new BusyState(studio);
	const notifier = new Notifier({
		events: studio.events,
		busy,
		settings: new ShellSettings({
			get: () => studio.handlers["preferences.get"]({}),
			set: (preferences) => studio.handlers["preferences.set"]({ preferences }),
		}),
		create: (content, target) => ({
			on: () => undefined,
			show: () => studio.events.emit("notices.show", { ...content, ...target }),
		}),
		open: () => undefined,
	});

	await new Promise<void>((resolveListen, reject) => {
		server.once("error", (err) => reject(StudioError.from(err, "IO")));
		server.listen(options.port ?? 0, bindHost, () => resolveListen());
	});
	const port = (server.address() as AddressInfo).port;
	const hostForUrl = bindHost.includes(":") ? `[${bindHost}]` : bindHost;
	allowedHosts = new Set([`${hostForUrl}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`]);
	const origin = `http://${hostForUrl}:${port}`;
	log.info(`web host listening on ${origin}`);

	return {
		url: `${origin}/?token=${token}`,
		origin,
		port,
		token,
		close: async () => {
			notifier.close();
			busy.close();
			for (const client of [...wss.clients, ...mediaWss.clients]) client.terminate();
			wss.close();
			mediaWss.close();
			await new Promise<void>((r) => server.close(() => r()));
			server.closeAllConnections();
		},
	};
}

/** Why an upgrade is refused, or undefined when it may proceed. */
function checkUpgrade(
	req: IncomingMessage,
	token: string,
	allowedHosts: Set<string>,
): { status: string; reason: string } | undefined {
	const host = req.headers.host ?? "";
	if (!allowedHosts.has(host)) return { status: "421 Misdirected Request", reason: "foreign Host header" };
	const url = new URL(req.url ?? "/", "http://localhost");
	if (url.pathname !== "/bridge" && url.pathname !== "/media") return { status: "404 Not Found", reason: `no endpoint ${url.pathname}` };
	const origin = req.headers.origin;
	// Browsers always send Origin on WebSocket upgrades; a page from another site carries its own.
	if (origin !== undefined && !allowedHosts.has(origin.replace(/^http:\/\//, ""))) {
		return { status: "403 Forbidden", reason: "foreign Origin" };
	}
	const given = Buffer.from(url.searchParams.get("token") ?? "");
	const expected = Buffer.from(token);
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
		return { status: "401 Unauthorized", reason: "missing or wrong token" };
	}
	return undefined;
}

/** Serves the contract on one authenticated socket until it closes. */
function serveBridge(ws: WebSocket, studio: Studio): void {
	const subscribed = new Set<EventName>();
	const send = (message: BridgeMessage) => {
		if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
	};
	const stopEvents = studio.events.listen((event, payload) => {
		if (subscribed.has(event)) send({ type: "event", event, payload });
	});
	// Go Live broadcasts this page starts are tied to this socket: when the page closes or
	// reloads they end after the grace period, or a new Go Live at the same path takes over.
	const liveOwner = studio.golive.owner("web page");
	ws.on("close", () => {
		stopEvents();
		liveOwner.release();
	});
	ws.on("error", () => ws.terminate());

	ws.on("message", (data, isBinary) => {
		if (isBinary) return ws.close(1003, "binary messages are for media channels");
		let request: BridgeRequest;
		try {
			const parsed = BridgeRequest.safeParse(JSON.parse(data.toString()));
			if (!parsed.success) throw new StudioError("INVALID_ARGUMENT", `malformed bridge message: ${describeIssues(parsed.error)}`);
			request = parsed.data;
		} catch (err) {
			const error = StudioError.from(err, "INVALID_ARGUMENT").toInfo();
			return send({ type: "response", id: -1, ok: false, error });
		}
		if (request.type === "subscribe") {
			for (const e of request.events) if (isEventName(e)) subscribed.add(e);
			return;
		}
		void dispatch(studio.handlers, request.method, request.args).then((envelope) => {
			if (request.method === "golive.start" && envelope.ok) claimStarted(liveOwner, envelope.result);
			send({ type: "response", id: request.id, ...envelope });
		});
	});
}

