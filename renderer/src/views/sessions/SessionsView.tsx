import { ArrowDown, ArrowUp, HardDrive, Pencil, Plus, Power, RadioTower, RotateCw, Trash2 } from "lucide-react";
import { memo, useEffect, useRef, useState } from "react";
import type { SessionState, SessionStats } from "../../../../shared/sessions";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { EmptyState } from "../../components/EmptyState";
import { IconButton } from "../../components/IconButton";
import { StatusBadge } from "../../components/StatusBadge";
import { explainError } from "../../lib/errors";
import { formatBitrate, formatBytes, formatDuration, relayLabel } from "../../lib/format";
import { useInView, useNow } from "../../lib/hooks";
import { requireApi, useHost } from "../../stores/host";
import { useOrigins } from "../../stores/origins";
import { isTerminal, useSessions } from "../../stores/sessions";
import { SessionDialog } from "./SessionDialog";

/** Sessions: the studio's connections to relays, live. */
export function SessionsView() {
	const order = useSessions((s) => s.order);
	const loaded = useSessions((s) => s.loaded);
	const connected = useSessions((s) => s.order.filter((id) => s.byId[id]?.phase === "connected").length);
	const relay = useHost((s) => s.info?.embeddedRelayUrl ?? null);
	const [dialog, setDialog] = useState<{ editId: string | null } | null>(null);

	return (
		<section className="view" aria-labelledby="sessions-title">
			<header className="view-header">
				<div>
					<h1 id="sessions-title">Sessions</h1>
					<p className="muted view-subtitle">
						{order.length === 0 ? "Connections to MoQ relays" : `${connected} of ${order.length} connected`}
					</p>
				</div>
				<button type="button" className="button primary" onClick={() => setDialog({ editId: null })}>
					<Plus size={16} aria-hidden /> Add relay
				</button>
			</header>
			{loaded && order.length === 0 ? (
				<EmptyState icon={RadioTower} title="No relay sessions yet">
					<p>A session connects the studio to a MoQ relay: it publishes your origins there and brings back what the relay announces.</p>
					<p>{relay ? `The embedded local relay runs at ${relay}.` : "Add a relay by its URL (for example https://relay.example.com/) to get started."}</p>
				</EmptyState>
			) : (
				<ul className="card-list" aria-label="Relay sessions">
					{order.map((id) => (
						<SessionCard key={id} id={id} onEdit={() => setDialog({ editId: id })} />
					))}
				</ul>
			)}
			<SessionDialog open={dialog !== null} editId={dialog?.editId ?? null} onClose={() => setDialog(null)} />
		</section>
	);
}

/** One session: state, flow, traffic and actions. */
const SessionCard = memo(function SessionCard({ id, onEdit }: { id: string; onEdit: () => void }) {
	const session = useSessions((s) => s.byId[id]);
	const embedded = session?.embedded ?? false;
	const [confirmRemove, setConfirmRemove] = useState(false);
	const ref = useRef<HTMLLIElement>(null);
	if (!session) return null;
	const { restart, close, remove } = useSessions.getState();
	const label = relayLabel(session.url);
	const terminal = isTerminal(session);

	return (
		<li ref={ref} className={`card session-card phase-${session.phase}`} aria-label={`Session to ${label}`} data-session-id={id}>
			<div className="session-main">
				<div className="session-title-row">
					<StatusBadge session={session} />
					<span className="session-url" title={session.url}>
						{session.url}
					</span>
					{embedded && (
						<span className="tag tag-accent" title="The studio's own relay, on this machine">
							<HardDrive size={12} aria-hidden /> Local relay
						</span>
					)}
				</div>
				<SessionFacts session={session} />
				<SessionProblem session={session} />
				<SessionFlow session={session} />
			</div>
			<SessionTraffic session={session} cardRef={ref} />
			<div className="row-actions">
				<IconButton icon={RotateCw} label={terminal ? `Connect again to ${label}` : `Reconnect to ${label}`} onClick={() => void restart(id)} />
				{!terminal && <IconButton icon={Power} label={`Disconnect from ${label}`} onClick={() => void close(id)} />}
				<IconButton icon={Pencil} label={`Edit session to ${label}`} onClick={onEdit} />
				<IconButton icon={Trash2} tone="danger" label={`Remove session to ${label}`} onClick={() => setConfirmRemove(true)} />
			</div>
			<ConfirmDialog
				open={confirmRemove}
				onClose={() => setConfirmRemove(false)}
				onConfirm={() => void remove(id)}
				title="Remove this session?"
				description={`The studio disconnects from ${label} and forgets it.`}
				confirmLabel="Remove"
			/>
		</li>
	);
});

function SessionFacts({ session }: { session: SessionState }) {
	const now = useNow(1000);
	const facts: string[] = [];
	if (session.phase === "connected") {
		const kind = session.transportKind;
		if (kind) facts.push(kind === "webtransport-h3" ? "WebTransport (HTTP/3)" : kind === "webtransport-h2" ? "WebTransport (HTTP/2)" : kind === "in-process" ? "In-process link" : "WebSocket");
		else if (session.transport) facts.push(session.transport === "websocket" ? "WebSocket" : "WebTransport");
		if (session.version) facts.push(session.version);
		if (session.connectedAt) facts.push(`up ${formatDuration(now - session.connectedAt)}`);
	}
	facts.push(`epoch ${session.epoch}`);
	facts.push(`${session.reconnects} reconnect${session.reconnects === 1 ? "" : "s"}`);
	return (
		<div className="session-facts muted">
			{facts.map((f, i) => (
				<span key={i} data-fact={i}>
					{f}
				</span>
			))}
		</div>
	);
}

function SessionProblem({ session }: { session: SessionState }) {
	if (session.phase === "backoff") {
		return (
			<p className="session-problem warn" role="status">
				<strong>{session.epoch > 0 ? "Connection lost:" : "Cannot connect:"}</strong> {session.lastError ? explainError(session.lastError).sentence : "No answer."}
				{session.attempt > 1 && <span className="muted"> · attempt {session.attempt}</span>}
			</p>
		);
	}
	if (session.phase === "failed") {
		return (
			<p className="session-problem bad" role="status">
				<strong>Stopped reconnecting.</strong> {session.lastError ? explainError(session.lastError).sentence : "The session failed."}{" "}
				<span className="muted">Use Reconnect to try again.</span>
				{session.lastError && <ErrorDetails text={explainError(session.lastError).details} />}
			</p>
		);
	}
	return null;
}

function SessionFlow({ session }: { session: SessionState }) {
	const origins = useOrigins((s) => s.origins);
	const name = (id: string | null) => (id ? (origins.find((o) => o.id === id)?.name ?? "unknown origin") : null);
	const pub = name(session.publishOrigin);
	const con = name(session.consumeOrigin);
	return (
		<div className="session-flow">
			<span className={pub ? "flow" : "flow flow-none"}>
				<ArrowUp size={12} aria-hidden /> Publishes {pub ? <span className="tag">{pub}</span> : <span className="muted">nothing</span>}
			</span>
			<span className={con ? "flow" : "flow flow-none"}>
				<ArrowDown size={12} aria-hidden /> Consumes into {con ? <span className="tag">{con}</span> : <span className="muted">nothing</span>}
				{con && session.prefix && <span className="muted"> · under <code>{session.prefix}</code></span>}
			</span>
		</div>
	);
}

/** Bytes and bitrate in and out, polled about once a second while the card is on screen and live. */
function SessionTraffic({ session, cardRef }: { session: SessionState; cardRef: React.RefObject<HTMLLIElement | null> }) {
	const visible = useInView(cardRef);
	const [stats, setStats] = useState<SessionStats | null>(null);
	const terminal = isTerminal(session);
	useEffect(() => {
		if (!visible) return;
		let live = true;
		const poll = () =>
			requireApi()
				.invoke("sessions.stats", { id: session.id })
				.then(
					(s) => live && setStats(s),
					() => undefined,
				);
		void poll();
		if (terminal) return;
		const timer = setInterval(poll, 1000);
		return () => {
			live = false;
			clearInterval(timer);
		};
	}, [visible, terminal, session.id]);

	const published = stats?.broadcasts.filter((b) => b.direction === "publish") ?? [];
	return (
		<dl className="traffic" aria-label="Traffic">
			<div>
				<dt>
					<ArrowDown size={12} aria-hidden /> In
				</dt>
				<dd className="rate">{formatBitrate(stats?.bitrateIn ?? 0)}</dd>
				<dd className="muted">{formatBytes(stats?.bytesIn ?? 0)}</dd>
			</div>
			<div>
				<dt>
					<ArrowUp size={12} aria-hidden /> Out
				</dt>
				<dd className="rate">{formatBitrate(stats?.bitrateOut ?? 0)}</dd>
				<dd className="muted">{formatBytes(stats?.bytesOut ?? 0)}</dd>
			</div>
			{published.length > 0 && (
				<div className="traffic-broadcasts">
					<dt>Publishing</dt>
					{published.map((b) => (
						<dd key={b.path} className="muted" title={b.tracks.map((t) => `${t.name}: ${t.frames} frames, ${t.subscribers} subscriber(s)`).join("\n")}>
							<span className="mono">{b.path}</span> · {formatBitrate(b.bitrate)}
						</dd>
					))}
				</div>
			)}
		</dl>
	);
}

/** The error's code and the engine's words, folded away (for a bug report or a search). */
function ErrorDetails({ text }: { text: string }) {
	return (
		<details className="error-details">
			<summary>Details</summary>
			<code>{text}</code>
		</details>
	);
}
