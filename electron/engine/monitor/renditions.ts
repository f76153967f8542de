/**
 * A hang catalog as a monitor sees it: its renditions flattened for display, the engine's pick
 * of what to forward, and the in-band decoder configuration the renderer's player needs.
 */
import type { MonitorConfig, MonitorRendition } from "../../../shared/monitor";
import { StudioError } from "../../../shared/errors";
import { type AudioRendition, type Catalog, type Container, PRIORITY, type VideoRendition } from "../hang/catalog";

/** A rendition choice: a track name, `null` for none of this kind, `undefined` for the engine's pick. */
export type RenditionChoice = string | null | undefined;

/** The tracks a monitor forwards, or null for none of that kind. */
export interface Selection {
	video: string | null;
	audio: string | null;
}

function containerName(container: Container): string {
	return container.kind === "unknown" ? String(container.raw.kind) : container.kind;
}

/**
 * Every rendition of `catalog`, videos first in catalog order. `playable` is true only for the
 * legacy container, the one the engine strips before forwarding.
 */
export function flattenRenditions(catalog: Catalog): MonitorRendition[] {
	const out: MonitorRendition[] = [];
	for (const [name, v] of Object.entries(catalog.video?.renditions ?? {})) {
		out.push({
			name,
			kind: "video",
			codec: v.codec,
			container: containerName(v.container),
			priority: PRIORITY.video,
			width: v.codedWidth ?? null,
			height: v.codedHeight ?? null,
			framerate: v.framerate ?? null,
			bitrate: v.bitrate ?? null,
			sampleRate: null,
			channels: null,
			playable: v.container.kind === "legacy",
		});
	}
	for (const [name, a] of Object.entries(catalog.audio?.renditions ?? {})) {
		out.push({
			name,
			kind: "audio",
			codec: a.codec,
			container: containerName(a.container),
			priority: PRIORITY.audio,
			width: null,
			height: null,
			framerate: null,
			bitrate: a.bitrate ?? null,
			sampleRate: a.sampleRate,
			channels: a.numberOfChannels,
			playable: a.container.kind === "legacy",
		});
	}
	return out;
}

/**
 * Resolves a choice for one kind against the renditions. An explicit name must exist, be of this
 * kind and be playable (NOT_FOUND / INVALID_ARGUMENT / UNSUPPORTED otherwise). Without one, video
 * takes the playable rendition with the most coded pixels and audio the first playable one.
 */
export function pickRendition(renditions: readonly MonitorRendition[], kind: "video" | "audio", choice: RenditionChoice): string | null {
	if (choice === null) return null;
	if (choice !== undefined) {
		const found = renditions.find((r) => r.name === choice);
		if (!found) throw new StudioError("NOT_FOUND", `the catalog has no rendition ${JSON.stringify(choice)}`);
		if (found.kind !== kind) throw new StudioError("INVALID_ARGUMENT", `rendition ${JSON.stringify(choice)} is ${found.kind}, not ${kind}`);
		if (!found.playable) throw new StudioError("UNSUPPORTED", `rendition ${JSON.stringify(choice)} uses the ${found.container} container, which the monitor cannot play`);
		return found.name;
	}
	const candidates = renditions.filter((r) => r.kind === kind && r.playable);
	if (kind === "audio") return candidates[0]?.name ?? null;
	let best: MonitorRendition | undefined;
	for (const r of candidates) if (!best || area(r) > area(best)) best = r;
	return best?.name ?? null;
}

function area(r: MonitorRendition): number {
	return (r.width ?? 0) * (r.height ?? 0);
}

/** The config message describing `selection` in `catalog` (a missing rendition reads as none). */
export function monitorConfig(catalog: Catalog, selection: Selection, epoch: number): MonitorConfig {
	const v: VideoRendition | undefined = selection.video === null ? undefined : catalog.video?.renditions[selection.video];
	const a: AudioRendition | undefined = selection.audio === null ? undefined : catalog.audio?.renditions[selection.audio];
	return {
		epoch,
		video:
			v && selection.video !== null
				? {
						track: selection.video,
						config: {
							codec: v.codec,
							...(v.description !== undefined ? { description: v.description } : {}),
							...(v.codedWidth !== undefined ? { codedWidth: v.codedWidth } : {}),
							...(v.codedHeight !== undefined ? { codedHeight: v.codedHeight } : {}),
							...(v.displayAspectWidth !== undefined ? { displayAspectWidth: v.displayAspectWidth } : {}),
							...(v.displayAspectHeight !== undefined ? { displayAspectHeight: v.displayAspectHeight } : {}),
							...(v.optimizeForLatency !== undefined ? { optimizeForLatency: v.optimizeForLatency } : {}),
						},
					}
				: null,
		audio:
			a && selection.audio !== null
				? {
						track: selection.audio,
						config: {
							codec: a.codec,
							...(a.description !== undefined ? { description: a.description } : {}),
							sampleRate: a.sampleRate,
							numberOfChannels: a.numberOfChannels,
						},
					}
				: null,
	};
}
