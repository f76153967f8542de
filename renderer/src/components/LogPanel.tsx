import { useVirtualizer } from "@tanstack/react-virtual";
import { ChevronDown, Trash2 } from "lucide-react";
import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { LogLevel } from "../../../shared/models";
import { formatClock } from "../lib/format";
import { atLeast, LOG_LEVELS, useLog } from "../stores/log";
import { usePreferences } from "../stores/preferences";
import { IconButton } from "./IconButton";

const LINE_HEIGHT = 22;

/** The engine's log, newest at the bottom, filtered by level; follows new lines while scrolled to the end. */
export function LogPanel({ onClose }: { onClose: () => void }) {
	const entries = useLog((s) => s.entries);
	const level = usePreferences((s) => s.logLevel);
	const setPref = usePreferences((s) => s.set);
	const [clearedAt, setClearedAt] = useState(0);
	const selectId = useId();
	const rows = useMemo(() => entries.filter((e) => e.at >= clearedAt && atLeast(e.level, level)), [entries, level, clearedAt]);
	const scrollRef = useRef<HTMLDivElement>(null);
	const stick = useRef(true);
	const virtualizer = useVirtualizer({
		count: rows.length,
		getScrollElement: () => scrollRef.current,
		estimateSize: () => LINE_HEIGHT,
		overscan: 10,
	});

	useEffect(() => useLog.getState().markSeen(), [entries]);
	useLayoutEffect(() => {
		if (stick.current && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: "end" });
	}, [rows.length, virtualizer]);

	return (
		<section className="log-panel" aria-label="Log">
			<header className="log-header">
				<h2>Log</h2>
				<label htmlFor={selectId} className="muted">
					Level
				</label>
				<select id={selectId} value={level} onChange={(e) => setPref("logLevel", e.target.value as LogLevel)} className="compact">
					{LOG_LEVELS.map((l) => (
						<option key={l} value={l}>
							{l === "error" ? "errors only" : `${l} and above`}
						</option>
					))}
				</select>
				<span className="muted grow">{rows.length} lines</span>
				<IconButton icon={Trash2} label="Clear the log view" onClick={() => setClearedAt(Date.now())} />
				<IconButton icon={ChevronDown} label="Hide log" onClick={onClose} />
			</header>
			<div
				ref={scrollRef}
				className="log-scroll"
				tabIndex={0}
				aria-label="Log lines"
				onScroll={(e) => {
					const el = e.currentTarget;
					stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < LINE_HEIGHT * 2;
				}}
			>
				<ol className="virtual" style={{ height: virtualizer.getTotalSize() }} aria-label="Log entries">
					{virtualizer.getVirtualItems().map((item) => {
						const e = rows[item.index]!;
						return (
							<li key={item.key} className={`log-line level-${e.level}`} style={{ transform: `translateY(${item.start}px)` }}>
								<time className="log-time">{formatClock(e.at)}</time>
								<span className="log-level">{e.level}</span>
								<span className="log-scope">{e.scope}</span>
								<span className="log-message">{e.message}</span>
							</li>
						);
					})}
				</ol>
			</div>
		</section>
	);
}
