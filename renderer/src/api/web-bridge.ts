/**
 * The `StudioBridge` of the web host: the contract over one WebSocket to `/bridge`, with the
 * token the host printed. Reconnects with a short backoff if the host restarts, replaying
 * event subscriptions; calls made while disconnected fail with a CLOSED error instead of hanging.
 *
 * A browser hides why a WebSocket handshake failed (a 401 and a host that is down both close
 * with 1006 before `open`), so a socket that fails before opening is followed by a probe of the
 * page's own origin: when the host answers HTTP but refused the socket, the token is wrong (or
 * belongs to an earlier run of the host, which draws a new one each start). A page that never
 * connected decides on the first refusal (so a wrong address does not show the studio first);
 * once connected, two in a row are needed, so a host that is just stopping is not taken for one.
 */
import type { BridgeMessage, Envelope, StudioBridge } from "../../../shared/api";
import { StudioError } from "../../../shared/errors";

type Pending = (envelope: Envelope) => void;

/** Where the bridge stands: up, down (retrying), or refused by a running host (wrong token; no retry). */
export type BridgeState = "connected" | "disconnected" | "refused";

/** Refusals in a row, each confirmed by a probe, before a bridge that was connected gives up. */
const REFUSALS_TO_GIVE_UP = 2;

/** True when the host that served this page answers HTTP now. */
async function hostAnswers(): Promise<boolean> {
	try {
		const res = await fetch(`${location.origin}/`, { method: "HEAD", cache: "no-store" });
		return res.ok;
	} catch {
		return false;
	}
}

/** Where the page keeps the web host's token for reloads (the address bar no longer shows it). */
export const TOKEN_KEY = "moq-studio-token";

/** Reads the token from the page URL once, keeps it for reloads, and removes it from the address bar. */
export function takeToken(): string | null {
	const url = new URL(window.location.href);
	const fromUrl = url.searchParams.get("token");
	if (fromUrl) {
		sessionStorage.setItem(TOKEN_KEY, fromUrl);
		url.searchParams.delete("token");
		window.history.replaceState(null, "", url.toString());
		return fromUrl;
	}
	return sessionStorage.getItem(TOKEN_KEY);
}

/** Opens the bridge; `onState` reports whether the socket is up, or that the host refused the token. */
export function connectWebBridge(token: string, onState: (state: BridgeState) => void): StudioBridge {
	const pending = new Map<number, Pending>();
	const listeners = new Map<string, Set<(payload: unknown) => void>>();
	let nextId = 1;
	let socket: WebSocket | undefined;
	let retryMs = 250;
	let refusals = 0;
	let everConnected = false;

	const closedError = (): Envelope => ({
		ok: false,
		error: new StudioError("CLOSED", "the studio engine is not reachable").toInfo(),
	});

	const open = () => {
		const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/bridge?token=${encodeURIComponent(token)}`);
		socket = ws;
		let opened = false;
		ws.onopen = () => {
			opened = true;
			everConnected = true;
			retryMs = 250;
			refusals = 0;
			onState("connected");
			if (listeners.size > 0) ws.send(JSON.stringify({ type: "subscribe", events: [...listeners.keys()] }));
		};
		ws.onmessage = (ev: MessageEvent) => {
			if (typeof ev.data !== "string") return;
			let msg: BridgeMessage;
			try {
				msg = JSON.parse(ev.data) as BridgeMessage;
			} catch {
				return;
			}
			if (msg.type === "response") {
				const done = pending.get(msg.id);
				pending.delete(msg.id);
				done?.(msg);
			} else if (msg.type === "event") {
				for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
			}
		};
		ws.onclose = () => {
			for (const done of pending.values()) done(closedError());
			pending.clear();
			const retry = () => {
				onState("disconnected");
				setTimeout(open, retryMs);
				retryMs = Math.min(retryMs * 2, 5000);
			};
			if (opened) {
				refusals = 0;
				return retry();
			}
			void hostAnswers().then((up) => {
				refusals = up ? refusals + 1 : 0;
				if (refusals >= (everConnected ? REFUSALS_TO_GIVE_UP : 1)) onState("refused");
				else retry();
			});
		};
	};
	open();

	return {
		invoke: (method, args) =>
			new Promise<Envelope>((resolve) => {
				if (!socket || socket.readyState !== WebSocket.OPEN) {
					// Wait briefly for a socket that is still opening rather than failing the first calls.
					if (socket?.readyState === WebSocket.CONNECTING) {
						socket.addEventListener("open", () => resolve(sendNow()), { once: true });
						socket.addEventListener("close", () => resolve(closedError()), { once: true });
						return;
					}
					return resolve(closedError());
				}
				resolve(sendNow());
				function sendNow(): Promise<Envelope> {
					return new Promise<Envelope>((done) => {
						const id = nextId++;
						pending.set(id, done);
						socket!.send(JSON.stringify({ type: "invoke", id, method, args }));
					});
				}
			}),
		subscribe: (event, listener) => {
			let set = listeners.get(event);
			if (!set) {
				set = new Set();
				listeners.set(event, set);
				if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "subscribe", events: [event] }));
			}
			set.add(listener);
			return () => void set.delete(listener);
		},
	};
}
