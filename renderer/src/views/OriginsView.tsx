import { ArrowDown, ArrowUp, Cable, Check, Layers, Pencil, Plus, Trash2, X } from "lucide-react";
import { useId, useMemo, useState, type FormEvent } from "react";
import type { Origin } from "../../../shared/models";
import type { SessionState } from "../../../shared/sessions";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Dialog } from "../components/Dialog";
import { EmptyState } from "../components/EmptyState";
import { IconButton } from "../components/IconButton";
import { formatAgo, relayLabel } from "../lib/format";
import { useNow } from "../lib/hooks";
import { useNotifications } from "../stores/notifications";
import { useOrigins } from "../stores/origins";
import { useSessions } from "../stores/sessions";

/** Origins: named collections of broadcasts; create, rename, delete, and attach to sessions. */
export function OriginsView() {
	const { origins, loaded, create } = useOrigins();
	const [name, setName] = useState("");
	const inputId = useId();

	const submit = async (e: FormEvent) => {
		e.preventDefault();
		if (!name.trim()) return;
		if (await create(name.trim())) setName("");
	};

	return (
		<section className="view" aria-labelledby="origins-title">
			<header className="view-header">
				<div>
					<h1 id="origins-title">Origins</h1>
					<p className="muted view-subtitle">Named collections of broadcasts, published to and consumed from relays</p>
				</div>
				<form className="inline-form" onSubmit={submit}>
					<label htmlFor={inputId} className="sr-only">
						New origin name
					</label>
					<input id={inputId} value={name} onChange={(e) => setName(e.target.value)} placeholder="New origin name" maxLength={80} />
					{/* An origin needs a name: nothing to send until one is typed. */}
					<button type="submit" className="button primary" disabled={name.trim() === ""} title={name.trim() === "" ? "Type a name first" : undefined}>
						<Plus size={16} aria-hidden /> Create origin
					</button>
				</form>
			</header>
			{loaded && origins.length === 0 ? (
				<EmptyState icon={Layers} title="No origins yet">
					<p>An origin is a named collection of broadcasts. Attach one to several sessions to go live on several relays at once, or consume one relay into it and publish it through another.</p>
					<p>Name your first origin above, for example “show”.</p>
				</EmptyState>
			) : (
				<ul className="card-list" aria-label="Origins">
					{origins.map((o) => (
						<OriginRow key={o.id} origin={o} />
					))}
				</ul>
			)}
		</section>
	);
}

function OriginRow({ origin }: { origin: Origin }) {
	const { rename, remove } = useOrigins();
	const byId = useSessions((s) => s.byId);
	const order = useSessions((s) => s.order);
	const now = useNow(10_000);
	const [editing, setEditing] = useState(false);
	const [draft, setDraft] = useState(origin.name);
	const [attaching, setAttaching] = useState(false);
	const [confirmDelete, setConfirmDelete] = useState(false);

	const sessions = order.map((id) => byId[id]).filter((s): s is SessionState => s !== undefined);
	const publishers = sessions.filter((s) => s.publishOrigin === origin.id);
	const consumers = sessions.filter((s) => s.consumeOrigin === origin.id);

	const save = async (e: FormEvent) => {
		e.preventDefault();
		if (!draft.trim()) return;
		if (await rename(origin.id, draft.trim())) setEditing(false);
	};

	return (
		<li className="card origin-card" aria-label={`Origin ${origin.name}`}>
			<div className="origin-head">
				{editing ? (
					<form className="inline-form grow" onSubmit={save}>
						<input
							aria-label={`New name for ${origin.name}`}
							value={draft}
							onChange={(e) => setDraft(e.target.value)}
							onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
							maxLength={80}
							autoFocus
						/>
						<button type="submit" className="icon-button" aria-label="Save name" disabled={draft.trim() === ""}>
							<Check size={16} aria-hidden />
						</button>
						<button type="button" className="icon-button" aria-label="Cancel rename" onClick={() => setEditing(false)}>
							<X size={16} aria-hidden />
						</button>
					</form>
				) : (
					<div className="grow">
						<div className="card-title">{origin.name}</div>
						<div className="muted">
							{origin.broadcastCount === 0 ? "no broadcasts" : `${origin.broadcastCount} broadcast${origin.broadcastCount === 1 ? "" : "s"}`} · created{" "}
							{formatAgo(origin.createdAt, now)}
						</div>
					</div>
				)}
				{!editing && (
					<div className="row-actions">
						<button type="button" className="button small" onClick={() => setAttaching(true)} aria-label={`Attach ${origin.name} to sessions`}>
							<Cable size={14} aria-hidden /> Attach
						</button>
						<IconButton
							icon={Pencil}
							label={`Rename ${origin.name}`}
							onClick={() => {
								setDraft(origin.name);
								setEditing(true);
							}}
						/>
						<IconButton icon={Trash2} tone="danger" label={`Delete ${origin.name}`} onClick={() => setConfirmDelete(true)} />
					</div>
				)}
			</div>
			<div className="origin-flows">
				<FlowList icon="up" title="Published to" sessions={publishers} empty="no relay" />
				<FlowList icon="down" title="Consumed from" sessions={consumers} empty="no relay" />
			</div>
			<AttachDialog open={attaching} origin={origin} sessions={sessions} onClose={() => setAttaching(false)} />
			<ConfirmDialog
				open={confirmDelete}
				onClose={() => setConfirmDelete(false)}
				onConfirm={() => void remove(origin.id)}
				title={`Delete ${origin.name}?`}
				description="Its broadcasts end on every relay it is published to."
				confirmLabel="Delete"
			/>
		</li>
	);
}

function FlowList({ icon, title, sessions, empty }: { icon: "up" | "down"; title: string; sessions: SessionState[]; empty: string }) {
	const Icon = icon === "up" ? ArrowUp : ArrowDown;
	return (
		<div className="flow-list">
			<span className="flow-title">
				<Icon size={12} aria-hidden /> {title}
			</span>
			{sessions.length === 0 ? (
				<span className="muted">{empty}</span>
			) : (
				<ul aria-label={`${title}`}>
					{sessions.map((s) => (
						<li key={s.id} className="tag flow-tag" title={s.url}>
							<span className={`dot dot-${s.phase}`} aria-hidden />
							<span className="flow-tag-text">{relayLabel(s.url)}</span>
							<span className="sr-only"> ({s.phase})</span>
						</li>
					))}
				</ul>
			)}
		</div>
	);
}

/**
 * Attach an origin to sessions as publish and/or consume. Each changed session is updated with
 * `sessions.update` (so it reconnects under a new id with the new origins).
 */
function AttachDialog({ open, origin, sessions, onClose }: { open: boolean; origin: Origin; sessions: SessionState[]; onClose: () => void }) {
	const origins = useOrigins((s) => s.origins);
	const initial = useMemo(
		() => Object.fromEntries(sessions.map((s) => [s.id, { publish: s.publishOrigin === origin.id, consume: s.consumeOrigin === origin.id }])),
		// Snapshot when opened: live reconnects must not reset the checkboxes being edited.
		[open],
	);
	const [choice, setChoice] = useState<Record<string, { publish: boolean; consume: boolean }>>({});
	const [busy, setBusy] = useState(false);
	const current = (id: string) => choice[id] ?? initial[id] ?? { publish: false, consume: false };
	const nameOf = (id: string | null) => origins.find((o) => o.id === id)?.name;

	const close = () => {
		setChoice({});
		onClose();
	};

	const apply = async () => {
		setBusy(true);
		const { attach } = useSessions.getState();
		const changes = sessions.filter((s) => {
			const c = current(s.id);
			const was = initial[s.id];
			return was && (c.publish !== was.publish || c.consume !== was.consume);
		});
		const results = await Promise.allSettled(
			changes.map((s) => {
				const c = current(s.id);
				const was = initial[s.id]!;
				return attach(s.id, {
					publishOrigin: c.publish === was.publish ? undefined : c.publish ? origin.id : null,
					consumeOrigin: c.consume === was.consume ? undefined : c.consume ? origin.id : null,
				});
			}),
		);
		for (const r of results) if (r.status === "rejected") useNotifications.getState().error(`Could not attach ${origin.name}`, r.reason);
		setBusy(false);
		close();
	};

	return (
		<Dialog
			open={open}
			onClose={close}
			wide
			title={`Attach ${origin.name}`}
			description="Publish it to several relays at once, or consume a relay into it. Changed sessions reconnect."
		>
			{sessions.length === 0 ? (
				<p className="muted">There are no sessions yet: add a relay in Sessions first.</p>
			) : (
				<table className="attach-table">
					<thead>
						<tr>
							<th scope="col">Session</th>
							<th scope="col">Publish</th>
							<th scope="col">Consume</th>
						</tr>
					</thead>
					<tbody>
						{sessions.map((s) => {
							const c = current(s.id);
							const label = relayLabel(s.url);
							const otherPub = s.publishOrigin && s.publishOrigin !== origin.id ? nameOf(s.publishOrigin) : undefined;
							const otherCon = s.consumeOrigin && s.consumeOrigin !== origin.id ? nameOf(s.consumeOrigin) : undefined;
							return (
								<tr key={s.id}>
									<th scope="row">
										<span className={`dot dot-${s.phase}`} aria-hidden /> {label}
									</th>
									<td>
										<label className="check">
											<input
												type="checkbox"
												aria-label={`Publish ${origin.name} to ${label}`}
												checked={c.publish}
												onChange={(e) => setChoice((x) => ({ ...x, [s.id]: { ...c, publish: e.target.checked } }))}
											/>
											{otherPub && c.publish && <span className="muted">replaces {otherPub}</span>}
										</label>
									</td>
									<td>
										<label className="check">
											<input
												type="checkbox"
												aria-label={`Consume ${label} into ${origin.name}`}
												checked={c.consume}
												onChange={(e) => setChoice((x) => ({ ...x, [s.id]: { ...c, consume: e.target.checked } }))}
											/>
											{otherCon && c.consume && <span className="muted">replaces {otherCon}</span>}
										</label>
									</td>
								</tr>
							);
						})}
					</tbody>
				</table>
			)}
			<footer className="dialog-footer">
				<button type="button" className="button" onClick={close}>
					Cancel
				</button>
				<button type="button" className="button primary" disabled={busy || sessions.length === 0} onClick={() => void apply()}>
					Apply
				</button>
			</footer>
		</Dialog>
	);
}
