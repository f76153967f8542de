/**
 * Relay sessions as the engine reports them (`sessions.list`, then `sessions.state` and
 * `sessions.removed` events), with the actions that change them. The engine stays the truth:
 * actions call the contract and the state arrives back as events.
 *
 * Restarting or editing a session gives it a new id (the old one reported its terminal status);
 * the store keeps the new session where the old one was in the list.
 */
import { create } from "zustand";
import type { SessionConfigView, SessionConnectArgs, SessionState } from "../../../shared/sessions";
import { explainError } from "../lib/errors";
import { relayLabel } from "../lib/format";
import { requireApi } from "./host";
import { useNotifications } from "./notifications";

/** State of the sessions. */
export interface SessionsState {
	byId: Record<string, SessionState>;
	/** Display order: oldest first, a replaced session keeping its place. */
	order: string[];
	loaded: boolean;
	/** Loads the list and follows changes; returns the unsubscribe function. */
	follow(): () => void;
	/** Starts a session; rejects with the engine's error (for the form to show). */
	connect(args: SessionConnectArgs): Promise<string>;
	/** Replaces a session's configuration (a new id); rejects with the engine's error. */
	update(id: string, config: SessionConnectArgs): Promise<string>;
	/** The saved configuration (token withheld), for the edit form. */
	config(id: string): Promise<SessionConfigView>;
	/** Connects again under a new id; shows errors as toasts. */
	restart(id: string): Promise<void>;
	/** Disconnects (status 0); shows errors as toasts. */
	close(id: string): Promise<void>;
	/** Disconnects and forgets; shows errors as toasts. */
	remove(id: string): Promise<void>;
	/** Sets a session's publish and/or consume origin (undefined leaves it, null clears it). */
	attach(id: string, origins: { publishOrigin?: string | null; consumeOrigin?: string | null }): Promise<string>;
}

/** Whether a phase is terminal (the session will not reconnect by itself). */
export function isTerminal(s: Pick<SessionState, "phase">): boolean {
	return s.phase === "closed" || s.phase === "failed";
}

/** Turns a config view back into connect arguments (the token stays with the engine). */
export function toConnectArgs(view: SessionConfigView): SessionConnectArgs {
	const { hasToken: _hasToken, ...rest } = view;
	return rest;
}

function notifyTransition(prev: SessionState | undefined, next: SessionState): void {
	const notices = useNotifications.getState();
	const where = relayLabel(next.url);
	if (next.phase === "backoff" && prev?.phase !== "backoff" && next.attempt === 1) {
		const why = next.lastError ? explainError(next.lastError).sentence : "The connection was lost.";
		notices.push("warning", next.epoch > 0 ? `Disconnected from ${where}` : `Could not connect to ${where}`, `${why} Reconnecting…`, next.lastError ? explainError(next.lastError).details : undefined);
	} else if (next.phase === "failed" && prev?.phase !== "failed") {
		const e = next.lastError ? explainError(next.lastError) : null;
		notices.push(
			"error",
			`Stopped reconnecting to ${where}`,
			e ? `${e.sentence} ${e.advice} Use Reconnect on its card to try again.`.replace(/\s+/g, " ") : "The session failed. Use Reconnect on its card to try again.",
			e?.details,
		);
	}
}

/** The sessions store. */
export const useSessions = create<SessionsState>()((set, get) => {
	/** Puts `newId` where `oldId` was (when `oldId` is gone or still there). */
	const takePlace = (oldIndex: number, newId: string) => {
		if (oldIndex < 0) return;
		const order = get().order.filter((x) => x !== newId);
		order.splice(Math.min(oldIndex, order.length), 0, newId);
		set({ order });
	};

	const replaceWith = async (id: string, call: () => Promise<{ id: string }>): Promise<string> => {
		const index = get().order.indexOf(id);
		const { id: newId } = await call();
		takePlace(index, newId);
		return newId;
	};

	const toast = async (title: string, action: () => Promise<unknown>) => {
		try {
			await action();
		} catch (err) {
			useNotifications.getState().error(title, err);
		}
	};

	return {
		byId: {},
		order: [],
		loaded: false,
		follow() {
			const api = requireApi();
			let listed = false;
			const early: SessionState[] = [];
			const apply = (s: SessionState) => {
				const { byId, order } = get();
				const prev = byId[s.id];
				notifyTransition(prev, s);
				set({ byId: { ...byId, [s.id]: s }, order: order.includes(s.id) ? order : [...order, s.id] });
			};
			const offState = api.on("sessions.state", ({ session }) => (listed ? apply(session) : early.push(session)));
			const offRemoved = api.on("sessions.removed", ({ id }) => {
				const { [id]: _gone, ...byId } = get().byId;
				set({ byId, order: get().order.filter((x) => x !== id) });
			});
			api.invoke("sessions.list", {}).then(
				(list) => {
					const byId: Record<string, SessionState> = {};
					const order: string[] = [];
					// Events that raced the list are newer than it.
					for (const s of [...list, ...early]) {
						if (!byId[s.id]) order.push(s.id);
						byId[s.id] = s;
					}
					listed = true;
					set({ byId, order, loaded: true });
				},
				(err: unknown) => useNotifications.getState().error("Could not load sessions", err),
			);
			return () => {
				offState();
				offRemoved();
			};
		},
		connect: async (args) => {
			const { id } = await requireApi().invoke("sessions.connect", args);
			return id;
		},
		update: (id, config) => replaceWith(id, () => requireApi().invoke("sessions.update", { id, config })),
		config: (id) => requireApi().invoke("sessions.config", { id }),
		restart: (id) => toast("Could not reconnect", () => replaceWith(id, () => requireApi().invoke("sessions.restart", { id }))),
		close: (id) => toast("Could not disconnect", () => requireApi().invoke("sessions.close", { id })),
		remove: (id) => toast("Could not remove the session", () => requireApi().invoke("sessions.remove", { id })),
		async attach(id, origins) {
			const view = await get().config(id);
			const config = toConnectArgs(view);
			if (origins.publishOrigin !== undefined) config.publishOrigin = origins.publishOrigin ?? undefined;
			if (origins.consumeOrigin !== undefined) config.consumeOrigin = origins.consumeOrigin ?? undefined;
			return get().update(id, config);
		},
	};
});
