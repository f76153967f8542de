/**
 * Auto-record rules as the engine reports them (with what each recorded), and the actions that
 * add and delete them.
 */
import { create } from "zustand";
import type { AutoRecordRule } from "../../../shared/auto-record";
import { requireApi } from "./host";
import { useNotifications } from "./notifications";

/** State of the auto-record rules. */
export interface AutoRecordState {
	/** Every rule, oldest first (null until first loaded). */
	rules: AutoRecordRule[] | null;
	/** Loads the rules and follows their changes; returns the unsubscribe function. */
	follow(): () => void;
	/** Adds a rule; resolves false after showing the error. */
	create(originId: string, prefix: string, format?: "mp4" | "mkv"): Promise<boolean>;
	/** Deletes a rule (its running recordings stop with complete files). */
	remove(id: string): Promise<void>;
}

/** The auto-record rules store. */
export const useAutoRecord = create<AutoRecordState>()((set, get) => {
	// Every event carries the full list: a list answer older than an event is dropped.
	let version = 0;
	const upsert = (rule: AutoRecordRule) => {
		const rules = get().rules ?? [];
		set({ rules: rules.some((r) => r.id === rule.id) ? rules.map((r) => (r.id === rule.id ? rule : r)) : [...rules, rule] });
	};
	return {
		rules: null,
		follow() {
			const api = requireApi();
			const off = api.on("recordings.rules.changed", ({ rules }) => {
				version++;
				set({ rules });
			});
			const asked = version;
			api.invoke("recordings.rules", {}).then(
				(rules) => {
					if (version === asked) set({ rules });
				},
				(err: unknown) => useNotifications.getState().error("Could not load the auto-record rules", err),
			);
			return off;
		},
		async create(originId, prefix, format) {
			try {
				const rule = await requireApi().invoke("recordings.rules.create", { originId, prefix, ...(format ? { format } : {}) });
				upsert(rule);
				const what = rule.prefix === "" ? "every broadcast" : `every broadcast under ${rule.prefix}`;
				useNotifications.getState().push("info", "Auto-record rule added", `Recording ${what} of ${rule.originName ?? "the origin"}.`);
				return true;
			} catch (err) {
				useNotifications.getState().error("Could not add the rule", err);
				return false;
			}
		},
		async remove(id) {
			try {
				await requireApi().invoke("recordings.rules.delete", { id });
				set({ rules: (get().rules ?? []).filter((r) => r.id !== id) });
			} catch (err) {
				useNotifications.getState().error("Could not delete the rule", err);
			}
		},
	};
});
