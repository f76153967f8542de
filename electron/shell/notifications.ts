/**
 * Desktop notifications for what matters while the window is hidden: a session gave up, a
 * session came back after being down a while, a recording finished or failed, going live started
 * or stopped. Clicking one shows the window on the view concerned. Each kind has a setting.
 *
 * Built over the engine's events and the busy state, with Electron's `Notification` behind a
 * factory, so it is tested in Node.
 */
import type { EventName } from "../../shared/contract";
import type { DiskSpace, RecordingInfo } from "../../shared/recordings";
import { lowSpaceMessage } from "../engine/recordings/disk-space";
import type { SessionState } from "../../shared/sessions";
import type { BusyLive, BusySummary } from "../engine/busy";
import type { ShellView } from "../../shared/shell-channel";
import type { BusyObservable } from "./electron-like";
import { ShellPreference, type ShellSettings } from "./settings";

/** The part of an Electron `Notification` used here. */
export interface NotificationLike {
	on(event: "click", listener: () => void): unknown;
	show(): void;
}

/** What a notification says. */
export interface NotificationContent {
	title: string;
	body: string;
}

/**
 * Creates a notification (Electron: `new Notification(content)`). `target` is where a click
 * leads, for a host that shows the notification elsewhere (the web host hands it to the page).
 */
export type NotificationFactory = (content: NotificationContent, target: { view: ShellView; id: string }) => NotificationLike;

/** The kinds of notification, each with its own setting. */
export type NoticeKind = "session-failed" | "session-reconnected" | "recording-finished" | "recording-failed" | "live-started" | "live-stopped" | "disk-space-low";

/** One notification as the notifier decided it (also what tests look at). */
export interface Notice extends NotificationContent {
	kind: NoticeKind;
	/** Where a click leads. */
	view: ShellView;
	id: string;
}

const SETTING: Record<NoticeKind, (typeof ShellPreference)[keyof typeof ShellPreference]> = {
	"session-failed": ShellPreference.notifySessionFailed,
	"session-reconnected": ShellPreference.notifySessionReconnected,
	"recording-finished": ShellPreference.notifyRecording,
	"recording-failed": ShellPreference.notifyRecording,
	"disk-space-low": ShellPreference.notifyRecording,
	"live-started": ShellPreference.notifyLive,
	"live-stopped": ShellPreference.notifyLive,
};

/** A session down at least this long gets a "reconnected" notice when it comes back. */
export const RECONNECT_NOTICE_AFTER_MS = 10_000;

/** Options of {@link Notifier}. */
export interface NotifierOptions {
	events: { listen(listener: (event: EventName, payload: unknown) => void): () => void };
	busy: BusyObservable;
	/** Absent (or `supported()` false) when the platform cannot show notifications. */
	create: NotificationFactory;
	supported?: () => boolean;
	settings: ShellSettings;
	/** A click: show the window on `view` (and the item `id`). */
	open: (view: ShellView, id: string) => void;
	reconnectNoticeAfterMs?: number;
	now?: () => number;
}

/** Turns engine events into desktop notifications. */
export class Notifier {
	readonly #options: NotifierOptions;
	readonly #cleanups: (() => void)[] = [];
	/** Per session: the last phase seen, and since when it has been down. */
	readonly #sessions = new Map<string, { phase: SessionState["phase"]; downSince: number | null }>();
	/** Recordings already announced as ended (their last progress events repeat the state). */
	readonly #recordingsEnded = new Set<string>();
	#muted = false;
	/** The recordings folder's space was low at the last `recordings.disk` event: one notice per drop. */
	#diskLow = false;

	constructor(options: NotifierOptions) {
		this.#options = options;
		this.#cleanups.push(options.events.listen((event, payload) => this.#onEvent(event, payload)));
		this.#cleanups.push(options.busy.subscribe((now, before) => this.#onBusy(now, before)));
	}

	/** Stops notifying (for the quit: everything stopping is not news). */
	mute(): void {
		this.#muted = true;
	}

	/** Stops following the engine. */
	close(): void {
		this.#muted = true;
		for (const c of this.#cleanups.splice(0)) c();
	}

	/** Shows `notice` unless muted, unsupported or switched off. Returns whether it was shown. */
	notify(notice: Notice): boolean {
		if (this.#muted) return false;
		if (this.#options.supported && !this.#options.supported()) return false;
		if (!this.#options.settings.get(SETTING[notice.kind])) return false;
		const n = this.#options.create({ title: notice.title, body: notice.body }, { view: notice.view, id: notice.id });
		n.on("click", () => this.#options.open(notice.view, notice.id));
		n.show();
		return true;
	}

	/** A notice outside the kinds (the one-time "still running in the tray"); a click opens `view`. */
	notice(title: string, body: string, view: ShellView = "golive"): boolean {
		if (this.#muted || (this.#options.supported && !this.#options.supported())) return false;
		const n = this.#options.create({ title, body }, { view, id: "" });
		n.on("click", () => this.#options.open(view, ""));
		n.show();
		return true;
	}

	#onEvent(event: EventName, payload: unknown): void {
		if (event === "sessions.state") this.#onSession((payload as { session: SessionState }).session);
		else if (event === "sessions.removed") this.#sessions.delete((payload as { id: string }).id);
		else if (event === "recordings.progress") this.#onRecording(payload as RecordingInfo);
		else if (event === "recordings.disk") this.#onDisk(payload as DiskSpace);
	}

	#onDisk(d: DiskSpace): void {
		const was = this.#diskLow;
		this.#diskLow = d.low;
		if (!d.low || was) return;
		this.notify({
			kind: "disk-space-low",
			view: "recordings",
			id: "",
			title: "Disk space low",
			body: lowSpaceMessage(d, "recordings stop cleanly and no new one starts").replace(/^disk space low: /, ""),
		});
	}

	#onSession(s: SessionState): void {
		const now = (this.#options.now ?? Date.now)();
		const seen = this.#sessions.get(s.id) ?? { phase: "connecting", downSince: null };
		const previous = seen.phase;
		seen.phase = s.phase;
		this.#sessions.set(s.id, seen);
		const name = s.embedded ? "The local relay session" : `The session to ${s.url}`;
		if (s.phase === "failed" && previous !== "failed") {
			// The engine's message already starts with "gave up reconnecting": keep only the why.
			const reason = s.lastError?.message.replace(/^gave up reconnecting:\s*/i, "");
			this.notify({
				kind: "session-failed",
				view: "sessions",
				id: s.id,
				title: "Session gave up",
				body: `${name} stopped reconnecting${reason ? ` (${reason})` : ""}.`,
			});
			return;
		}
		if (s.phase === "connected") {
			const downFor = seen.downSince === null ? 0 : now - seen.downSince;
			seen.downSince = null;
			const threshold = this.#options.reconnectNoticeAfterMs ?? RECONNECT_NOTICE_AFTER_MS;
			if (previous !== "connected" && s.reconnects > 0 && downFor >= threshold) {
				this.notify({
					kind: "session-reconnected",
					view: "sessions",
					id: s.id,
					title: "Session reconnected",
					body: `${name} is back after ${Math.round(downFor / 1000)} s down.`,
				});
			}
			return;
		}
		// Down since it left "connected" (the first connect does not count: it was never up).
		if (previous === "connected" && seen.downSince === null) seen.downSince = now;
	}

	#onRecording(r: RecordingInfo): void {
		if ((r.state !== "finished" && r.state !== "failed") || this.#recordingsEnded.has(r.id)) return;
		this.#recordingsEnded.add(r.id);
		// The "Disk space low" notice already says that recordings stopped.
		if (r.end === "disk-low") return;
		if (r.state === "failed") {
			this.notify({
				kind: "recording-failed",
				view: "recordings",
				id: r.id,
				title: "Recording failed",
				body: `${r.path}: ${r.error?.message ?? "unknown error"}`,
			});
		} else if (r.file) {
			this.notify({ kind: "recording-finished", view: "recordings", id: r.id, title: "Recording finished", body: `${r.path} → ${r.file}` });
		}
	}

	#onBusy(now: BusySummary, before: BusySummary): void {
		const ids = (list: BusyLive[]) => new Set(list.map((l) => l.id));
		const was = ids(before.live);
		const is = ids(now.live);
		const label = (l: BusyLive) => (l.kind === "file" ? `Publishing ${l.path}` : l.path);
		for (const l of now.live) {
			if (!was.has(l.id)) this.notify({ kind: "live-started", view: "golive", id: l.id, title: "You are live", body: label(l) });
		}
		for (const l of before.live) {
			if (!is.has(l.id)) this.notify({ kind: "live-stopped", view: "golive", id: l.id, title: "Stopped going live", body: label(l) });
		}
	}
}
