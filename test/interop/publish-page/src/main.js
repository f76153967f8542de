/* global document, location, window */
/**
 * The interop page: the published `<moq-publish>` element (from npm, bundled as is) publishing the
 * camera and microphone to the relay and broadcast given in the query string
 * (`?url=http://127.0.0.1:PORT/&name=live/x.hang`).
 *
 * What makes `<moq-publish>` 0.2.x go live (read from its element.js):
 * - `url`: the relay; the connection (`@moq/net` `Connection.Reload`) is enabled while the element
 *   is in the document.
 * - `name`: the broadcast path (the README's `path` attribute is not observed by 0.2.17).
 * - `source="camera"`: getUserMedia video + audio. With the default `announce="source"` the
 *   broadcast is announced once a video or audio track exists.
 * - video is on unless `invisible`, audio on unless `muted` (the README's `audio`/`video`
 *   attributes are ignored).
 *
 * `window.moqPublishProbe()` returns a JSON-safe snapshot of the element's public signals, so a
 * test can see how far publishing got (connection, catalog, encoder configs).
 */
import "@moq/publish/element";

const params = new URLSearchParams(location.search);
const publish = document.createElement("moq-publish");
publish.setAttribute("url", params.get("url") ?? "");
publish.setAttribute("name", params.get("name") ?? "");
publish.setAttribute("source", "camera");
const video = document.createElement("video");
video.muted = true;
video.autoplay = true;
video.playsInline = true;
publish.append(video);
document.body.append(publish);

window.moqPublishProbe = () => {
	const established = publish.connection.established.peek();
	const broadcast = publish.broadcast;
	const catalog = (section) => {
		const value = section.peek();
		return value === undefined ? null : JSON.parse(JSON.stringify(value));
	};
	return {
		status: publish.connection.status.peek(),
		version: established?.version,
		name: String(publish.name),
		announced: broadcast.enabled.peek(),
		videoSource: broadcast.video.source.peek() ? broadcast.video.source.peek().label || "track" : null,
		audioSource: broadcast.audio.source.peek() ? broadcast.audio.source.peek().label || "track" : null,
		videoActive: broadcast.video.hd.active.peek(),
		audioActive: broadcast.audio.active.peek(),
		videoCatalog: catalog(broadcast.video.catalog),
		audioCatalog: catalog(broadcast.audio.catalog),
	};
};
