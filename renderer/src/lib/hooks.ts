/**
 * Shared React hooks: a ticking clock and visibility of an element.
 */
import { useEffect, useState, useSyncExternalStore, type RefObject } from "react";

/**
 * One shared clock per period. `subscribe` is created once per clock so React keeps the same
 * subscription across renders: a new function each render made React unsubscribe and resubscribe
 * every render, and when the component was the clock's only listener the resubscribe restarted
 * the timer and moved `now`, which changed the snapshot and scheduled another render (React
 * error #185 on machines slow enough that a millisecond passed between renders).
 * Subscribing moves `now` only when the clock was idle for a whole period (so a view opened
 * after a pause does not show a stale time); with a stable `subscribe` that costs one extra
 * render at mount, never a loop.
 */
interface Clock {
	now: number;
	readonly listeners: Set<() => void>;
	timer?: ReturnType<typeof setInterval>;
	readonly subscribe: (listener: () => void) => () => void;
	readonly snapshot: () => number;
}

const clocks = new Map<number, Clock>();

function clock(periodMs: number): Clock {
	const existing = clocks.get(periodMs);
	if (existing) return existing;
	const c: Clock = {
		now: Date.now(),
		listeners: new Set(),
		subscribe: (listener) => {
			c.listeners.add(listener);
			if (!c.timer) {
				const t = Date.now();
				if (t - c.now >= periodMs) c.now = t;
				c.timer = setInterval(() => {
					c.now = Date.now();
					for (const l of c.listeners) l();
				}, periodMs);
			}
			return () => {
				c.listeners.delete(listener);
				if (c.listeners.size === 0 && c.timer) {
					clearInterval(c.timer);
					c.timer = undefined;
				}
			};
		},
		snapshot: () => c.now,
	};
	clocks.set(periodMs, c);
	return c;
}

/**
 * `Date.now()`, refreshed every `periodMs` by one shared timer per period, so a hundred rows
 * showing "12 s ago" tick together with one timer and one render pass. The value is never more
 * than one period old.
 */
export function useNow(periodMs = 1000): number {
	const c = clock(periodMs);
	return useSyncExternalStore(c.subscribe, c.snapshot);
}

/** True while `ref`'s element intersects the viewport (and the page is visible). */
export function useInView(ref: RefObject<Element | null>): boolean {
	const [inView, setInView] = useState(false);
	const [pageVisible, setPageVisible] = useState(() => document.visibilityState === "visible");
	useEffect(() => {
		const el = ref.current;
		if (!el) return;
		const io = new IntersectionObserver((entries) => {
			for (const e of entries) setInView(e.isIntersecting);
		});
		io.observe(el);
		const onVis = () => setPageVisible(document.visibilityState === "visible");
		document.addEventListener("visibilitychange", onVis);
		return () => {
			io.disconnect();
			document.removeEventListener("visibilitychange", onVis);
		};
	}, [ref]);
	return inView && pageVisible;
}
