/** The IPC channel names of the Electron host (no imports: the sandboxed preload bundles this). */
export const IpcChannel = {
	invoke: "studio:invoke",
	subscribe: "studio:subscribe",
	event: "studio:event",
	media: "studio:media",
	/** Desktop host: show the native open dialog for a media file (answers an Envelope of a path or null). */
	chooseMediaFile: "studio:choose-media-file",
} as const;
