import { ListVideo, Trash2 } from "lucide-react";
import { useEffect, useId, useState, type FormEvent } from "react";
import type { AutoRecorded, AutoRecordRule } from "../../../shared/auto-record";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { IconButton } from "../components/IconButton";
import { explainError } from "../lib/errors";
import { formatBytes } from "../lib/format";
import { useAutoRecord } from "../stores/auto-record";
import { useHost } from "../stores/host";
import { useOrigins } from "../stores/origins";

/** What a rule records, in words: `every broadcast under live` or `every broadcast`. */
export function describeRule(rule: Pick<AutoRecordRule, "prefix">): string {
	return rule.prefix === "" ? "every broadcast" : `every broadcast under ${rule.prefix}`;
}

const ENTRY_STATE: Record<AutoRecorded["state"], string> = {
	waiting: "waiting for media",
	recording: "recording",
	finished: "finished",
	failed: "failed",
};

/** One recording a rule started: the broadcast, where it stands and its file. */
function RecordedLine({ entry: e }: { entry: AutoRecorded }) {
	const name = e.file ? e.file.slice(Math.max(e.file.lastIndexOf("/"), e.file.lastIndexOf("\\")) + 1) : null;
	const why = e.state === "finished" && e.end === "stopped" ? " (stopped)" : e.state === "finished" && e.end === "disk-low" ? " (disk space low)" : "";
	return (
		<li className={e.state === "failed" ? "form-error" : "muted"} data-entry-state={e.state}>
			<span className="mono">{e.path}</span>: {ENTRY_STATE[e.state]}
			{why}
			{e.durationS > 0 ? ` · ${e.durationS.toFixed(1)} s` : ""}
			{e.bytes > 0 ? ` · ${formatBytes(e.bytes)}` : ""}
			{name ? (
				<>
					{" · "}
					<span className="mono" title={e.file ?? undefined}>
						{name}
					</span>
				</>
			) : null}
			{e.state === "failed" && e.error ? ` · ${explainError(e.error).sentence}` : ""}
		</li>
	);
}

// Set through the DOM (not a style attribute), which the strict CSP allows.
const ENTRY_LIST_STYLE = { listStyle: "none", margin: 0, padding: 0 } as const;
const RULE_LIST_STYLE = { marginTop: 12 } as const;

/** One rule: what it matches, what it recorded, and delete. */
function RuleRow({ rule: r }: { rule: AutoRecordRule }) {
	const remove = useAutoRecord((s) => s.remove);
	const [confirm, setConfirm] = useState(false);
	const label = `${describeRule(r)} of ${r.originName ?? "a deleted origin"}`;
	const running = r.recordings.filter((e) => e.state === "waiting" || e.state === "recording").length;
	return (
		<li className="card" aria-label={`Rule: ${label}`} data-rule-prefix={r.prefix}>
			<ListVideo size={18} aria-hidden className={running > 0 ? "recording-icon" : "muted"} />
			<div className="grow">
				<div className="card-title">
					Record {describeRule(r)} of <strong>{r.originName ?? "a deleted origin"}</strong>
				</div>
				<div className="muted">
					{r.format.toUpperCase()} · {r.recorded} recorded{running > 0 ? ` · ${running} running` : ""} · since {new Date(r.createdAt).toLocaleString()}
				</div>
				{r.error && <div className="form-error">Last problem: {explainError(r.error).sentence}</div>}
				{r.recordings.length === 0 ? (
					<div className="muted">Nothing recorded yet: it records each matching broadcast when it is announced.</div>
				) : (
					<ul style={ENTRY_LIST_STYLE} aria-label={`Recorded by the rule ${label}`}>
						{r.recordings.map((e) => (
							<RecordedLine key={`${e.recordingId ?? ""}:${e.startedAt}:${e.path}`} entry={e} />
						))}
					</ul>
				)}
			</div>
			<div className="row-actions">
				<IconButton icon={Trash2} tone="danger" label={`Delete the rule ${label}`} onClick={() => setConfirm(true)} />
			</div>
			<ConfirmDialog
				open={confirm}
				onClose={() => setConfirm(false)}
				onConfirm={() => void remove(r.id)}
				title={`Stop recording ${describeRule(r)}?`}
				description={
					running > 0
						? `Its ${running} running recording${running === 1 ? "" : "s"} stop now and their files are completed. Files already recorded stay.`
						: "Files already recorded stay in the recordings folder."
				}
				confirmLabel="Delete rule"
			/>
		</li>
	);
}

/** Adds a rule: an origin and a path prefix (empty records every broadcast of the origin). */
function NewRule() {
	const origins = useOrigins((s) => s.origins);
	const create = useAutoRecord((s) => s.create);
	const [originId, setOriginId] = useState("");
	const [prefix, setPrefix] = useState("");
	const ids = { origin: useId(), prefix: useId() };
	const chosen = originId || origins[0]?.id || "";
	const spaced = /\s/.test(prefix);
	const submit = async (e: FormEvent) => {
		e.preventDefault();
		if (await create(chosen, prefix.trim())) setPrefix("");
	};
	return (
		<form className="inline-form" onSubmit={submit} aria-label="New auto-record rule">
			<label htmlFor={ids.origin} className="sr-only">
				Origin to watch
			</label>
			<select id={ids.origin} value={chosen} onChange={(e) => setOriginId(e.target.value)}>
				{origins.map((o) => (
					<option key={o.id} value={o.id}>
						{o.name}
					</option>
				))}
			</select>
			<label htmlFor={ids.prefix} className="sr-only">
				Path prefix to record
			</label>
			<input
				id={ids.prefix}
				value={prefix}
				placeholder="Path prefix, e.g. live (empty: every broadcast)"
				aria-invalid={spaced || undefined}
				onChange={(e) => setPrefix(e.target.value)}
			/>
			<button type="submit" className="button" disabled={!chosen || spaced}>
				<ListVideo size={16} aria-hidden /> Add rule
			</button>
		</form>
	);
}

/**
 * Auto-record: rules that record every broadcast of an origin under a path prefix, each listed
 * with the recordings it started.
 */
export function AutoRecordRules() {
	const rules = useAutoRecord((s) => s.rules);
	const follow = useAutoRecord((s) => s.follow);
	const api = useHost((s) => s.api);
	const connected = useHost((s) => s.connected);
	const titleId = useId();
	useEffect(() => (api && connected ? follow() : undefined), [api, connected, follow]);
	return (
		<section aria-labelledby={titleId}>
			<h2 id={titleId}>Auto-record</h2>
			<p className="muted">
				Records each broadcast whose path starts with the prefix (whole path segments: <span className="mono">live</span> matches{" "}
				<span className="mono">live/show.hang</span>, not <span className="mono">lively.hang</span>), from its first group when it is announced; its end completes the file.
			</p>
			<NewRule />
			{rules !== null && rules.length > 0 && (
				<ul className="card-list" style={RULE_LIST_STYLE} aria-label="Auto-record rules">
					{rules.map((r) => (
						<RuleRow key={r.id} rule={r} />
					))}
				</ul>
			)}
		</section>
	);
}
