/**
 * One MoQ connection attempt: WebSocket (QMux) today, HTTP/3 WebTransport when its native addon
 * is present. Returns the established `@moq/net` session with the engine's own counters.
 */
import Qmux from "@moq/qmux";
import * as Moq from "@moq/net";
import type { WebSocket } from "ws";
import { StudioError } from "../../../shared/errors";
import { QMUX_WINDOWS } from "./qmux-config";
import { CLIENT_ALPNS } from "./alpn";
import { openWebSocket, type SocketCounters } from "./websocket";
import { webSocketUrl } from "./url";
// Installs the @moq/net workarounds (leaks, track ends, stream slots) before any connection exists.
import "./moq-net-workarounds";

/** Which transport a session asks for: `auto` prefers WebTransport when available. */
export type TransportChoice = "auto" | "websocket" | "webtransport";


/** Options for {@link openMoqConnection}. */
export interface MoqConnectOptions {
	transport: TransportChoice;
	certificateSha256?: string;
	/** Restrict the offer to these application protocols (e.g. `["moqt-17"]`); default all. */
	protocols?: readonly string[];
	timeoutMs: number;
	signal?: AbortSignal;
}

/** An established connection and what the engine measures of it. */
export interface MoqConnection {
	established: Moq.Connection.Established;
	transport: "websocket" | "webtransport";
	/** The negotiated MoQ version, e.g. `moq-lite-05`. */
	version: string;
	counters: SocketCounters;
	/** The raw socket, for keepalive pings and buffered-amount (congestion) readings. */
	socket: WebSocket;
	close(): void;
}

let webTransportProbe: Promise<boolean> | undefined;

/**
 * Whether HTTP/3 WebTransport can be used: `@fails-components/webtransport` with its quiche
 * addon. The addon downloads prebuilt binaries at install time, which fails on offline
 * machines, so it is optional and probed once.
 */
export function webTransportAvailable(): Promise<boolean> {
	webTransportProbe ??= (async () => {
		try {
			const name = "@fails-components/webtransport";
			const mod = (await import(/* @vite-ignore */ name)) as { quicheLoaded?: Promise<unknown> };
			await mod.quicheLoaded;
			return true;
		} catch {
			return false;
		}
	})();
	return webTransportProbe;
}

/** Connects once; rejects with a StudioError whose message names the real cause. */
export async function openMoqConnection(url: URL, options: MoqConnectOptions): Promise<MoqConnection> {
	if (options.transport === "webtransport" && !(await webTransportAvailable())) {
		throw new StudioError(
			"UNSUPPORTED",
			"HTTP/3 WebTransport is not available in this build (its native addon is missing); use WebSocket",
		);
	}
	// WebTransport via the optional addon is not wired yet; every connection rides WebSocket/QMux.
	const { socket, counters, opened } = openWebSocket(webSocketUrl(url), {
		protocols: options.protocols ?? CLIENT_ALPNS,
		certificateSha256: options.certificateSha256,
		timeoutMs: options.timeoutMs,
		signal: options.signal,
	});
	// Adopted while still connecting, so QMux sees the server's first frame (see openWebSocket).
	const quic = new Qmux(socket as unknown as ConstructorParameters<typeof Qmux>[0], { config: { ...QMUX_WINDOWS } });
	try {
		await opened;
		await withTimeout(quic.ready, options.timeoutMs, "the QMux handshake");
		const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs);
		const established = await Moq.Connection.connect(url, { transport: quic, signal });
		return {
			established,
			transport: "websocket",
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
