/**
 * A wake-up for loops that wait for "something changed, or a deadline": cheaper and simpler than
 * an event emitter where the waiter re-reads state itself after every wake.
 */
export class ChangeSignal {
	readonly #waiters = new Set<() => void>();

	/** Wakes every current waiter once. */
	notify(): void {
		if (this.#waiters.size > 0) for (const wake of [...this.#waiters]) wake();
	}

	/** Resolves on the next {@link notify} or after `ms` (never rejects; keeps no timer after it resolves). */
	within(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const wake = () => {
				clearTimeout(timer);
				this.#waiters.delete(wake);
				resolve();
			};
			const timer = setTimeout(wake, Math.max(0, ms));
			this.#waiters.add(wake);
		});
	}
}
