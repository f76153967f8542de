/**
 * Which view is shown. Kept in the URL hash so a reload returns to the same place; hash
 * changes are in-page, so they never trigger the window's navigation guard.
 */
import { create } from "zustand";

/** The views of the app shell, in navigation order. */
export const VIEWS = ["sessions", "origins", "broadcasts", "monitor", "golive", "recordings"] as const;
/** One of {@link VIEWS}. */
export type View = (typeof VIEWS)[number];

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
