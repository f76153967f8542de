/**
 * Waits `ms`, or less when `signal` aborts first. Never rejects and leaves no timer or listener
 * behind, so pacing and polling loops can stop at once on abort and check why themselves.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(done, ms);
		function done() {
			clearTimeout(timer);
			signal?.removeEventListener("abort", done);
			resolve();
		}
		signal?.addEventListener("abort", done, { once: true });
	});
}
