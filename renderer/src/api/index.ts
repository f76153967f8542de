/**
 * Picks the host: the Electron preload's `window.studio` when present, else the web bridge.
 */
import type { StudioApi, StudioBridge } from "../../../shared/api";
import { createStudioApi } from "./client";
import { connectWebBridge, takeToken } from "./web-bridge";

declare global {
	interface Window {
		studio?: StudioBridge;
	}
}

/** The outcome of looking for a host. */
export type HostConnection =
	| { kind: "electron" | "web"; api: StudioApi }
	| { kind: "none"; reason: string };

/** Finds the host once; `onConnected` follows the web bridge's socket state. */
export function connectHost(onConnected: (connected: boolean) => void): HostConnection {
	if (window.studio) {
		onConnected(true);
		return { kind: "electron", api: createStudioApi(window.studio) };
	}
	const token = takeToken();
	if (!token) {
		return {
			kind: "none",
			reason: "This page needs the address printed by `moq-studio web` (it carries an access token).",
		};
	}
	return { kind: "web", api: createStudioApi(connectWebBridge(token, onConnected)) };
}
