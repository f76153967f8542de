/**
 * Which view is shown. Kept in the URL hash so a reload returns to the same place; hash
 * changes are in-page, so they never trigger the window's navigation guard.
 */
import { create } from "zustand";
import { SHELL_VIEWS, type ShellView } from "../../../shared/shell-channel";

/** The views of the app shell, in navigation order (Ctrl/Cmd+1…6; the desktop menu uses the same list). */
export const VIEWS = SHELL_VIEWS;
/** One of {@link VIEWS}. */
export type View = ShellView;

function fromHash(): View {
	const h = window.location.hash.replace(/^#\/?/, "");
	return (VIEWS as readonly string[]).includes(h) ? (h as View) : "sessions";
}

/** State of the navigation. */
export interface NavigationState {
	view: View;
	go(view: View): void;
}

/** The navigation store. */
export const useNavigation = create<NavigationState>()((set) => {
	window.addEventListener("hashchange", () => set({ view: fromHash() }));
	return {
		view: fromHash(),
		go(view) {
			window.location.hash = `/${view}`;
			set({ view });
		},
	};
});
