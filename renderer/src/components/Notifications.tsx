import { CircleAlert, Info, TriangleAlert, X } from "lucide-react";
import { useNotifications } from "../stores/notifications";

const ICONS = { error: CircleAlert, warning: TriangleAlert, info: Info } as const;

/** The toast stack; errors are announced to screen readers as alerts. */
export function Notifications() {
	const notices = useNotifications((s) => s.notices);
	const dismiss = useNotifications((s) => s.dismiss);
	return (
		<div className="toasts" aria-live="polite">
			{notices.map((n) => {
				const Icon = ICONS[n.kind];
				return (
					<div key={n.id} className={`toast toast-${n.kind}`} role={n.kind === "error" ? "alert" : "status"}>
						<Icon size={18} aria-hidden className="toast-icon" />
						<div className="grow">
							<strong>{n.title}</strong>
							<p className="toast-detail">{n.detail}</p>
						</div>
						<button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
							<X size={16} aria-hidden />
						</button>
					</div>
				);
			})}
		</div>
	);
}
