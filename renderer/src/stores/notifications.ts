/**
 * Toasts: short messages for the user, errors with their code from the error table.
 * Errors stay until dismissed; warnings and information fade after a few seconds.
 */
import { create } from "zustand";
import { StudioError } from "../../../shared/errors";

/** One message shown to the user. */
export interface Notice {
	id: number;
	kind: "error" | "warning" | "info";
	title: string;
	detail: string;
}

/** State of the notifications. */
export interface NotificationsState {
	notices: Notice[];
	push(kind: Notice["kind"], title: string, detail: string): void;
	/** Shows any thrown value as an error toast, with its code name when it is a StudioError. */
	error(title: string, err: unknown): void;
	dismiss(id: number): void;
}

let nextId = 1;

const FADE_MS: Record<Notice["kind"], number | null> = { error: null, warning: 10_000, info: 5_000 };

/** The notifications store. */
export const useNotifications = create<NotificationsState>()((set, get) => ({
	notices: [],
	push(kind, title, detail) {
		const id = nextId++;
		set({ notices: [...get().notices.slice(-4), { id, kind, title, detail }] });
		const fade = FADE_MS[kind];
		if (fade !== null) setTimeout(() => get().dismiss(id), fade);
	},
	error(title, err) {
		const e = StudioError.from(err);
		get().push("error", title, `${e.codeName}: ${e.message}`);
	},
	dismiss(id) {
		set({ notices: get().notices.filter((n) => n.id !== id) });
	},
}));
