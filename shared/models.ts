/**
 * The models that cross the contract, as zod schemas with their inferred types.
 * One schema per concept; the engine produces these, the renderer displays them.
 */
import { z } from "zod";

/** Which host serves the contract: the Electron main process or the loopback web host. */
export const HostKind = z.enum(["electron", "web"]);
/** @see HostKind */
export type HostKind = z.infer<typeof HostKind>;

/** What the renderer learns about the engine it is talking to. */
export const AppInfo = z.object({
	name: z.string(),
	version: z.string(),
	host: HostKind,
	platform: z.string(),
	/** The embedded relay's client URL when it runs, else null. */
	embeddedRelayUrl: z.string().nullable(),
});
/** @see AppInfo */
export type AppInfo = z.infer<typeof AppInfo>;

/** An origin's id: opaque, stable for the origin's lifetime. */
export const OriginId = z.string().min(1).max(64);

/** A human name for an origin: trimmed, 1 to 80 characters. */
export const OriginName = z
	.string()
	.trim()
	.min(1, "an origin needs a name")
	.max(80, "an origin name has at most 80 characters");

/** A named collection of broadcasts, shareable across sessions. */
export const Origin = z.object({
	id: OriginId,
	name: z.string(),
	/** How many broadcasts the origin holds now (the paths are in `broadcasts.list`). */
	broadcastCount: z.number().int(),
	createdAt: z.number(),
});
/** @see Origin */
export type Origin = z.infer<typeof Origin>;

/** Log levels from most to least severe, as libdatachannel's logger orders them. */
export const LogLevel = z.enum(["error", "warn", "info", "debug", "trace"]);
/** @see LogLevel */
export type LogLevel = z.infer<typeof LogLevel>;

/** One log line; `message` is already redacted of secrets. */
export const LogEntry = z.object({
	at: z.number(),
	level: LogLevel,
	scope: z.string(),
	message: z.string(),
});
/** @see LogEntry */
export type LogEntry = z.infer<typeof LogEntry>;
