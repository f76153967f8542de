import { useVirtualizer } from "@tanstack/react-virtual";
import { Circle, Copy, Eye, FolderTree, HardDrive, Radio, Search, X, type LucideIcon } from "lucide-react";
import { memo, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type MouseEvent as ReactMouseEvent } from "react";
import { EmptyState } from "../components/EmptyState";
import { formatAgo } from "../lib/format";
import { useNow } from "../lib/hooks";
import { useMonitors } from "../monitor/store";
import { underPrefix, useBroadcasts, type BroadcastEntry } from "../stores/broadcasts";
import { useNavigation } from "../stores/navigation";
import { useNotifications } from "../stores/notifications";
import { useOrigins } from "../stores/origins";
import { usePreferences } from "../stores/preferences";
import { useRecordings } from "../stores/recordings";
import { useSessions } from "../stores/sessions";

const ROW_HEIGHT = 44;

/** What a row offers, as buttons and in its context menu. */
type RowAction = "watch" | "record" | "copy";

const ACTIONS: { action: RowAction; label: string; icon: LucideIcon }[] = [
	{ action: "watch", label: "Watch", icon: Eye },
	{ action: "record", label: "Record", icon: Circle },
	{ action: "copy", label: "Copy path", icon: Copy },
];

/** Runs a row action; results and failures are reported through the notifications store. */
function runAction(action: RowAction, entry: BroadcastEntry): void {
	switch (action) {
		case "watch":
			void useMonitors.getState().open(entry.originId, entry.path);
			useNavigation.getState().go("monitor");
			break;
		case "record":
			void useRecordings.getState().start(entry.originId, entry.path);
			break;
		case "copy":
			navigator.clipboard.writeText(entry.path).then(
				() => useNotifications.getState().push("info", "Path copied", entry.path),
				(err: unknown) => useNotifications.getState().error("Could not copy the path", err),
			);
			break;
	}
}

/** Whether a row action applies: an ended broadcast cannot be recorded (watching waits for it to return). */
function actionEnabled(action: RowAction, entry: BroadcastEntry): boolean {
	return action !== "record" || entry.endedAt === null;
}

/** The entries to show: under `prefix`, matching `search` (path, origin or relay), by path. */
export function visibleEntries(
	entries: Map<string, BroadcastEntry>,
	prefix: string,
	search: string,
	describe: (e: BroadcastEntry) => string,
): BroadcastEntry[] {
	const needle = search.trim().toLowerCase();
	const out: BroadcastEntry[] = [];
	for (const e of entries.values()) {
		if (!underPrefix(e.path, prefix)) continue;
		if (needle && !e.path.toLowerCase().includes(needle) && !describe(e).toLowerCase().includes(needle)) continue;
		out.push(e);
	}
	// Plain code-unit order: cheap on 10,000 paths, and stable across locales.
	out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.originId < b.originId ? -1 : a.originId > b.originId ? 1 : 0));
	return out;
}

/** Broadcasts: everything every origin holds, local and announced by relays, live. */
export function BroadcastsView() {
	const version = useBroadcasts((s) => s.version);
	const entries = useBroadcasts((s) => s.entries);
	const live = useBroadcasts((s) => s.live);
	const loaded = useBroadcasts((s) => s.loaded);
	const prefix = usePreferences((s) => s.broadcastsPrefix);
	const search = usePreferences((s) => s.broadcastsSearch);
	const setPref = usePreferences((s) => s.set);
	const origins = useOrigins((s) => s.origins);
	const sessions = useSessions((s) => s.byId);

	const originName = useMemo(() => new Map(origins.map((o) => [o.id, o.name])), [origins]);
	const sessionUrl = useMemo(() => new Map(Object.values(sessions).map((s) => [s.id, s.url])), [sessions]);

	// Typing stays responsive under a flood: the list follows the filter at lower priority.
	const deferredPrefix = useDeferredValue(prefix);
	const deferredSearch = useDeferredValue(search);
	const rows = useMemo(
		() =>
			visibleEntries(entries, deferredPrefix, deferredSearch, (e) => `${originName.get(e.originId) ?? ""} ${e.sessionId ? (sessionUrl.get(e.sessionId) ?? "") : "local"}`),
		// `version` changes whenever `entries` (a Map changed in place) does.
		[entries, version, deferredPrefix, deferredSearch, originName, sessionUrl],
	);

	const scrollRef = useRef<HTMLDivElement>(null);
	const virtualizer = useVirtualizer({
		count: rows.length,
		getScrollElement: () => scrollRef.current,
		estimateSize: () => ROW_HEIGHT,
		overscan: 8,
		getItemKey: (i) => rows[i]?.key ?? i,
	});

	const filtered = prefix.trim() !== "" || search.trim() !== "";
	const ended = entries.size - live;

	// One context menu for the whole list, not one per row: rows stay cheap under scrolling.
	const [menu, setMenu] = useState<{ entry: BroadcastEntry; x: number; y: number } | null>(null);
	const openMenu = useCallback((entry: BroadcastEntry, x: number, y: number) => setMenu({ entry, x, y }), []);
	const closeMenu = useCallback(() => setMenu(null), []);

	return (
		<section className="view view-fill" aria-labelledby="broadcasts-title">
			<header className="view-header">
				<div>
					<h1 id="broadcasts-title">Broadcasts</h1>
					<p className="muted view-subtitle" role="status" aria-live="polite" aria-atomic>
						<span data-testid="broadcast-count">{live}</span> live{ended > 0 ? ` · ${ended} ended` : ""}
						{filtered ? ` · ${rows.length} shown` : ""}
					</p>
				</div>
				<div className="filters" role="search" aria-label="Filter broadcasts">
					<label className="input-with-icon">
						<FolderTree size={14} aria-hidden />
						<span className="sr-only">Path prefix</span>
						<input
							className="mono"
							value={prefix}
							onChange={(e) => setPref("broadcastsPrefix", e.target.value)}
							placeholder="Path prefix, e.g. live/"
							spellCheck={false}
							aria-label="Path prefix"
						/>
					</label>
					<label className="input-with-icon">
						<Search size={14} aria-hidden />
						<input
							type="search"
							value={search}
							onChange={(e) => setPref("broadcastsSearch", e.target.value)}
							placeholder="Search path, origin, relay"
							aria-label="Search"
						/>
					</label>
					{filtered && (
						<button
							type="button"
							className="button"
							onClick={() => {
								setPref("broadcastsPrefix", "");
								setPref("broadcastsSearch", "");
							}}
						>
							<X size={14} aria-hidden /> Clear filter
						</button>
					)}
				</div>
			</header>
			{loaded && entries.size === 0 ? (
				<EmptyState icon={Radio} title="No announced broadcasts">
					<p>Broadcasts that your relay sessions announce appear here live, with the session and origin they came through.</p>
					<p>Connect a session with a consume origin to see them.</p>
				</EmptyState>
			) : (
				<div className="table">
					<div className="table-head" aria-hidden>
						<span>Path</span>
						<span>Origin</span>
						<span>Through</span>
						<span>Since</span>
						<span>Actions</span>
					</div>
					<div ref={scrollRef} className="table-scroll" tabIndex={0} aria-label="Announced broadcasts list, scrollable" onScroll={menu ? closeMenu : undefined}>
						{rows.length === 0 ? (
							<p className="muted table-empty">No broadcast matches the filter.</p>
						) : (
							<ul role="list" aria-label="Announced broadcasts" className="virtual" style={{ height: virtualizer.getTotalSize() }}>
								{virtualizer.getVirtualItems().map((item) => {
									const e = rows[item.index]!;
									return (
										<BroadcastRow
											key={item.key}
											entry={e}
											top={item.start}
											index={item.index}
											total={rows.length}
											origin={originName.get(e.originId) ?? "deleted origin"}
											through={e.sessionId ? (sessionUrl.get(e.sessionId) ?? "a closed session") : null}
											onMenu={openMenu}
										/>
									);
								})}
							</ul>
						)}
					</div>
				</div>
			)}
			{menu && <RowMenu entry={menu.entry} x={menu.x} y={menu.y} onClose={closeMenu} />}
		</section>
	);
}

/** The context menu of a row: the row's actions, at the pointer, closed by Escape, a click elsewhere or a scroll. */
function RowMenu({ entry, x, y, onClose }: { entry: BroadcastEntry; x: number; y: number; onClose: () => void }) {
	const ref = useRef<HTMLDivElement>(null);
	useEffect(() => {
		const el = ref.current;
		el?.querySelector<HTMLButtonElement>("button:not(:disabled)")?.focus();
		const onPointer = (ev: PointerEvent) => {
			if (el && !el.contains(ev.target as Node)) onClose();
		};
		const onKey = (ev: KeyboardEvent) => {
			if (ev.key === "Escape") onClose();
			if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
				ev.preventDefault();
				const items = [...(el?.querySelectorAll<HTMLButtonElement>("button:not(:disabled)") ?? [])];
				const at = items.indexOf(document.activeElement as HTMLButtonElement);
				items[(at + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length]?.focus();
			}
		};
		document.addEventListener("pointerdown", onPointer, true);
		document.addEventListener("keydown", onKey);
		return () => {
			document.removeEventListener("pointerdown", onPointer, true);
			document.removeEventListener("keydown", onKey);
		};
	}, [onClose]);
	// Kept inside the window: the menu is about 140 px tall and 180 px wide.
	const left = Math.min(x, window.innerWidth - 190);
	const top = Math.min(y, window.innerHeight - 150);
	return (
		<div ref={ref} role="menu" aria-label={`Actions for ${entry.path}`} className="context-menu" style={{ left, top }}>
			{ACTIONS.map(({ action, label, icon: Icon }) => (
				<button
					key={action}
					type="button"
					role="menuitem"
					className="context-menu-item"
					disabled={!actionEnabled(action, entry)}
					onClick={() => {
						onClose();
						runAction(action, entry);
					}}
				>
					<Icon size={14} aria-hidden /> {label}
				</button>
			))}
		</div>
	);
}

const BroadcastRow = memo(function BroadcastRow({
	entry,
	top,
	index,
	total,
	origin,
	through,
	onMenu,
}: {
	entry: BroadcastEntry;
	top: number;
	index: number;
	total: number;
	origin: string;
	through: string | null;
	onMenu: (entry: BroadcastEntry, x: number, y: number) => void;
}) {
	const now = useNow(1000);
	const ended = entry.endedAt !== null;
	const onContextMenu = (ev: ReactMouseEvent) => {
		ev.preventDefault();
		// From the keyboard (context-menu key, Shift+F10) the pointer is nowhere: open at the row.
		const rect = ev.currentTarget.getBoundingClientRect();
		onMenu(entry, ev.clientX || rect.left + 24, ev.clientY || rect.bottom);
	};
	return (
		<li
			onContextMenu={onContextMenu}
			className={`row${ended ? " row-ended" : ""}`}
			style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
			aria-setsize={total}
			aria-posinset={index + 1}
			data-path={entry.path}
			data-origin={entry.originId}
			data-state={ended ? "ended" : "live"}
		>
			<span className="cell-path mono" title={entry.path}>
				<span className={`dot ${ended ? "dot-closed" : "dot-live"}`} aria-hidden />
				{entry.path}
			</span>
			<span className="cell">
				<span className="tag">{origin}</span>
			</span>
			<span className="cell muted" title={through ?? "Produced by this studio"}>
				{through ? (
					<span className="mono">{through}</span>
				) : (
					<>
						<HardDrive size={12} aria-hidden /> this studio
					</>
				)}
			</span>
			<span className="cell muted">
				{ended ? <span className="ended-label">ended {formatAgo(entry.endedAt!, now)}</span> : formatAgo(entry.since, now)}
			</span>
			<span className="cell row-actions">
				{/* Native titles, not a tooltip component per row: thousands of rows scroll through here. */}
				{ACTIONS.map(({ action, label, icon: Icon }) => (
					<button
						key={action}
						type="button"
						className="icon-button"
						title={label}
						aria-label={`${label} ${entry.path}`}
						data-action={action}
						disabled={!actionEnabled(action, entry)}
						onClick={() => runAction(action, entry)}
					>
						<Icon size={15} aria-hidden />
					</button>
				))}
			</span>
		</li>
	);
});
