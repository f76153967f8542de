import { useVirtualizer } from "@tanstack/react-virtual";
import { FolderTree, HardDrive, Radio, Search, X } from "lucide-react";
import { memo, useDeferredValue, useMemo, useRef } from "react";
import { EmptyState } from "../components/EmptyState";
import { formatAgo } from "../lib/format";
import { useNow } from "../lib/hooks";
import { underPrefix, useBroadcasts, type BroadcastEntry } from "../stores/broadcasts";
import { useOrigins } from "../stores/origins";
import { usePreferences } from "../stores/preferences";
import { useSessions } from "../stores/sessions";

const ROW_HEIGHT = 44;

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
					</div>
					<div ref={scrollRef} className="table-scroll" tabIndex={0} aria-label="Announced broadcasts list, scrollable">
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
										/>
									);
								})}
							</ul>
						)}
					</div>
				</div>
			)}
		</section>
	);
}

const BroadcastRow = memo(function BroadcastRow({
	entry,
	top,
	index,
	total,
	origin,
	through,
}: {
	entry: BroadcastEntry;
	top: number;
	index: number;
	total: number;
	origin: string;
	through: string | null;
}) {
	const now = useNow(1000);
	const ended = entry.endedAt !== null;
	return (
		<li
			className={`row${ended ? " row-ended" : ""}`}
			style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
			aria-setsize={total}
			aria-posinset={index + 1}
			data-path={entry.path}
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
		</li>
	);
});
