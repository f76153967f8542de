/**
 * Where a media channel connects, per host: the web host's `/media` WebSocket (with the page's
 * token), or a MessagePort the Electron preload hands over.
 */
import { TOKEN_KEY } from "../api/web-bridge";
import type { SinkTarget } from "./protocol";

/** The target for `channel` on this page's host. */
export async function mediaTarget(channel: string): Promise<SinkTarget> {
	if (window.studio?.openMediaChannel) {
		const port = await new Promise<MessagePort>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error("the desktop host did not open the media channel")), 5000);
			const onMessage = (ev: MessageEvent) => {
				const data = ev.data as { type?: unknown; channel?: unknown } | null;
				if (ev.source !== window || data?.type !== "moq-studio:media-port" || data.channel !== channel || !ev.ports[0]) return;
				clearTimeout(timer);
				window.removeEventListener("message", onMessage);
				resolve(ev.ports[0]);
			};
			window.addEventListener("message", onMessage);
			window.studio!.openMediaChannel!(channel);
		});
		return { kind: "port", port };
	}
	const token = sessionStorage.getItem(TOKEN_KEY) ?? "";
	const scheme = location.protocol === "https:" ? "wss" : "ws";
	return { kind: "websocket", url: `${scheme}://${location.host}/media?token=${encodeURIComponent(token)}&channel=${encodeURIComponent(channel)}` };
}

/**
 * What must be transferred with a message carrying `target`: its MessagePort, if any. A port
 * sent without being in the transfer list makes `postMessage` throw DataCloneError.
 */
export function targetTransfer(target: SinkTarget): Transferable[] {
	return target.kind === "port" ? [target.port] : [];
}
