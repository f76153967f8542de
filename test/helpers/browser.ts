/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser build).
 */
import { chromium, type Browser } from "playwright-core";

/** Chromium's path on Debian; override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Launches headless Chromium with the flags these machines need (no network, no GPU). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
	return chromium.launch({
		executablePath: CHROMIUM_PATH,
		headless: true,
		args: [
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
			...extraArgs,
		],
	});
}
