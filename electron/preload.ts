/**
 * The preload: exposes exactly one object, `window.studio` (a `StudioBridge`), over IPC.
 * It runs sandboxed with context isolation, so it imports only `electron` and `shared/`;
 * validation of event payloads and error typing happen in the renderer's client.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import type { Envelope, StudioBridge } from "../shared/api";
import { IpcChannel } from "../shared/ipc-channel";
import { ShellChannel, type ShellMessage } from "../shared/shell-channel";

type Listener = (payload: unknown) => void;
const listeners = new Map<string, Set<Listener>>();

ipcRenderer.on(IpcChannel.event, (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
	if (typeof name !== "string") return;
	for (const l of listeners.get(name) ?? []) l(payload);
});

const bridge: StudioBridge = {
	invoke: (method, args) => ipcRenderer.invoke(IpcChannel.invoke, method, args) as Promise<Envelope>,
	subscribe: (event, listener) => {
		let set = listeners.get(event);
		if (!set) {
			set = new Set();
			listeners.set(event, set);
			void ipcRenderer.invoke(IpcChannel.subscribe, [event]);
		}
		set.add(listener);
		return () => void set.delete(listener);
	},
	openMediaChannel: (channel) => {
		if (typeof channel !== "string" || channel.length > 64) return;
		const { port1, port2 } = new MessageChannel();
		ipcRenderer.postMessage(IpcChannel.media, { channel }, [port2]);
		// Ports cannot be returned through the context bridge; hand ours to the page this way.
		window.postMessage({ type: "moq-studio:media-port", channel }, window.location.origin === "null" ? "*" : window.location.origin, [port1]);
	},
	onShellMessage: (listener) => {
		const relay = (_event: IpcRendererEvent, message: unknown) => listener(message as ShellMessage);
		ipcRenderer.on(ShellChannel.message, relay);
		return () => void ipcRenderer.removeListener(ShellChannel.message, relay);
	},
	chooseMediaFile: () => ipcRenderer.invoke(IpcChannel.chooseMediaFile) as Promise<Envelope<string | null>>,
};

contextBridge.exposeInMainWorld("studio", bridge);
