import { CircleAlert, Info, TriangleAlert, X } from "lucide-react";
import { useState } from "react";
import { useNotifications, VISIBLE_NOTICES, type Notice } from "../stores/notifications";

const ICONS = { error: CircleAlert, warning: TriangleAlert, info: Info } as const;

function Toast({ notice: n }: { notice: Notice }) {
	const dismiss = useNotifications((s) => s.dismiss);
	const Icon = ICONS[n.kind];
	return (
		<div className={`toast toast-${n.kind}`} role={n.kind === "error" ? "alert" : "status"} data-notice-id={n.id}>
			<Icon size={18} aria-hidden className="toast-icon" />
			<div className="grow toast-body">
				<strong>{n.title}</strong>
				<p className="toast-detail">{n.detail}</p>
				{n.technical && (
					<details className="toast-technical">
						<summary>Details</summary>
						<code>{n.technical}</code>
					</details>
				)}
			</div>
			<button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
				<X size={16} aria-hidden />
			</button>
		</div>
	);
}

/**
 * The toast stack, newest at the bottom: at most {@link VISIBLE_NOTICES}, older ones collapsed
 * into "+N more" (which expands them). Hovering or focusing the stack stops every toast's clock,
 * so nothing disappears while it is being read. Errors are announced to screen readers as alerts.
 */
export function Notifications() {
	const notices = useNotifications((s) => s.notices);
	const hold = useNotifications((s) => s.hold);
	const dismissAll = useNotifications((s) => s.dismissAll);
	const [expanded, setExpanded] = useState(false);
	const hidden = expanded ? 0 : Math.max(0, notices.length - VISIBLE_NOTICES);
	const shown = notices.slice(hidden);
	if (notices.length === 0) return <div className="toasts" aria-live="polite" />;
	return (
		<div
			className={`toasts${expanded ? " expanded" : ""}`}
			aria-live="polite"
			aria-label="Notifications"
			onPointerEnter={() => hold(true)}
			onPointerLeave={() => hold(false)}
			onFocus={() => hold(true)}
			onBlur={(e) => {
				if (!e.currentTarget.contains(e.relatedTarget as Node | null)) hold(false);
			}}
		>
			{(hidden > 0 || expanded) && (
				<div className="toast-more">
					{hidden > 0 ? (
						<button type="button" className="button small" onClick={() => setExpanded(true)} aria-label={`${hidden} more notifications`}>
							+{hidden} more
						</button>
					) : (
						<button type="button" className="button small" onClick={() => setExpanded(false)}>
							Show fewer
						</button>
					)}
					<button
						type="button"
						className="button small"
						onClick={() => {
							setExpanded(false);
							dismissAll();
						}}
					>
						Dismiss all
					</button>
				</div>
			)}
			{shown.map((n) => (
				<Toast key={n.id} notice={n} />
			))}
		</div>
	);
}
