/**
 * System notifications in a browser (the web host): the engine decides what is worth one with
 * the desktop shell's own rules (`notices.show`), and the page shows it with the browser's
 * Notification API, with the user's permission, while the page is not in front. A click brings
 * the page forward on the view concerned. The desktop app shows its own and never sends these.
 */
import type { StudioApi } from "../../../shared/api";
import type { EventPayload } from "../../../shared/contract";
import { useNavigation } from "../stores/navigation";
import { useMonitors } from "../monitor/store";

/** Shows one notice if the user allowed notifications and is looking elsewhere. */
export function showBrowserNotice(notice: EventPayload<"notices.show">): boolean {
	if (typeof Notification === "undefined" || Notification.permission !== "granted") return false;
	// In front, the studio's own views already show what happened.
	if (document.visibilityState === "visible" && document.hasFocus()) return false;
	const shown = new Notification(notice.title, { body: notice.body, tag: `${notice.view}:${notice.id}` });
	shown.onclick = () => {
		window.focus();
		useNavigation.getState().go(notice.view);
		if (notice.view === "monitor" && notice.id) useMonitors.getState().setSelected(notice.id);
		shown.close();
	};
	return true;
}

/** Follows the engine's notices for this page; returns the stop function. */
export function followBrowserNotices(api: StudioApi): () => void {
	return api.on("notices.show", (notice) => void showBrowserNotice(notice));
}
