/**
 * Screen and window capture sources, provided by the desktop host (Electron's desktopCapturer).
 * The engine only sees this interface; a browser host has none and its page uses the browser's
 * own `getDisplayMedia` picker.
 */
import type { CaptureSource } from "../../../shared/media";

/** What the desktop host offers for screen capture. */
export interface DesktopCapture {
	/** The screens and windows that can be captured now. */
	sources(): Promise<CaptureSource[]>;
	/** Chooses the source the next display-media request gets; null lets the OS picker decide. */
	select(id: string | null): void;
}
