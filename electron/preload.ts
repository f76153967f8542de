/**
 * The preload: exposes exactly one object, `window.studio` (a `StudioBridge`), over IPC.
 * It runs sandboxed with context isolation, so it imports only `electron` and `shared/`;
 * validation of event payloads and error typing happen in the renderer's client.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import { IpcChannel, type Envelope, type StudioBridge } from "../shared/api";

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
};

contextBridge.exposeInMainWorld("studio", bridge);
