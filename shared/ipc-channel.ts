/** The IPC channel names of the Electron host (no imports: the sandboxed preload bundles this). */
export const IpcChannel = {
	invoke: "studio:invoke",
	subscribe: "studio:subscribe",
	event: "studio:event",
	media: "studio:media",
} as const;
