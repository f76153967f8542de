/**
 * The key under which the compositor keeps a live source's newest frame, shared by the program
 * (main thread) and the compositor worker so both name a source the same way.
 */
import type { LayerSource } from "../../../../shared/scenes";

/**
 * The key of a source whose frames arrive as a stream (a capture, a remote broadcast, a media
 * file), or undefined for what the compositor draws itself (colour, text) or holds as an image.
 * Two layers showing the same source share one key, hence one capture or subscription.
 */
export function liveSourceKey(source: LayerSource): string | undefined {
	switch (source.kind) {
		case "camera":
			return `camera:${source.deviceId ?? ""}`;
		case "screen":
			return "screen";
		case "broadcast":
			return `broadcast:${source.originId}\u0000${source.path}`;
		case "file":
			return `file:${source.name}`;
		default:
			return undefined;
	}
}
