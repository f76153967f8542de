/**
 * The hang catalog (`catalog.json`): what a broadcast carries and how to decode it.
 *
 * Mirrors `@moq/hang` 0.3.5's `catalog/` schemas (root, video, audio, container) so a broadcast
 * published here plays in `<moq-watch>` and a broadcast from `<moq-publish>` records here:
 * `{ video?: { renditions: { [track]: VideoRendition }, display?, rotation?, flip? },
 *    audio?: { renditions: { [track]: AudioRendition } } }`.
 * Binary fields (`description`) are lowercase hex; `container` defaults to `{ kind: "legacy" }`.
 * Unknown root sections and unknown container kinds pass through untouched, as in hang.
 */
import { z } from "zod";
import { StudioError } from "../../../shared/errors";

/** The catalog track's name in a hang broadcast. */
export const CATALOG_TRACK = "catalog.json";

/** Delivery priority per track kind (higher is sent first), as hang's `PRIORITY`. */
export const PRIORITY = { catalog: 100, audio: 80, video: 60 } as const;

/** Suffix that tells consumers a broadcast's catalog format is hang (`demo/show.hang`). */
export const HANG_SUFFIX = ".hang";

/** The name of the `index`-th video rendition track this app publishes (`video0`, `video1`, ...). */
export function videoTrackName(index: number): string {
	return `video${index}`;
}

/** The name of the `index`-th audio rendition track this app publishes (`audio0`, `audio1`, ...). */
export function audioTrackName(index: number): string {
	return `audio${index}`;
}

const u53 = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const hex = z.string().regex(/^([0-9a-fA-F]{2})*$/, "expected hex");

const KNOWN_CONTAINERS = ["legacy", "cmaf", "loc"];

/** A rendition's frame container; only `legacy` is read and written by this app. */
export const ContainerSchema = z
	.union([
		z.discriminatedUnion("kind", [
			z.object({ kind: z.literal("legacy") }),
			z.object({ kind: z.literal("cmaf"), init: z.base64() }),
			z.object({ kind: z.literal("loc") }),
		]),
		// A future container: kept verbatim so one odd rendition does not sink the catalog.
		z.looseObject({ kind: z.string().refine((k) => !KNOWN_CONTAINERS.includes(k)) }).transform((raw) => ({ kind: "unknown" as const, raw })),
	])
	.default({ kind: "legacy" });

/** A rendition's frame container, parsed. */
export type Container = z.output<typeof ContainerSchema>;

/** One video rendition: a WebCodecs `VideoDecoderConfig` plus hang's extras. */
export const VideoRenditionSchema = z.object({
	broadcast: z.string().optional(),
	codec: z.string().min(1),
	container: ContainerSchema,
	description: hex.optional(),
	codedWidth: u53.optional(),
	codedHeight: u53.optional(),
	displayAspectWidth: u53.optional(),
	displayAspectHeight: u53.optional(),
	framerate: z.number().positive().optional(),
	bitrate: u53.optional(),
	optimizeForLatency: z.boolean().optional(),
	jitter: u53.optional(),
	timeline: z.unknown().optional(),
});

/** One video rendition, parsed. */
export type VideoRendition = z.output<typeof VideoRenditionSchema>;

/** One audio rendition: a WebCodecs `AudioDecoderConfig` plus hang's extras. */
export const AudioRenditionSchema = z.object({
	broadcast: z.string().optional(),
	codec: z.string().min(1),
	container: ContainerSchema,
	description: hex.optional(),
	sampleRate: u53,
	numberOfChannels: u53,
	bitrate: u53.optional(),
	jitter: u53.optional(),
	timeline: z.unknown().optional(),
});

/** One audio rendition, parsed. */
export type AudioRendition = z.output<typeof AudioRenditionSchema>;

const VideoSectionSchema = z.union([
	z.object({
		renditions: z.record(z.string(), VideoRenditionSchema),
		display: z.object({ width: u53, height: u53 }).optional(),
		rotation: z.number().optional(),
		flip: z.boolean().optional(),
	}),
	// hang's backwards compatibility: an array of { track, config }.
	z.array(z.object({ track: z.object({ name: z.string() }), config: VideoRenditionSchema })).transform((arr) => ({
		renditions: Object.fromEntries(arr.map((i) => [i.track.name, i.config])),
	})),
]);

const AudioSectionSchema = z.union([
	z.object({ renditions: z.record(z.string(), AudioRenditionSchema) }),
	// hang's backwards compatibility: a single { track, config }.
	z.object({ track: z.object({ name: z.string() }), config: AudioRenditionSchema }).transform((old) => ({
		renditions: { [old.track.name]: old.config },
	})),
]);

/** The root catalog; unknown sections pass through (hang's `RootSchema` is a loose object). */
export const CatalogSchema = z.looseObject({
	video: VideoSectionSchema.optional(),
	audio: AudioSectionSchema.optional(),
});

/** A parsed hang catalog. */
export type Catalog = z.output<typeof CatalogSchema>;

/** A catalog this app writes: renditions keyed by track name. */
export interface CatalogInput {
	video?: { renditions: Record<string, VideoRendition>; display?: { width: number; height: number }; rotation?: number; flip?: boolean };
	audio?: { renditions: Record<string, AudioRendition> };
}

/** Lowercase hex of `bytes` (the catalog's encoding of `description`). */
export function toHex(bytes: Uint8Array): string {
	let out = "";
	for (const b of bytes) out += b.toString(16).padStart(2, "0");
	return out;
}

/** Bytes of a hex string; throws MEDIA on anything that is not even-length hex. */
export function fromHex(text: string): Uint8Array {
	if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new StudioError("MEDIA", "catalog description is not hex");
	const out = new Uint8Array(text.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
	return out;
}

/**
 * Validates a catalog value (already JSON-parsed). Throws MEDIA with the first schema problem,
 * never anything else, so garbage from the network cannot crash a consumer.
 */
export function validateCatalog(value: unknown): Catalog {
	const result = CatalogSchema.safeParse(value);
	if (!result.success) {
		const issue = result.error.issues[0];
		const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
		throw new StudioError("MEDIA", `invalid hang catalog${where}: ${issue?.message ?? "schema mismatch"}`);
	}
	return result.data;
}

/** Parses catalog bytes (UTF-8 JSON). Throws MEDIA on invalid UTF-8, JSON or schema. */
export function parseCatalog(bytes: Uint8Array): Catalog {
	let value: unknown;
	try {
		value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
	} catch (err) {
		throw new StudioError("MEDIA", `catalog.json is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
	}
	return validateCatalog(value);
}

/**
 * Serializes a catalog to UTF-8 JSON bytes after validating it, so this app never publishes a
 * catalog hang's schema would reject (e.g. a base64 description). Throws MEDIA when invalid.
 */
export function serializeCatalog(catalog: CatalogInput): Uint8Array {
	validateCatalog(catalog);
	return new TextEncoder().encode(JSON.stringify(catalog));
}

/**
 * RFC 7396 JSON merge patch, which hang's catalog track (via `@moq/json` snapshot/delta) uses for
 * every frame after a group's first. Returns a new value; inputs are not mutated.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
	if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
	const base: Record<string, unknown> =
		typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
	for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
		if (value === null) delete base[key];
		else base[key] = mergePatch(base[key], value);
	}
	return base;
}
