import { X } from "lucide-react";
import { useEffect, useId, useRef, type ReactNode } from "react";

/**
 * A modal dialog on the platform's `<dialog>`: `showModal()` makes the rest of the page inert
 * (focus stays inside), Escape closes it, and focus returns to whatever opened it. The control
 * marked `data-autofocus` (else the first field) takes focus on open. Radix's
 * dialog injects a `<style>` element, which the renderer's CSP (`style-src 'self'`) refuses.
 */
export function Dialog({
	open,
	onClose,
	title,
	description,
	children,
	wide = false,
}: {
	open: boolean;
	onClose: () => void;
	title: string;
	description?: ReactNode;
	children: ReactNode;
	wide?: boolean;
}) {
	const ref = useRef<HTMLDialogElement>(null);
	const opener = useRef<HTMLElement | null>(null);
	const titleId = useId();
	const descId = useId();

	useEffect(() => {
		const d = ref.current;
		if (!d) return;
		if (open && !d.open) {
			opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
			d.showModal();
			// React's autoFocus runs before the dialog opens, so focus the chosen control here.
			const target =
				d.querySelector<HTMLElement>("[data-autofocus]") ??
				d.querySelector<HTMLElement>(".dialog-body input:not([type=hidden]), .dialog-body select, .dialog-body textarea") ??
				d.querySelector<HTMLElement>(".dialog-footer button");
			target?.focus();
		} else if (!open && d.open) {
			d.close();
		}
	}, [open]);

	return (
		<dialog
			ref={ref}
			className={`dialog${wide ? " dialog-wide" : ""}`}
			aria-labelledby={titleId}
			aria-describedby={description ? descId : undefined}
			onCancel={(e) => {
				e.preventDefault();
				onClose();
			}}
			onClose={() => {
				if (open) onClose();
				opener.current?.focus();
			}}
			onMouseDown={(e) => {
				// A press on the backdrop (the dialog element itself, outside its body) closes it.
				if (e.target === ref.current) onClose();
			}}
		>
			{open && (
				<div className="dialog-body">
					<header className="dialog-header">
						<div>
							<h2 id={titleId}>{title}</h2>
							{description && (
								<p id={descId} className="muted dialog-description">
									{description}
								</p>
							)}
						</div>
						<button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
							<X size={16} aria-hidden />
						</button>
					</header>
					{children}
				</div>
			)}
		</dialog>
	);
}
