/**
 * Safe quit: quitting while live or recording asks first (Stop and quit / Cancel), and every quit
 * then waits for the engine to end its live broadcasts and finalize its recordings
 * (`studio.close()`), bounded by a timeout so a stuck relay cannot keep the app from quitting.
 *
 * Electron's order: `app.quit()` emits `before-quit`, closes the windows, then emits `will-quit`;
 * preventing either cancels the quit. So `before-quit` asks, `will-quit` is held (prevented)
 * until the engine has closed, then the quit is issued again and goes through.
 */
import type { BusySummary } from "../engine/busy";
import type { BusyObservable, PreventableEvent } from "./electron-like";

/** The part of Electron's `app` used here. */
export interface QuitApp {
	on(event: "before-quit" | "will-quit", listener: (event: PreventableEvent) => void): unknown;
	quit(): void;
}

/** The user's answer to "quit while live or recording?". */
export type QuitChoice = "stop-and-quit" | "cancel";

/** Asks the user; `summary` is what the quit would stop. */
export type ConfirmQuit = (summary: BusySummary) => Promise<QuitChoice>;

/** How long `studio.close()` may take before the app quits anyway. */
export const QUIT_TIMEOUT_MS = 15_000;

/** Options of {@link guardQuit}. */
export interface QuitGuardOptions {
	app: QuitApp;
	busy: BusyObservable;
	confirm: ConfirmQuit;
	/** Ends everything: the Studio's `close()` (and the shell's own teardown before it). */
	close: () => Promise<void>;
	/** Default {@link QUIT_TIMEOUT_MS}. */
	timeoutMs?: number;
	log?: (level: "info" | "warn", message: string) => void;
}

/** The state of the quit, for the window's close handler. */
export interface QuitGuard {
	/** True once a quit is under way (confirmed or nothing to confirm): windows must close for real. */
	readonly quitting: boolean;
	/** Resolves once the engine is closed (or the timeout passed) during a quit. */
	readonly closed: Promise<void>;
}

/** Describes what a quit would stop, for the confirmation dialog. */
export function describeBusy(summary: BusySummary): string {
	const parts: string[] = [];
	for (const l of summary.live) parts.push(`${l.kind === "file" ? "Publishing" : "Live"}: ${l.path}`);
	for (const r of summary.recordings) parts.push(`Recording: ${r.path}${r.state === "waiting" ? " (waiting for the broadcast)" : ""}`);
	return parts.join("\n");
}

/**
 * Installs the quit handlers on `app`. A quit asked while busy is cancelled and replaced by a
 * question; "Stop and quit" quits again, "Cancel" leaves everything running.
 */
export function guardQuit(options: QuitGuardOptions): QuitGuard {
	const { app, busy, confirm } = options;
	const timeoutMs = options.timeoutMs ?? QUIT_TIMEOUT_MS;
	let quitting = false;
	let asking = false;
	let closing: Promise<void> | undefined;
	let closedDone = false;
	let resolveClosed!: () => void;
	const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

	app.on("before-quit", (event) => {
		if (quitting) return;
		if (!busy.current.busy) {
			quitting = true;
			return;
		}
		event.preventDefault();
		if (asking) return;
		asking = true;
		confirm(busy.current)
			.catch((): QuitChoice => "cancel")
			.then((choice) => {
				asking = false;
				if (choice !== "stop-and-quit") return;
				options.log?.("info", "quit confirmed while live or recording: stopping everything");
				quitting = true;
				app.quit();
			});
	});

	app.on("will-quit", (event) => {
		if (closedDone) return;
		// Held until the engine has closed: its recordings' last fragments are written by then.
		event.preventDefault();
		quitting = true;
		if (closing) return;
		let timer: ReturnType<typeof setTimeout> | undefined;
		const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
		const close = options.close().then(
			() => "closed" as const,
			(err: unknown) => {
				options.log?.("warn", `closing the engine failed: ${err instanceof Error ? err.message : String(err)}`);
				return "closed" as const;
			},
		);
		closing = Promise.race([close, timeout]).then((outcome) => {
			clearTimeout(timer);
			if (outcome === "timeout") options.log?.("warn", `the engine did not close within ${timeoutMs} ms: quitting anyway`);
			closedDone = true;
			resolveClosed();
			app.quit();
		});
	});

	return {
		get quitting() {
			return quitting;
		},
		closed,
	};
}

/** The part of Electron's `dialog` used by {@link messageBoxConfirm}. */
export interface MessageBoxLike<W> {
	showMessageBox(
		window: W,
		options: { type: "warning"; buttons: string[]; defaultId: number; cancelId: number; title: string; message: string; detail: string; noLink: boolean },
	): Promise<{ response: number }>;
}

/** A {@link ConfirmQuit} over Electron's message box, attached to `window()` (the main window). */
export function messageBoxConfirm<W>(dialog: MessageBoxLike<W>, window: () => W): ConfirmQuit {
	return async (summary) => {
		const live = summary.live.length > 0;
		const recording = summary.recordings.length > 0;
		const what = live && recording ? "live and recording" : live ? "live" : "recording";
		const { response } = await dialog.showMessageBox(window(), {
			type: "warning",
			buttons: ["Stop and quit", "Cancel"],
			defaultId: 1,
			cancelId: 1,
			title: "Quit MoQ Studio",
			message: `MoQ Studio is ${what}. Stop and quit?`,
			detail: `${describeBusy(summary)}\n\nLive broadcasts end and recordings are finished before the app quits.`,
			noLink: true,
		});
		return response === 0 ? "stop-and-quit" : "cancel";
	};
}
