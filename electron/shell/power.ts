/**
 * Keeps the machine from suspending while the studio is live or recording: a laptop that sleeps
 * in the middle of a show drops it. Uses `powerSaveBlocker` with `prevent-app-suspension` (the
 * display may still sleep) and releases it as soon as nothing is live or recording.
 */
import type { BusyObservable } from "./electron-like";

/** The part of Electron's `powerSaveBlocker` used here. */
export interface PowerSaveBlockerLike {
	start(type: "prevent-app-suspension"): number;
	stop(id: number): void;
}

/**
 * Holds one blocker while `busy.current.busy`; returns the function that stops following the
 * busy state (releasing the blocker if held).
 */
export function keepAwakeWhileBusy(busy: BusyObservable, blocker: PowerSaveBlockerLike, log?: (message: string) => void): () => void {
	let id: number | undefined;
	const apply = (wanted: boolean) => {
		if (wanted && id === undefined) {
			id = blocker.start("prevent-app-suspension");
			log?.("live or recording: preventing system sleep");
		} else if (!wanted && id !== undefined) {
			blocker.stop(id);
			id = undefined;
			log?.("nothing live or recording: system sleep allowed again");
		}
	};
	apply(busy.current.busy);
	const unsubscribe = busy.subscribe((now) => apply(now.busy));
	return () => {
		unsubscribe();
		apply(false);
	};
}
