/**
 * Origins as the engine reports them, with the actions that change them. The list is
 * replaced wholesale by the engine's `origins.changed` event, so the engine stays the truth.
 */
import { create } from "zustand";
import type { Origin } from "../../../shared/models";
import { requireApi } from "./host";
import { useNotifications } from "./notifications";

/** State of the origins view. */
export interface OriginsState {
	origins: Origin[];
	loaded: boolean;
	/** Loads the list and follows changes; returns the unsubscribe function. */
	follow(): () => void;
	/** Creates an origin; resolves true on success, false after showing the error. */
	create(name: string): Promise<boolean>;
	rename(id: string, name: string): Promise<boolean>;
	remove(id: string): Promise<boolean>;
}

async function attempt(title: string, action: () => Promise<unknown>): Promise<boolean> {
	try {
		await action();
		return true;
	} catch (err) {
		useNotifications.getState().error(title, err);
		return false;
	}
}

/** The origins store. */
export const useOrigins = create<OriginsState>()((set) => ({
	origins: [],
	loaded: false,
	follow() {
		const api = requireApi();
		const stop = api.on("origins.changed", ({ origins }) => set({ origins, loaded: true }));
		api.invoke("origins.list", {}).then(
			(origins) => set({ origins, loaded: true }),
			(err: unknown) => useNotifications.getState().error("Could not load origins", err),
		);
		return stop;
	},
	create: (name) => attempt("Could not create the origin", () => requireApi().invoke("origins.create", { name })),
	rename: (id, name) => attempt("Could not rename the origin", () => requireApi().invoke("origins.rename", { id, name })),
	remove: (id) => attempt("Could not delete the origin", () => requireApi().invoke("origins.delete", { id })),
}));
