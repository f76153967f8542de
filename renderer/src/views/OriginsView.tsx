import { Check, Layers, Pencil, Plus, Trash2, X } from "lucide-react";
import { useEffect, useId, useState, type FormEvent } from "react";
import type { Origin } from "../../../shared/models";
import { EmptyState } from "../components/EmptyState";
import { useOrigins } from "../stores/origins";

/** Origins: named collections of broadcasts, create / rename / delete. */
export function OriginsView() {
	const { origins, loaded, follow, create } = useOrigins();
	const [name, setName] = useState("");
	const inputId = useId();

	useEffect(() => follow(), [follow]);

	const submit = async (e: FormEvent) => {
		e.preventDefault();
		if (await create(name)) setName("");
	};

	return (
		<section className="view" aria-labelledby="origins-title">
			<header className="view-header">
				<h1 id="origins-title">Origins</h1>
				<form className="inline-form" onSubmit={submit}>
					<label htmlFor={inputId} className="sr-only">
						New origin name
					</label>
					<input id={inputId} value={name} onChange={(e) => setName(e.target.value)} placeholder="New origin name" />
					<button type="submit" className="button primary">
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
	const [editing, setEditing] = useState(false);
	const [draft, setDraft] = useState(origin.name);

	const save = async (e: FormEvent) => {
		e.preventDefault();
		if (await rename(origin.id, draft)) setEditing(false);
	};

	return (
		<li className="card">
			{editing ? (
				<form className="inline-form grow" onSubmit={save}>
					<input aria-label={`New name for ${origin.name}`} value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus />
					<button type="submit" className="icon-button" aria-label="Save name">
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
						{origin.broadcastCount === 0 ? "no broadcasts" : `${origin.broadcastCount} broadcast${origin.broadcastCount === 1 ? "" : "s"}`}
					</div>
				</div>
			)}
			{!editing && (
				<div className="row-actions">
					<button type="button" className="icon-button" aria-label={`Rename ${origin.name}`} onClick={() => { setDraft(origin.name); setEditing(true); }}>
						<Pencil size={16} aria-hidden />
					</button>
					<button type="button" className="icon-button danger" aria-label={`Delete ${origin.name}`} onClick={() => void remove(origin.id)}>
						<Trash2 size={16} aria-hidden />
					</button>
				</div>
			)}
		</li>
	);
}
