/**
 * The connection to the engine: which host, whether it is reachable, and what it reported.
 */
import { create } from "zustand";
import type { StudioApi } from "../../../shared/api";
import type { AppInfo } from "../../../shared/models";
import { connectHost } from "../api";
import { errorText } from "../lib/errors";

/** State of the host connection. */
export interface HostState {
	api: StudioApi | null;
	kind: "electron" | "web" | "none";
	connected: boolean;
	info: AppInfo | null;
	/** Why there is no host, in plain words, or null. */
	problem: string | null;
	/** The web host is running but refused this page's token (a wrong or outdated address). */
	refused: boolean;
	/** Finds the host and loads its info; safe to call once at start. */
	start(): void;
}

/** The host store. */
export const useHost = create<HostState>()((set, get) => ({
	api: null,
	kind: "none",
	connected: false,
	info: null,
	problem: null,
	refused: false,
	start() {
		if (get().api) return;
		const loadInfo = () => {
			const { api, info, connected } = get();
			if (connected && api && !info) {
				api.invoke("app.info", {}).then(
					(i) => set({ info: i }),
					(err: unknown) => set({ problem: errorText(err) }),
				);
			}
		};
		const conn = connectHost((state) => {
			set({ connected: state === "connected", refused: state === "refused" });
			loadInfo();
		});
		if (conn.kind === "none") set({ kind: "none", problem: conn.reason });
		else {
			set({ api: conn.api, kind: conn.kind });
			// The desktop host reports itself connected inside connectHost, before `api` is set.
			loadInfo();
			// A network change can leave sessions on a dead path: ask the engine to probe them now.
			const api = conn.api;
			window.addEventListener("online", () => void api.invoke("sessions.wake", {}).catch(() => {}));
		}
	},
}));

/** The api, or an error when used before the host is known (a programming error). */
export function requireApi(): StudioApi {
	const api = useHost.getState().api;
	if (!api) throw new Error("the studio host is not connected");
	return api;
}
