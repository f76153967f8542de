/**
 * The contract between the renderer and the engine: every method with the schema of its
 * arguments and of its result, and every event with the schema of its payload.
 *
 * Both hosts (Electron IPC and the loopback web host) serve exactly this table and validate
 * every incoming message against it; the renderer's `StudioApi` is derived from it, so a call
 * with the wrong shape does not compile.
 */
import { z } from "zod";
import { AppInfo, LogEntry, LogLevel, Origin, OriginId, OriginName } from "./models";
import { AnnouncedBroadcast, BroadcastsChanged } from "./broadcasts";
import { CaptureSource, GoLiveStartArgs, LiveBroadcastInfo } from "./media";
import { MediaProbe, MediaProbeArgs } from "./media-file";
import { SHELL_VIEWS } from "./shell-channel";
import { MonitorInfo, MonitorOpenArgs, MonitorSelectArgs } from "./monitor";
import {
	DiskSpace,
	LibraryFinalizeArgs,
	RecordingSettings,
	RecordingSettingsPatch,
	FilePublishArgs,
	FilePublishInfo,
	LibraryFile,
	LibraryFileName,
	LibraryListing,
	LibraryRenameArgs,
	RecordingInfo,
	RecordingStartArgs,
} from "./recordings";
import { PlaybackControlArgs, PlaybackInfo, PlaybackOpenArgs, ReplayArgs } from "./playback";
import { AutoRecordRule, AutoRecordRuleArgs } from "./auto-record";
import { Preferences, SessionConfigView, SessionConnectArgs, SessionState, SessionStats } from "./sessions";
import { SceneCollection, ScenesSetArgs } from "./scenes";

/** A method's declaration: the schema of its arguments and of its result. */
export interface MethodSpec<A extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
	args: A;
	result: R;
}

const method = <A extends z.ZodType, R extends z.ZodType>(args: A, result: R): MethodSpec<A, R> => ({ args, result });

const NoArgs = z.object({}).strict();

/** Every method of the contract. Names are `area.verb`. */
export const methods = {
	"app.info": method(NoArgs, AppInfo),
	"origins.list": method(NoArgs, z.array(Origin)),
	"origins.create": method(z.object({ name: OriginName }).strict(), Origin),
	"origins.rename": method(z.object({ id: OriginId, name: OriginName }).strict(), Origin),
	"origins.delete": method(z.object({ id: OriginId }).strict(), z.object({ id: OriginId })),
	"sessions.connect": method(SessionConnectArgs, z.object({ id: z.string() })),
	"sessions.list": method(NoArgs, z.array(SessionState)),
	"sessions.close": method(z.object({ id: z.string().max(64) }).strict(), SessionState),
	"sessions.remove": method(z.object({ id: z.string().max(64) }).strict(), z.object({ id: z.string() })),
	"sessions.stats": method(z.object({ id: z.string().max(64) }).strict(), SessionStats),
	"sessions.wake": method(NoArgs, z.null()),
	"sessions.config": method(z.object({ id: z.string().max(64) }).strict(), SessionConfigView),
	"sessions.update": method(z.object({ id: z.string().max(64), config: SessionConnectArgs }).strict(), z.object({ id: z.string() })),
	"sessions.restart": method(z.object({ id: z.string().max(64) }).strict(), z.object({ id: z.string() })),
	"preferences.get": method(NoArgs, Preferences),
	"preferences.set": method(z.object({ preferences: Preferences }).strict(), Preferences),
	/** The Go Live scenes (issue 16), persisted by the engine. */
	"scenes.get": method(NoArgs, SceneCollection),
	/** Replaces the scenes; INVALID_ARGUMENT when they are too large to save. */
	"scenes.set": method(ScenesSetArgs, SceneCollection),
	"golive.start": method(GoLiveStartArgs, LiveBroadcastInfo),
	"golive.stop": method(z.object({ id: z.string().max(64) }).strict(), z.object({ id: z.string() })),
	"golive.list": method(NoArgs, z.array(LiveBroadcastInfo)),
	/** Screens and windows the desktop host can capture (UNSUPPORTED in a browser, which shows its own picker). */
	"capture.sources": method(NoArgs, z.array(CaptureSource)),
	/** The source the next screen capture uses; null lets the OS picker decide. */
	"capture.select": method(z.object({ id: z.string().max(200).nullable() }).strict(), z.null()),
	"recordings.start": method(RecordingStartArgs, RecordingInfo),
	"recordings.stop": method(z.object({ id: z.string().max(64) }).strict(), RecordingInfo),
	"recordings.list": method(NoArgs, z.array(RecordingInfo)),
	/** Every media file in the recordings folder (also from before a restart, or cut by a crash), newest first. */
	"recordings.library": method(NoArgs, LibraryListing),
	/** Renames a file of the folder (and its sidecar); ALREADY_EXISTS, FORBIDDEN (escapes the folder), INVALID_ARGUMENT. */
	"recordings.rename": method(LibraryRenameArgs, LibraryFile),
	/** Deletes a file of the folder (to the OS trash in the desktop host); refused while it is being recorded. */
	"recordings.delete": method(z.object({ name: LibraryFileName }).strict(), z.object({ name: z.string() })),
	/** Shows a file of the folder in the system's file manager (desktop host; UNSUPPORTED in the web host, which shows the path). */
	"recordings.reveal": method(z.object({ name: LibraryFileName }).strict(), z.null()),
	/** Auto-record rules with what each recorded, oldest rule first. */
	"recordings.rules": method(NoArgs, z.array(AutoRecordRule)),
	/** Records every broadcast of an origin under a path prefix ("" = all); NOT_FOUND origin, ALREADY_EXISTS, INVALID_ARGUMENT, LIMIT. */
	"recordings.rules.create": method(AutoRecordRuleArgs, AutoRecordRule),
	/** Deletes a rule; resolves once its running recordings stopped with complete files. */
	"recordings.rules.delete": method(z.object({ id: z.string().max(64) }).strict(), z.object({ id: z.string() })),
	/** Writes an interrupted file again as a regular MP4 beside it (same packets); INVALID_ARGUMENT for a complete file, IO when space is short. */
	"recordings.finalize": method(LibraryFinalizeArgs, LibraryFile),
	/** Free space of the recordings folder, measured now. */
	"recordings.disk": method(NoArgs, DiskSpace),
	/** The recording settings: the folder new recordings go to and the free space they need. */
	"recordings.settings": method(NoArgs, RecordingSettings),
	/** Changes the recording settings (persisted); INVALID_ARGUMENT for a relative folder, IO for one that cannot be used. */
	"recordings.configure": method(RecordingSettingsPatch, RecordingSettings),
	/** Publishes a file of the recordings folder into an origin as a broadcast at its own timing (a file publication: `publishing.stop` ends it). */
	"recordings.replay": method(ReplayArgs, FilePublishInfo),
	/** Plays a file of the recordings folder in the studio's player: the engine sends it on the returned `channel`, paced. */
	"playback.open": method(PlaybackOpenArgs, PlaybackInfo),
	/** Plays, pauses or seeks a playback (a seek restarts at the video keyframe at or before the target). */
	"playback.control": method(PlaybackControlArgs, PlaybackInfo),
	"playback.close": method(z.object({ id: z.string().max(64) }).strict(), z.object({ id: z.string() })),
	"playback.list": method(NoArgs, z.array(PlaybackInfo)),
	"publishing.start": method(FilePublishArgs, FilePublishInfo),
	"publishing.stop": method(z.object({ id: z.string().max(64) }).strict(), FilePublishInfo),
	"publishing.list": method(NoArgs, z.array(FilePublishInfo)),
	/** Opens a media file and says what it holds, publishing nothing: IO (unreadable), MEDIA (not media, nothing publishable). */
	"publishing.probe": method(MediaProbeArgs, MediaProbe),
	/** Watch a broadcast: the engine subscribes and forwards frames on the returned `channel`. */
	"monitor.open": method(MonitorOpenArgs, MonitorInfo),
	/** Stops watching; the last monitor of a broadcast releases its subscriptions upstream. */
	"monitor.close": method(z.object({ id: z.string().max(64) }).strict(), z.object({ id: z.string() })),
	/** Switches renditions; the next config message on the channel describes them. */
	"monitor.select": method(MonitorSelectArgs, MonitorInfo),
	"monitor.list": method(NoArgs, z.array(MonitorInfo)),
	"broadcasts.list": method(
		z.object({ prefix: z.string().max(1024).optional(), originId: OriginId.optional() }).strict(),
		z.array(AnnouncedBroadcast),
	),
	"log.recent": method(
		z.object({ level: LogLevel.optional(), limit: z.number().int().min(1).max(5000).optional() }).strict(),
		z.array(LogEntry),
	),
} as const satisfies Record<string, MethodSpec>;

/** Every event the engine pushes to the renderer. */
export const events = {
	/** The full list of origins after any change. */
	"origins.changed": z.object({ origins: z.array(Origin) }),
	/** libmoq's status: epoch > 0 on (re)connect, 0 once on close, negative once on give-up. */
	"sessions.status": z.object({ id: z.string(), code: z.number().int() }),
	/** A session's live state changed. */
	"sessions.state": z.object({ session: SessionState }),
	/** A session was removed. */
	"sessions.removed": z.object({ id: z.string() }),
	/** Broadcasts entering and leaving origins, batched at about 10 Hz. */
	"broadcasts.changed": BroadcastsChanged,
	/** A live broadcast's counters and targets, about once a second while live. */
	"golive.stats": LiveBroadcastInfo,
	/** A recording's state and counters, at most twice a second while it records. */
	"recordings.progress": RecordingInfo,
	/** The recordings folder changed (a recording started or finished, a file was renamed or deleted): list it again. */
	"recordings.library.changed": z.object({ name: z.string().nullable() }),
	/** Every auto-record rule after a change (a rule added or deleted, one of its recordings started or finished), batched. */
	"recordings.rules.changed": z.object({ rules: z.array(AutoRecordRule) }),
	/** Free space of the recordings folder changed visibly (by 1 MB or 1%, or it became low or fine again); about once a second at most. */
	"recordings.disk": DiskSpace,
	/** A file publication's state and counters, at most twice a second. */
	"publishing.progress": FilePublishInfo,
	/** A playback's state and position: on every change and about four times a second while playing. */
	"playback.state": PlaybackInfo,
	/** A monitor's state, catalog and stats: on every change and about twice a second while open. */
	"monitor.state": MonitorInfo,
	/**
	 * Something worth a system notification (a session gave up, a recording ended, going live
	 * started or stopped), for hosts whose page shows it (the web host; the desktop shell shows
	 * its own). A click leads to `view` and the item `id`.
	 */
	"notices.show": z.object({ title: z.string(), body: z.string(), view: z.enum(SHELL_VIEWS), id: z.string() }),
	/** A batch of log lines (batched so a chatty engine does not flood the renderer). */
	"log.entries": z.object({ entries: z.array(LogEntry) }),
} as const satisfies Record<string, z.ZodType>;

/** A method name of the contract. */
export type MethodName = keyof typeof methods;
/** The (input) arguments a method takes. */
export type MethodArgs<M extends MethodName> = z.input<(typeof methods)[M]["args"]>;
/** The arguments after validation, as the engine receives them. */
export type ParsedArgs<M extends MethodName> = z.output<(typeof methods)[M]["args"]>;
/** The result a method resolves with. */
export type MethodResult<M extends MethodName> = z.output<(typeof methods)[M]["result"]>;
/** An event name of the contract. */
export type EventName = keyof typeof events;
/** The payload of an event. */
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

/** True when `name` is a method of the contract (for validating untrusted input). */
export function isMethodName(name: unknown): name is MethodName {
	return typeof name === "string" && Object.hasOwn(methods, name);
}

/** True when `name` is an event of the contract. */
export function isEventName(name: unknown): name is EventName {
	return typeof name === "string" && Object.hasOwn(events, name);
}
