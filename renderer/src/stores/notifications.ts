/**
 * Toasts: short messages for the user. Every toast expires (errors stay longest) and none expires
 * while the person is reading it (the stack is hovered or focused: {@link NotificationsState.hold}).
 * Errors are explained in sentences by `lib/errors`; their code and the engine's words go into the
 * toast's details and into the Log view, never into the sentence.
 */
import { create } from "zustand";
import { explainError } from "../lib/errors";
import { useLog } from "./log";

/** One message shown to the user. */
export interface Notice {
	id: number;
	kind: "error" | "warning" | "info";
	title: string;
	detail: string;
	/** The code and the engine's message, behind a "details" disclosure (errors only). */
	technical?: string;
}

/** How long each kind stays on screen, in milliseconds (the clock stops while held). */
export const NOTICE_LIFETIME_MS: Record<Notice["kind"], number> = { error: 15_000, warning: 10_000, info: 5_000 };

/** How many toasts show at once; older ones collapse into "+N more". */
export const VISIBLE_NOTICES = 3;

/** How many are remembered at all (the oldest beyond this are dropped). */
const MAX_NOTICES = 20;

/** State of the notifications. */
export interface NotificationsState {
	/** Oldest first. */
	notices: Notice[];
	/** True while the stack is hovered or focused: nothing expires meanwhile. */
	held: boolean;
	push(kind: Notice["kind"], title: string, detail: string, technical?: string): void;
	/** Shows any thrown value as an error toast in sentences; the code goes to the details and the log. */
	error(title: string, err: unknown): void;
	dismiss(id: number): void;
	dismissAll(): void;
	/** Stops (true) or restarts (false) every toast's clock. */
	hold(held: boolean): void;
}

let nextId = 1;

/** Each toast's remaining time and running timer; outside the state so ticking re-renders nothing. */
const clocks = new Map<number, { remaining: number; startedAt: number; timer: ReturnType<typeof setTimeout> | undefined }>();

function run(id: number): void {
	const c = clocks.get(id);
	if (!c || c.timer !== undefined) return;
	c.startedAt = Date.now();
	c.timer = setTimeout(() => useNotifications.getState().dismiss(id), c.remaining);
}

function pause(id: number): void {
	const c = clocks.get(id);
	if (!c || c.timer === undefined) return;
	clearTimeout(c.timer);
	c.timer = undefined;
	// Leave a moment to read after the pointer leaves, however little was left.
	c.remaining = Math.max(2_000, c.remaining - (Date.now() - c.startedAt));
}

/** The notifications store. */
export const useNotifications = create<NotificationsState>()((set, get) => ({
	notices: [],
	held: false,
	push(kind, title, detail, technical) {
		const id = nextId++;
		const notices = [...get().notices, { id, kind, title, detail, technical }];
		for (const gone of notices.slice(0, Math.max(0, notices.length - MAX_NOTICES))) get().dismiss(gone.id);
		set({ notices: notices.slice(-MAX_NOTICES) });
		clocks.set(id, { remaining: NOTICE_LIFETIME_MS[kind], startedAt: Date.now(), timer: undefined });
		if (!get().held) run(id);
	},
	error(title, err) {
		const e = explainError(err);
		// The code stays findable: the Log view shows it beside the engine's own lines.
		useLog.getState().addLocal(e.code === "INVALID_ARGUMENT" || e.code === "ALREADY_EXISTS" ? "warn" : "error", `${title}: ${e.details}`);
		get().push("error", title, e.advice ? `${e.sentence} ${e.advice}` : e.sentence, e.details);
	},
	dismiss(id) {
		const c = clocks.get(id);
		if (c?.timer !== undefined) clearTimeout(c.timer);
		clocks.delete(id);
		const notices = get().notices.filter((n) => n.id !== id);
		// An empty stack cannot be hovered: the next toast must not start held.
		set(notices.length === 0 ? { notices, held: false } : { notices });
	},
	dismissAll() {
		for (const n of get().notices) get().dismiss(n.id);
		set({ held: false });
	},
	hold(held) {
		if (held === get().held) return;
		set({ held });
		for (const n of get().notices) (held ? pause : run)(n.id);
	},
}));
