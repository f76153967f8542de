/* global document, location, window */
/**
 * The interop page: the published `<moq-watch>` element (from npm, bundled as is) pointed at the
 * relay and broadcast given in the query string (`?url=http://127.0.0.1:PORT/&name=live/x.hang`).
 *
 * `window.moqWatchProbe()` returns a JSON-safe snapshot of the element's public signals, so a
 * test can see how far playback got (connection, negotiated version, catalog, decoded frames).
 */
import "@moq/watch/element";

const params = new URLSearchParams(location.search);
const watch = document.createElement("moq-watch");
// Always download video: headless tabs may not report the canvas as intersecting the viewport.
watch.setAttribute("visible", "always");
watch.setAttribute("name", params.get("name") ?? "");
watch.setAttribute("url", params.get("url") ?? "");
const canvas = document.createElement("canvas");
watch.append(canvas);
document.body.append(watch);

window.moqWatchProbe = () => {
	const established = watch.connection.established.peek();
	return {
		status: watch.connection.status.peek(),
		version: established?.version,
		transport: established?.transport,
		broadcast: watch.broadcast.out.status.peek(),
		catalog: watch.broadcast.out.catalog.peek() ?? null,
		videoFrames: watch.video.out.stats.peek()?.frameCount ?? 0,
		videoBytes: watch.video.out.stats.peek()?.bytesReceived ?? 0,
		audioBytes: watch.audio.out.stats.peek()?.bytesReceived ?? 0,
		// Playback position of the audio worklet (ms of media time): it advances only while decoded audio plays.
		audioTimestamp: watch.audio.out.timestamp.peek() ?? null,
		display: watch.video.out.display.peek() ?? null,
		// The video rendition (track name) the element chose from the catalog (simulcast, issue 16).
		track: watch.video.source?.out?.track?.peek?.() ?? null,
		canvas: { width: canvas.width, height: canvas.height },
	};
};
