/**
 * The studio's keyboard shortcuts and the desktop shell's requests, handled in one place.
 *
 * In the desktop app the application menu owns the accelerators and sends a `ShellMessage`; in a
 * browser (the web host) the page listens for the same keys itself. Either way the request lands
 * in {@link runShellMessage}, so both hosts behave the same.
 */
import { SHELL_VIEWS, type ShellAction, type ShellMessage } from "../../../shared/shell-channel";
import { useScenes } from "../golive/compositor/scenes-store";
import { useGoLive } from "../golive/store";
import { useMonitors } from "../monitor/store";
import { useNavigation } from "../stores/navigation";
import { useNotifications } from "../stores/notifications";
import { usePreferences } from "../stores/preferences";
import { useRecordings } from "../stores/recordings";

/** The broadcast the user has selected: the focused Broadcasts row, else the selected monitor tile. */
function selectedBroadcast(): { originId: string; path: string } | undefined {
	const row = document.activeElement?.closest<HTMLElement>("[data-origin][data-path]");
	if (row?.dataset.origin && row.dataset.path && row.dataset.state !== "ended") return { originId: row.dataset.origin, path: row.dataset.path };
	const { selected, byId } = useMonitors.getState();
	const monitor = selected ? byId[selected] : undefined;
	return monitor ? { originId: monitor.originId, path: monitor.path } : undefined;
}

function runAction(action: ShellAction): void {
	switch (action) {
		case "golive.toggle": {
			const live = useGoLive.getState();
			useNavigation.getState().go("golive");
			if (live.phase === "live") void live.stop();
			else if (live.phase === "idle") void live.start();
			break;
		}
		case "recordings.recordSelected": {
			const target = selectedBroadcast();
			if (target) void useRecordings.getState().start(target.originId, target.path);
			else useNotifications.getState().push("info", "Nothing to record", "Select a broadcast in Broadcasts or a tile in Monitor first.");
			break;
		}
		case "log.show":
			usePreferences.getState().set("logOpen", !usePreferences.getState().logOpen);
			break;
		case "scenes.take":
			if (usePreferences.getState().studioMode && useScenes.getState().program) useScenes.getState().takePreview();
			else useNotifications.getState().push("info", "Nothing to take", "Turn on Studio mode in Go Live's Scenes panel first.");
			break;
	}
}

/** Does what the shell asks; anything malformed is ignored (the shell is trusted, but typed at runtime here). */
export function runShellMessage(message: ShellMessage): void {
	if (message.type === "navigate" && (SHELL_VIEWS as readonly string[]).includes(message.view)) {
		useNavigation.getState().go(message.view);
		if (message.view === "monitor" && message.id) useMonitors.getState().setSelected(message.id);
	} else if (message.type === "action") {
		runAction(message.action);
	}
}

/**
 * The shell message a key press means, or undefined: Ctrl/Cmd+1…6 the views, Ctrl/Cmd+L Go Live
 * or stop, Ctrl/Cmd+R record the selected broadcast, Ctrl/Cmd+Shift+L the log, Ctrl/Cmd+Enter
 * take the preview scene to program (Scenes' studio mode).
 */
export function shortcutFor(ev: Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "metaKey" | "shiftKey" | "altKey">, mac: boolean): ShellMessage | undefined {
	if ((mac ? !ev.metaKey : !ev.ctrlKey) || ev.altKey) return undefined;
	const digit = /^Digit([1-9])$/.exec(ev.code)?.[1];
	if (digit && !ev.shiftKey) {
		const view = SHELL_VIEWS[Number(digit) - 1];
		return view ? { type: "navigate", view } : undefined;
	}
	if (ev.code === "KeyL") return { type: "action", action: ev.shiftKey ? "log.show" : "golive.toggle" };
	if (ev.code === "KeyR" && !ev.shiftKey) return { type: "action", action: "recordings.recordSelected" };
	if ((ev.code === "Enter" || ev.code === "NumpadEnter") && !ev.shiftKey) return { type: "action", action: "scenes.take" };
	return undefined;
}

/**
 * Installs the shortcuts for this page: the shell's messages in the desktop app, the keys
 * themselves in a browser. Returns the uninstall function.
 */
export function installShortcuts(): () => void {
	const fromShell = window.studio?.onShellMessage?.((message) => runShellMessage(message));
	if (fromShell) return fromShell;
	const mac = /Mac|iPhone|iPad/.test(navigator.platform);
	const onKey = (ev: KeyboardEvent) => {
		const message = shortcutFor(ev, mac);
		if (!message) return;
		// The browser's own meaning (reload, address bar, tab switch) would take the page away.
		ev.preventDefault();
		runShellMessage(message);
	};
	window.addEventListener("keydown", onKey);
	return () => window.removeEventListener("keydown", onKey);
}
