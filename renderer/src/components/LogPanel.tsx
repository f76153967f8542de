import { useVirtualizer } from "@tanstack/react-virtual";
import { ChevronDown, Download, Trash2 } from "lucide-react";
import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { LogEntry, LogLevel } from "../../../shared/models";
import { formatClock } from "../lib/format";
import { atLeast, LOG_LEVELS, useLog } from "../stores/log";
import { usePreferences } from "../stores/preferences";
import { IconButton } from "./IconButton";

const LINE_HEIGHT = 22;

/** Every source shown in the source filter ("" is all of them). */
const ALL_SOURCES = "";

/** The lines that pass the panel's filters: level, source (the logger's scope) and a search. */
export function filterLog(entries: readonly LogEntry[], filter: { level: LogLevel; source: string; search: string; since?: number }): LogEntry[] {
	const needle = filter.search.trim().toLowerCase();
	return entries.filter(
		(e) =>
			e.at >= (filter.since ?? 0) &&
			atLeast(e.level, filter.level) &&
			(filter.source === ALL_SOURCES || e.scope === filter.source) &&
			(needle === "" || e.message.toLowerCase().includes(needle) || e.scope.toLowerCase().includes(needle)),
	);
}

/** The lines as a text file: one line each, ISO time, level, source, message. */
export function formatLogFile(entries: readonly LogEntry[]): string {
	return entries.map((e) => `${new Date(e.at).toISOString()} ${e.level.toUpperCase().padEnd(5)} [${e.scope}] ${e.message.replace(/\r?\n/g, "\n    ")}`).join("\n") + "\n";
}

/**
 * Saves `text` as a download. An object URL and an anchor with `download` work the same in a
 * browser and in Electron (which shows its save dialog), with no host call and no CSP exception.
 */
function download(name: string, text: string): void {
	const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
	const a = document.createElement("a");
	a.href = url;
	a.download = name;
	a.hidden = true;
	document.body.append(a);
	a.click();
	a.remove();
	// Revoking at once can cancel the download in some browsers: give it a moment.
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name with the time, e.g. `moq-studio-2026-11-28T11-37-13.log`. */
function exportName(): string {
	return `moq-studio-${new Date().toISOString().slice(0, 19).replace(/:/g, "-")}.log`;
}

/**
 * The engine's log, newest at the bottom: filtered by level, source and a search, exportable as a
 * `.log` file (what is shown, nothing more); follows new lines while scrolled to the end.
 */
export function LogPanel({ onClose }: { onClose: () => void }) {
	const entries = useLog((s) => s.entries);
	const level = usePreferences((s) => s.logLevel);
	const setPref = usePreferences((s) => s.set);
	const [clearedAt, setClearedAt] = useState(0);
	const [source, setSource] = useState(ALL_SOURCES);
	const [search, setSearch] = useState("");
	const ids = { level: useId(), source: useId(), search: useId() };
	const sources = useMemo(() => [...new Set(entries.map((e) => e.scope))].sort(), [entries]);
	const rows = useMemo(() => filterLog(entries, { level, source, search, since: clearedAt }), [entries, level, source, search, clearedAt]);
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
				<label htmlFor={ids.search} className="sr-only">
					Search the log
				</label>
				<input id={ids.search} type="search" className="compact log-search" placeholder="Search" value={search} onChange={(e) => setSearch(e.target.value)} />
				<label htmlFor={ids.source} className="sr-only">
					Source
				</label>
				<select id={ids.source} value={source} onChange={(e) => setSource(e.target.value)} className="compact" title="Which part of the studio wrote the line">
					<option value={ALL_SOURCES}>all sources</option>
					{/* Keep a chosen source listed even when its lines have scrolled out. */}
					{(source && !sources.includes(source) ? [...sources, source] : sources).map((s) => (
						<option key={s} value={s}>
							{s}
						</option>
					))}
				</select>
				<label htmlFor={ids.level} className="sr-only">
					Level
				</label>
				<select id={ids.level} value={level} onChange={(e) => setPref("logLevel", e.target.value as LogLevel)} className="compact">
					{LOG_LEVELS.map((l) => (
						<option key={l} value={l}>
							{l === "error" ? "errors only" : `${l} and above`}
						</option>
					))}
				</select>
				<span className="muted grow log-count" role="status">
					{rows.length} lines
				</span>
				<IconButton icon={Download} label="Export the lines shown as a .log file" onClick={() => download(exportName(), formatLogFile(rows))} disabled={rows.length === 0} />
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
								<span className="log-message" title={e.message}>
									{e.message}
								</span>
							</li>
						);
					})}
				</ol>
			</div>
		</section>
	);
}
