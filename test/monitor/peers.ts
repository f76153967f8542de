/**
 * The renderer's side of Monitor without a browser: a `/bridge` client that invokes methods and
 * collects `monitor.state` events, and a `/media` peer that decodes what a monitor channel sends
 * and acknowledges it (or not) as the player would.
 */
import { WebSocket } from "ws";
import type { Envelope } from "../../shared/api";
import type { MethodArgs, MethodName, MethodResult } from "../../shared/contract";
import { decodeMonitorMessage, MonitorConfig, type MonitorInfo, type MonitorMessage } from "../../shared/monitor";
import type { TestStudio } from "../helpers/studio";
import { until } from "../relay/clients";

/** A bridge client as the web page is one (token, Origin). */
export interface BridgeClient {
	invoke<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<Envelope<MethodResult<M>>>;
	/** Every `monitor.state` event received, oldest first. */
	readonly states: MonitorInfo[];
	close(): void;
}

/** Opens a bridge client subscribed to `monitor.state`. */
export async function openBridge(t: TestStudio): Promise<BridgeClient> {
	const ws = new WebSocket(`ws://127.0.0.1:${t.web.port}/bridge?token=${encodeURIComponent(t.web.token)}`, { origin: t.web.origin });
	await new Promise<void>((resolve, reject) => {
		ws.once("open", () => resolve());
		ws.once("error", reject);
	});
	const states: MonitorInfo[] = [];
	const pending = new Map<number, (e: Envelope) => void>();
	ws.on("message", (data: Buffer) => {
		const msg = JSON.parse(data.toString()) as { type: string; id?: number; event?: string; payload?: unknown } & Partial<Envelope>;
		if (msg.type === "event" && msg.event === "monitor.state") states.push(msg.payload as MonitorInfo);
		if (msg.type === "response" && msg.id !== undefined) {
			pending.get(msg.id)?.(msg as Envelope);
			pending.delete(msg.id);
		}
	});
	ws.send(JSON.stringify({ type: "subscribe", events: ["monitor.state"] }));
	let next = 1;
	return {
		states,
		invoke: <M extends MethodName>(method: M, args: MethodArgs<M>) =>
			new Promise<Envelope<MethodResult<M>>>((resolve) => {
				const id = next++;
				pending.set(id, resolve as (e: Envelope) => void);
				ws.send(JSON.stringify({ type: "invoke", id, method, args }));
			}),
		close: () => ws.close(),
	};
}

/** Unwraps a successful envelope, failing the test with the error otherwise. */
export function ok<R>(envelope: Envelope<R>): R {
	if (!envelope.ok) throw new Error(`call failed: ${JSON.stringify(envelope.error)}`);
	return envelope.result;
}

/** A renderer's monitor channel. */
export interface MonitorPeer {
	readonly ws: WebSocket;
	/** Every message received, decoded (payloads are views of their own buffers). */
	readonly messages: MonitorMessage[];
	/** Bytes received. */
	bytes: number;
	/** The close code once the engine closed the socket. */
	closeCode: number | undefined;
	/** Acknowledges everything received so far. */
	ackAll(): void;
	/** Waits until `fn(messages)` holds. */
	until(fn: (messages: MonitorMessage[]) => boolean, ms: number, what: string): Promise<void>;
	close(): void;
}

/** Opens `/media?channel=`; acknowledges each message as it arrives unless `ack` is false. */
export async function openMonitorPeer(t: TestStudio, channel: string, opts: { ack?: boolean } = {}): Promise<MonitorPeer> {
	const ws = new WebSocket(`ws://127.0.0.1:${t.web.port}/media?token=${encodeURIComponent(t.web.token)}&channel=${encodeURIComponent(channel)}`, { origin: t.web.origin });
	const messages: MonitorMessage[] = [];
	const peer: MonitorPeer = {
		ws,
		messages,
		bytes: 0,
		closeCode: undefined,
		ackAll: () => {
			const last = messages.at(-1);
			if (last && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ ack: last.sequence }));
		},
		until: (fn, ms, what) => until(() => fn(messages), ms, what),
		close: () => ws.close(1000),
	};
	ws.on("message", (data: Buffer, isBinary: boolean) => {
		if (!isBinary) throw new Error("a monitor channel sends binary messages only");
		peer.bytes += data.byteLength;
		const message = decodeMonitorMessage(new Uint8Array(data));
		messages.push(message);
		if (opts.ack !== false) ws.send(JSON.stringify({ ack: message.sequence }));
	});
	ws.on("close", (code) => (peer.closeCode = code));
	// Listening before `open` settles: the engine's first message (the config) can arrive in the
	// same tick as the handshake.
	const status = await new Promise<number>((resolve) => {
		ws.once("open", () => resolve(101));
		ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
	});
	if (status !== 101) throw new Error(`media channel refused with ${status}`);
	return peer;
}

/** The config carried by a `config` message. */
export function parseConfig(message: MonitorMessage): MonitorConfig {
	return MonitorConfig.parse(JSON.parse(new TextDecoder().decode(message.payload)));
}

/** The NAL unit types of an AVCC (4-byte length-prefixed) H.264 access unit. */
export function avccNalTypes(payload: Uint8Array): number[] {
	const types: number[] = [];
	const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
	for (let at = 0; at + 4 < payload.byteLength; ) {
		const size = view.getUint32(at);
		types.push((payload[at + 4] as number) & 0x1f);
		at += 4 + size;
	}
	return types;
}
