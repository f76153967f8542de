/**
 * The shell's one message to the renderer: what a menu accelerator, a tray action, a notification
 * click or a second launch asks the page to do. It travels on its own IPC channel (not the
 * contract's event channel: it is not an engine event and the web host has no equivalent, the
 * browser handles the same shortcuts itself).
 *
 * No imports: the sandboxed preload bundles this file to expose the channel, and the renderer
 * imports the types.
 */

/** The IPC channel the main process sends {@link ShellMessage}s on (main -> renderer only). */
export const ShellChannel = {
	message: "studio:shell",
} as const;

/** The renderer's views, in navigation order (Ctrl/Cmd+1…6); keep in step with renderer/src/stores/navigation.ts. */
export const SHELL_VIEWS = ["sessions", "origins", "broadcasts", "monitor", "golive", "recordings"] as const;

/** One of {@link SHELL_VIEWS}. */
export type ShellView = (typeof SHELL_VIEWS)[number];

/**
 * Actions the page performs itself (they need the page's state: its capture sources, the
 * selected broadcast, the log panel).
 * - `golive.toggle`: Go Live with the current setup, or stop if live (Ctrl/Cmd+L).
 * - `recordings.recordSelected`: record the broadcast selected in the current view (Ctrl/Cmd+R).
 * - `log.show`: show the log (Ctrl/Cmd+Shift+L).
 * - `scenes.take`: in Scenes' studio mode, put the preview scene on program (Ctrl/Cmd+Enter).
 */
export type ShellAction = "golive.toggle" | "recordings.recordSelected" | "log.show" | "scenes.take";

/** What the shell asks the page to do. */
export type ShellMessage =
	/** Show `view`; `id` names the item concerned (a session, a recording, a live broadcast) when known. */
	| { type: "navigate"; view: ShellView; id?: string }
	| { type: "action"; action: ShellAction }
	/** Another launch of the app handed over its arguments (the first instance keeps running). */
	| { type: "second-instance"; argv: string[] };
