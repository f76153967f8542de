import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";

/** A centred explanation of an empty view: what it is for and what to do first. */
export function EmptyState({ icon: Icon, title, children }: { icon: LucideIcon; title: string; children: ReactNode }) {
	return (
		<div className="empty" role="status">
			<Icon className="empty-icon" aria-hidden size={40} strokeWidth={1.5} />
			<h2>{title}</h2>
			<div className="empty-body">{children}</div>
		</div>
	);
}
