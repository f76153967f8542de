/**
 * Sessions in the contract: how to connect one, its live state, and its statistics.
 */
import { z } from "zod";
import { OriginId } from "./models";

/** Backoff settings in milliseconds; see the engine's `BackoffSettings`. */
export const BackoffInput = z
	.object({
		initial: z.number().int().min(0).max(600_000),
		multiplier: z.number().min(1).max(10),
		max: z.number().int().min(0).max(3_600_000),
		/** Give up after failing this long since the last success; 0 retries forever. */
		timeout: z.number().int().min(0).max(7 * 24 * 3_600_000),
	})
	.partial()
	.strict();

/** The transport a session should use. */
export const TransportChoice = z.enum(["auto", "websocket", "webtransport"]);

/** Arguments of `sessions.connect`, libmoq's `moq_session_connect` with the studio's options. */
export const SessionConnectArgs = z
	.object({
		url: z.string().min(1).max(2048),
		publishOrigin: OriginId.optional(),
		consumeOrigin: OriginId.optional(),
		/** Only consume announcements under this path prefix. */
		prefix: z.string().max(1024).optional(),
		/**
		 * A relay token (JWT); sent as `?jwt=` and never shown or logged. A `?jwt=` written in
		 * `url` is moved here (and out of the URL); when both are given, this one wins.
		 */
		token: z.string().max(8192).optional(),
		/** The relay certificate's sha-256 (hex), to trust a self-signed relay. */
		certificateSha256: z.string().max(200).optional(),
		transport: TransportChoice.optional(),
		/**
		 * The relay's WebTransport listener when it is not at `url`'s port over UDP (HTTP/3), e.g.
		 * an HTTP/2 WebTransport listener `https://host:port/`; pinned like `url`.
		 */
		webTransportUrl: z.string().url().max(2048).optional(),
		backoff: BackoffInput.optional(),
		connectTimeoutMs: z.number().int().min(100).max(120_000).optional(),
		stallTimeoutMs: z.number().int().min(200).max(600_000).optional(),
		/** Offer only these MoQ protocols (e.g. `["moqt-17"]`), for interop testing. */
		protocols: z.array(z.string().max(64)).min(1).max(20).optional(),
	})
	.strict();
/** @see SessionConnectArgs */
export type SessionConnectArgs = z.input<typeof SessionConnectArgs>;

/** What a session is doing now. */
export const SessionPhase = z.enum(["connecting", "connected", "backoff", "closed", "failed"]);
/** @see SessionPhase */
export type SessionPhase = z.infer<typeof SessionPhase>;

const ErrorInfo = z.object({ code: z.number(), name: z.string(), message: z.string() });

/** A session's live state, for the UI. `url` is redacted. */
export const SessionState = z.object({
	id: z.string(),
	url: z.string(),
	phase: SessionPhase,
	/** The current connection epoch (0 before the first connect). */
	epoch: z.number().int(),
	reconnects: z.number().int(),
	/** Failed attempts since the last success. */
	attempt: z.number().int(),
	transport: z.enum(["websocket", "webtransport"]).nullable(),
	/** Which exact transport carries the connection (absent before the first connect); `in-process` is the studio's own session to its embedded relay, over memory. */
	transportKind: z.enum(["webtransport-h3", "webtransport-h2", "websocket", "in-process"]).optional(),
	/** The negotiated MoQ version, e.g. `moq-lite-05`. */
	version: z.string().nullable(),
	/** `Date.now()` of the next retry while in backoff. */
	nextRetryAt: z.number().nullable(),
	/** The last error in plain words. */
	lastError: ErrorInfo.nullable(),
	connectedAt: z.number().nullable(),
	/** The terminal status once closed (0) or failed (negative). */
	terminalCode: z.number().int().nullable(),
	publishOrigin: z.string().nullable(),
	consumeOrigin: z.string().nullable(),
	prefix: z.string(),
	/** True for the session to the studio's own embedded relay. */
	embedded: z.boolean(),
});
/** @see SessionState */
export type SessionState = z.infer<typeof SessionState>;

/** Counters of one track of a broadcast on one session. */
export const TrackStats = z.object({
	name: z.string(),
	frames: z.number(),
	bytes: z.number(),
	groups: z.number(),
	subscribers: z.number(),
});

/**
 * Counters of one broadcast on one session. Published broadcasts count what this session sends
 * (per track too); consumed ones are listed with zero counters, their traffic is in the session's
 * bytes in.
 */
export const BroadcastStats = z.object({
	path: z.string(),
	direction: z.enum(["publish", "consume"]),
	frames: z.number(),
	bytes: z.number(),
	groups: z.number(),
	subscribers: z.number(),
	/** Bits per second sent for this broadcast, smoothed. */
	bitrate: z.number(),
	tracks: z.array(TrackStats),
});
/** @see BroadcastStats */
export type BroadcastStats = z.infer<typeof BroadcastStats>;

/** A session's counters and rates (bits per second). */
export const SessionStats = z.object({
	id: z.string(),
	epoch: z.number().int(),
	reconnects: z.number().int(),
	bytesIn: z.number(),
	bytesOut: z.number(),
	bitrateIn: z.number(),
	bitrateOut: z.number(),
	connectedMs: z.number(),
	/** Bytes accepted but not yet on the wire: growth means congestion. */
	queuedBytes: z.number(),
	/** What the path has recently carried; the engine's bandwidth estimate. */
	estimatedSendBps: z.number(),
	/**
	 * What reached the relay, b/s, as the WebSocket's pongs prove it (each comes back behind
	 * every byte sent before its ping); absent before the first pong and on WebTransport.
	 */
	deliveredBps: z.number().optional(),
	/** The latest ping's round trip, or the age of one still unanswered if longer, ms; absent like {@link deliveredBps}. */
	rttMs: z.number().optional(),
	broadcasts: z.array(BroadcastStats),
});
/** @see SessionStats */
export type SessionStats = z.infer<typeof SessionStats>;

/** A session's configuration as the UI may see it: the token is replaced by whether one is set. */
export const SessionConfigView = SessionConnectArgs.omit({ token: true }).extend({ hasToken: z.boolean() });
/** @see SessionConfigView */
export type SessionConfigView = z.infer<typeof SessionConfigView>;

/** User preferences the engine persists for the UI (theme, filters, ...): small JSON values. */
export const Preferences = z.record(z.string().max(64), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]));
/** @see Preferences */
export type Preferences = z.infer<typeof Preferences>;
