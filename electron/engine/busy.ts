/**
 * The studio's busy state: one observable summary of what a quit, a sleep or a closed window
 * would interrupt — live broadcasts (Go Live and file publications), running recordings — and of
 * the sessions that gave up. The desktop shell drives everything from it (power blocker, tray,
 * quit confirmation, close-to-tray); the engine stays Electron-free, so it is tested in Node.
 *
 * It is built from the outside of a `Studio` (its managers' `list()` and its event bus), so the
 * engine root needs no knowledge of it.
 */
import type { EventName } from "../../shared/contract";
import type { LiveBroadcastInfo } from "../../shared/media";
import type { FilePublishInfo, RecordingInfo } from "../../shared/recordings";
import type { SessionState } from "../../shared/sessions";

/** One broadcast the studio is sending right now. */
export interface BusyLive {
	id: string;
	/** `golive`: fed by the renderer's encoders; `file`: a media file published by the engine. */
	kind: "golive" | "file";
	originId: string;
	path: string;
	startedAt: number;
}

/** One recording that has not ended (waiting for its broadcast, or writing). */
export interface BusyRecording {
	id: string;
	originId: string;
	path: string;
	/** The file, once created. */
	file: string | null;
	state: "waiting" | "recording";
}

/** One session that stopped reconnecting (gave up). */
export interface BusyFailedSession {
	id: string;
	/** Redacted. */
	url: string;
	error: string | null;
}

/** The single state the tray shows: the most urgent of what is going on. */
export type BusyLevel = "idle" | "recording" | "live" | "failed";

/** What the studio is doing now. */
export interface BusySummary {
	live: BusyLive[];
	recordings: BusyRecording[];
	failedSessions: BusyFailedSession[];
	/** True while anything is live or recording: what a quit, a sleep or a closed window would cut. */
	busy: boolean;
	/** Failed beats live beats recording beats idle: a session that gave up needs the user first. */
	level: BusyLevel;
}

/** The slices of a `Studio` the busy state reads; a `Studio` satisfies it as it is. */
export interface BusySource {
	events: { listen(listener: (event: EventName, payload: unknown) => void): () => void };
	golive: { list(): LiveBroadcastInfo[] };
	publishing: { list(): FilePublishInfo[] };
	recordings: { list(): RecordingInfo[] };
	sessions: { list(): SessionState[] };
}

/** Receives the summary after each change, with the one before it. */
export type BusyListener = (now: BusySummary, before: BusySummary) => void;

/** Events after which the summary may have changed. */
const RELEVANT = new Set<EventName>(["golive.stats", "publishing.progress", "recordings.progress", "sessions.state", "sessions.status", "sessions.removed"]);

/**
 * How often the lists are read again even without an event. A Go Live announces itself only
 * with its first once-a-second stats event, so this bounds how late a start is seen, and it
 * catches any change that came without an event.
 */
export const BUSY_POLL_MS = 1000;

/** Reads the summary from the managers' lists. */
export function readBusy(source: BusySource): BusySummary {
	const live: BusyLive[] = [
		...source.golive.list().map((l) => ({ id: l.id, kind: "golive" as const, originId: l.originId, path: l.path, startedAt: l.startedAt })),
		...source.publishing
			.list()
			.filter((p) => p.state === "publishing")
			.map((p) => ({ id: p.id, kind: "file" as const, originId: p.originId, path: p.path, startedAt: p.startedAt })),
	];
	const recordings: BusyRecording[] = source.recordings
		.list()
		.filter((r): r is RecordingInfo & { state: "waiting" | "recording" } => r.state === "waiting" || r.state === "recording")
		.map((r) => ({ id: r.id, originId: r.originId, path: r.path, file: r.file, state: r.state }));
	const failedSessions: BusyFailedSession[] = source.sessions
		.list()
		.filter((s) => s.phase === "failed")
		.map((s) => ({ id: s.id, url: s.url, error: s.lastError?.message ?? null }));
	const level: BusyLevel = failedSessions.length > 0 ? "failed" : live.length > 0 ? "live" : recordings.length > 0 ? "recording" : "idle";
	return { live, recordings, failedSessions, busy: live.length > 0 || recordings.length > 0, level };
}

/** Compares two summaries by what they name (ids and states), not by counters. */
function sameSummary(a: BusySummary, b: BusySummary): boolean {
	const key = (s: BusySummary) =>
		JSON.stringify([s.live.map((l) => `${l.kind}:${l.id}`), s.recordings.map((r) => `${r.id}:${r.state}:${r.file ?? ""}`), s.failedSessions.map((f) => f.id)]);
	return key(a) === key(b);
}

/** The observable busy state of one studio. */
export class BusyState {
	readonly #source: BusySource;
	readonly #listeners = new Set<BusyListener>();
	readonly #unlisten: () => void;
	readonly #timer: ReturnType<typeof setInterval>;
	#current: BusySummary;
	#closed = false;

	/** Starts following `source` (a `Studio`); `pollMs` bounds how late a change without an event is seen. */
	constructor(source: BusySource, options: { pollMs?: number } = {}) {
		this.#source = source;
		this.#current = readBusy(source);
		// Re-read after the emitting call returns: a manager emits before some of its own
		// bookkeeping settles (a recording's entry is stored just after its first event).
		this.#unlisten = source.events.listen((event) => {
			if (RELEVANT.has(event)) queueMicrotask(() => this.refresh());
		});
		this.#timer = setInterval(() => this.refresh(), options.pollMs ?? BUSY_POLL_MS);
		this.#timer.unref?.();
	}

	/** The current summary (a snapshot: later changes do not mutate it). */
	get current(): BusySummary {
		return this.#current;
	}

	/** Calls `listener` after every change; returns the function that removes it. */
	subscribe(listener: BusyListener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Reads the managers again and notifies listeners when what is going on changed. */
	refresh(): BusySummary {
		if (this.#closed) return this.#current;
		let next: BusySummary;
		try {
			next = readBusy(this.#source);
		} catch {
			// A manager mid-shutdown may refuse to list: keep the last known state.
			return this.#current;
		}
		if (sameSummary(next, this.#current)) {
			this.#current = next;
			return next;
		}
		const before = this.#current;
		this.#current = next;
		for (const l of [...this.#listeners]) {
			try {
				l(next, before);
			} catch {
				// One broken consumer (a tray that is gone) must not starve the others.
			}
		}
		return next;
	}

	/** Stops following the studio; listeners hear nothing more. Idempotent. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#unlisten();
		clearInterval(this.#timer);
		this.#listeners.clear();
	}
}
