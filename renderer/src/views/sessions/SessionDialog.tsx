import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import type { SessionConnectArgs } from "../../../../shared/sessions";
import { Dialog } from "../../components/Dialog";
import { errorText } from "../../lib/errors";
import type { Origin } from "../../../../shared/models";
import { useOrigins } from "../../stores/origins";
import { useSessions } from "../../stores/sessions";

/** The engine's backoff defaults (milliseconds), shown as the form's starting values. */
const DEFAULT_BACKOFF = { initial: 500, multiplier: 2, max: 30_000, timeout: 0 };

interface Draft {
	url: string;
	token: string;
	clearToken: boolean;
	certificateSha256: string;
	transport: "auto" | "websocket" | "webtransport";
	webTransportUrl: string;
	publishOrigin: string;
	consumeOrigin: string;
	prefix: string;
	initialS: string;
	multiplier: string;
	maxS: string;
	timeoutS: string;
}

const EMPTY: Draft = {
	url: "",
	token: "",
	clearToken: false,
	certificateSha256: "",
	transport: "auto",
	webTransportUrl: "",
	publishOrigin: "",
	consumeOrigin: "",
	prefix: "",
	initialS: String(DEFAULT_BACKOFF.initial / 1000),
	multiplier: String(DEFAULT_BACKOFF.multiplier),
	maxS: String(DEFAULT_BACKOFF.max / 1000),
	timeoutS: String(DEFAULT_BACKOFF.timeout / 1000),
};

/** What the form would send, or a plain-words problem with a field. */
function toArgs(d: Draft, editing: boolean): { args: SessionConnectArgs } | { field: keyof Draft; message: string } {
	const url = d.url.trim();
	if (!url) return { field: "url", message: "Enter the relay's URL, for example https://relay.example.com/" };
	const pin = d.certificateSha256.replace(/[:\s]/g, "");
	if (pin && !/^[0-9a-fA-F]{64}$/.test(pin)) return { field: "certificateSha256", message: "A certificate pin is a sha-256 hash: 64 hex digits (colons allowed)." };
	const webTransportUrl = d.webTransportUrl.trim();
	if (webTransportUrl && !/^https:\/\/[^\s/]+/i.test(webTransportUrl)) return { field: "webTransportUrl", message: "A WebTransport address starts with https://, for example https://relay.example.com:4443/" };
	const seconds = (v: string, field: keyof Draft, max: number): number | { field: keyof Draft; message: string } => {
		const n = Number(v);
		if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > max) return { field, message: `Enter a number of seconds from 0 to ${max}.` };
		return Math.round(n * 1000);
	};
	const initial = seconds(d.initialS, "initialS", 600);
	if (typeof initial !== "number") return initial;
	const max = seconds(d.maxS, "maxS", 3600);
	if (typeof max !== "number") return max;
	// The engine would clamp every wait to `max`: a longest wait below the first retry is a typo.
	if (max < initial) return { field: "maxS", message: `The longest wait cannot be shorter than the first retry (${d.initialS.trim()} s).` };
	const timeout = seconds(d.timeoutS, "timeoutS", 7 * 24 * 3600);
	if (typeof timeout !== "number") return timeout;
	const multiplier = Number(d.multiplier);
	if (!Number.isFinite(multiplier) || multiplier < 1 || multiplier > 10) return { field: "multiplier", message: "The multiplier is a number from 1 to 10." };
	const args: SessionConnectArgs = {
		url,
		transport: d.transport,
		backoff: { initial, multiplier, max, timeout },
	};
	if (d.token) args.token = d.token;
	else if (editing && d.clearToken) args.token = "";
	if (pin) args.certificateSha256 = d.certificateSha256.trim();
	if (webTransportUrl && d.transport !== "websocket") args.webTransportUrl = webTransportUrl;
	if (d.publishOrigin) args.publishOrigin = d.publishOrigin;
	if (d.consumeOrigin) args.consumeOrigin = d.consumeOrigin;
	if (d.prefix.trim()) args.prefix = d.prefix.trim();
	return { args };
}

/**
 * Add a relay, or edit one (`editId`): URL, token, certificate pin, transport, origins, prefix
 * and backoff. Editing prefills from `sessions.config`; the token is never shown, only whether one
 * is set, and leaving it empty keeps it.
 */
export function SessionDialog({ open, editId, onClose }: { open: boolean; editId: string | null; onClose: () => void }) {
	const origins = useOrigins((s) => s.origins);
	const { connect, update, config } = useSessions.getState();
	const [draft, setDraft] = useState<Draft>(EMPTY);
	const [hasToken, setHasToken] = useState(false);
	const [problem, setProblem] = useState<{ field: keyof Draft | null; message: string } | null>(null);
	const [busy, setBusy] = useState(false);
	const [loading, setLoading] = useState(false);

	useEffect(() => {
		if (!open) return;
		setProblem(null);
		setBusy(false);
		if (!editId) {
			setDraft(EMPTY);
			setHasToken(false);
			return;
		}
		// Start from an empty form, not the last one shown: until the config arrives the dialog
		// would otherwise show another session's values, or a token typed before (never shown again).
		setDraft(EMPTY);
		setHasToken(false);
		let live = true;
		setLoading(true);
		config(editId).then(
			(c) => {
				if (!live) return;
				setHasToken(c.hasToken);
				setDraft({
					...EMPTY,
					url: c.url,
					certificateSha256: c.certificateSha256 ?? "",
					transport: c.transport ?? "auto",
					webTransportUrl: c.webTransportUrl ?? "",
					publishOrigin: c.publishOrigin ?? "",
					consumeOrigin: c.consumeOrigin ?? "",
					prefix: c.prefix ?? "",
					initialS: String((c.backoff?.initial ?? DEFAULT_BACKOFF.initial) / 1000),
					multiplier: String(c.backoff?.multiplier ?? DEFAULT_BACKOFF.multiplier),
					maxS: String((c.backoff?.max ?? DEFAULT_BACKOFF.max) / 1000),
					timeoutS: String((c.backoff?.timeout ?? DEFAULT_BACKOFF.timeout) / 1000),
				});
				setLoading(false);
			},
			(err: unknown) => {
				if (!live) return;
				setProblem({ field: null, message: messageOf(err) });
				setLoading(false);
			},
		);
		return () => {
			live = false;
		};
	}, [open, editId, config]);

	const field = <K extends keyof Draft>(key: K) => ({
		value: draft[key] as string,
		onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value })),
		"aria-invalid": problem?.field === key ? true : undefined,
		"aria-describedby": `session-${key}-hint`,
	});

	const submit = async (e: FormEvent) => {
		e.preventDefault();
		const result = toArgs(draft, editId !== null);
		if ("field" in result) {
			setProblem(result);
			const input = document.getElementById(`session-${result.field}`);
			// A backoff field sits in a folded section: unfold it so the message is seen.
			const fold = input?.closest("details");
			if (fold) fold.open = true;
			input?.focus();
			return;
		}
		setBusy(true);
		setProblem(null);
		try {
			if (editId) await update(editId, result.args);
			else await connect(result.args);
			onClose();
		} catch (err) {
			setProblem({ field: null, message: messageOf(err) });
		} finally {
			setBusy(false);
		}
	};

	return (
		<Dialog
			open={open}
			onClose={onClose}
			wide
			title={editId ? "Edit relay session" : "Add a relay"}
			description={
				editId
					? "Saving reconnects the session with the new settings."
					: "The session connects at once and reconnects by itself with backoff when the relay drops."
			}
		>
			<form className="form" onSubmit={submit} noValidate aria-busy={loading || busy}>
				<Field id="session-url" label="Relay URL" hint="https:// or http://; moq-relay, Cloudflare's MoQ network or another studio." problem={problem}>
					<input id="session-url" type="url" data-autofocus required placeholder="https://relay.example.com/" autoComplete="off" spellCheck={false} {...field("url")} />
				</Field>
				<div className="form-row">
					<Field
						id="session-token"
						label="Token"
						hint={hasToken ? "A token is saved. Leave empty to keep it." : "A relay token (JWT), if the relay wants one. Never shown again."}
						problem={problem}
					>
						<input
							id="session-token"
							type="password"
							autoComplete="off"
							placeholder={hasToken ? "•••••••• saved" : "optional"}
							{...field("token")}
						/>
					</Field>
					<Field id="session-certificateSha256" label="Certificate pin (sha-256)" hint="For a self-signed relay: the certificate's sha-256 in hex." problem={problem}>
						<input id="session-certificateSha256" autoComplete="off" spellCheck={false} placeholder="optional" className="mono" {...field("certificateSha256")} />
					</Field>
				</div>
				{editId && hasToken && (
					<label className="check">
						<input type="checkbox" checked={draft.clearToken} onChange={(e) => setDraft((d) => ({ ...d, clearToken: e.target.checked }))} />
						Remove the saved token
					</label>
				)}
				<fieldset className="segmented">
					<legend>Transport</legend>
					{(["auto", "websocket", "webtransport"] as const).map((t) => (
						<label key={t} className="segment">
							<input type="radio" name="transport" value={t} checked={draft.transport === t} onChange={() => setDraft((d) => ({ ...d, transport: t }))} />
							<span>{t === "auto" ? "Automatic" : t === "websocket" ? "WebSocket" : "WebTransport"}</span>
						</label>
					))}
				</fieldset>
				{draft.transport !== "websocket" && (
					<Field
						id="session-webTransportUrl"
						label="WebTransport address"
						hint="Only when the relay's WebTransport listener is not at the URL's port (an HTTP/2 listener, for example). HTTP/3 needs the quiche addon on this machine."
						problem={problem}
					>
						<input id="session-webTransportUrl" autoComplete="off" spellCheck={false} placeholder="optional" className="mono" {...field("webTransportUrl")} />
					</Field>
				)}
				<div className="form-row">
					<Field id="session-publishOrigin" label="Publish origin" hint="Its broadcasts are announced to this relay." problem={problem}>
						<select id="session-publishOrigin" {...field("publishOrigin")}>
							<OriginOptions origins={origins} />
						</select>
					</Field>
					<Field id="session-consumeOrigin" label="Consume origin" hint="What the relay announces lands here." problem={problem}>
						<select id="session-consumeOrigin" {...field("consumeOrigin")}>
							<OriginOptions origins={origins} />
						</select>
					</Field>
				</div>
				<Field id="session-prefix" label="Prefix" hint="Only consume announcements under this path, e.g. live/." problem={problem}>
					<input id="session-prefix" autoComplete="off" spellCheck={false} placeholder="everything" className="mono" {...field("prefix")} />
				</Field>
				<details className="advanced">
					<summary>Reconnect backoff</summary>
					<div className="form-row four">
						<Field id="session-initialS" label="First retry (s)" problem={problem}>
							<input id="session-initialS" inputMode="decimal" {...field("initialS")} />
						</Field>
						<Field id="session-multiplier" label="Multiplier" problem={problem}>
							<input id="session-multiplier" inputMode="decimal" {...field("multiplier")} />
						</Field>
						<Field id="session-maxS" label="Longest wait (s)" problem={problem}>
							<input id="session-maxS" inputMode="decimal" {...field("maxS")} />
						</Field>
						<Field id="session-timeoutS" label="Give up after (s)" hint="0 retries forever." problem={problem}>
							<input id="session-timeoutS" inputMode="decimal" {...field("timeoutS")} />
						</Field>
					</div>
				</details>
				{problem && problem.field === null && (
					<p className="form-error" role="alert">
						{problem.message}
					</p>
				)}
				<footer className="dialog-footer">
					<button type="button" className="button" onClick={onClose}>
						Cancel
					</button>
					<button type="submit" className="button primary" disabled={busy || loading}>
						{editId ? "Save and reconnect" : "Connect"}
					</button>
				</footer>
			</form>
		</Dialog>
	);
}

function messageOf(err: unknown): string {
	return errorText(err);
}

/** "None" and every origin, for the publish and consume pickers. */
function OriginOptions({ origins }: { origins: Origin[] }) {
	return (
		<>
			<option value="">None</option>
			{origins.map((o) => (
				<option key={o.id} value={o.id}>
					{o.name}
				</option>
			))}
		</>
	);
}

function Field({
	id,
	label,
	hint,
	problem,
	children,
}: {
	id: keyof Draft extends infer K ? `session-${K & string}` : never;
	label: string;
	hint?: string;
	problem: { field: keyof Draft | null; message: string } | null;
	children: ReactNode;
}) {
	const hintId = `${id}-hint`;
	const mine = problem && problem.field !== null && `session-${problem.field}` === id ? problem.message : null;
	return (
		<div className="field">
			<label htmlFor={id}>{label}</label>
			{children}
			{mine ? (
				<span id={hintId} className="field-error" role="alert">
					{mine}
				</span>
			) : (
				hint && (
					<span id={hintId} className="field-hint">
						{hint}
					</span>
				)
			)}
		</div>
	);
}
