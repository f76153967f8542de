/**
 * Picks the host: the Electron preload's `window.studio` when present, else the web bridge.
 */
import type { StudioApi, StudioBridge } from "../../../shared/api";
import { createStudioApi } from "./client";
import { connectWebBridge, takeToken, type BridgeState } from "./web-bridge";

export type { BridgeState } from "./web-bridge";

declare global {
	interface Window {
		studio?: StudioBridge;
	}
}

/** The outcome of looking for a host. */
export type HostConnection =
	| { kind: "electron" | "web"; api: StudioApi }
	| { kind: "none"; reason: string };

/** Finds the host once; `onState` follows the web bridge's socket state (the desktop host is always up). */
export function connectHost(onState: (state: BridgeState) => void): HostConnection {
	if (window.studio) {
		onState("connected");
		return { kind: "electron", api: createStudioApi(window.studio) };
	}
	const token = takeToken();
	if (!token) {
		return {
			kind: "none",
			reason: "This page needs the full address the studio printed when it started: it carries an access token.",
		};
	}
	return { kind: "web", api: createStudioApi(connectWebBridge(token, onState)) };
}
