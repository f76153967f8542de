/**
 * Shared React hooks: a ticking clock and visibility of an element.
 */
import { useEffect, useState, useSyncExternalStore, type RefObject } from "react";

const clocks = new Map<number, { now: number; listeners: Set<() => void>; timer?: ReturnType<typeof setInterval> }>();

function clock(periodMs: number) {
	let c = clocks.get(periodMs);
	if (!c) {
		c = { now: Date.now(), listeners: new Set() };
		clocks.set(periodMs, c);
	}
	return c;
}

/**
 * `Date.now()`, refreshed every `periodMs` by one shared timer per period, so a hundred rows
 * showing "12 s ago" tick together with one timer and one render pass.
 */
export function useNow(periodMs = 1000): number {
	const c = clock(periodMs);
	return useSyncExternalStore(
		(listener) => {
			c.listeners.add(listener);
			if (!c.timer) {
				c.now = Date.now();
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
		() => c.now,
	);
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
