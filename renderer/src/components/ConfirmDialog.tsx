import type { ReactNode } from "react";
import { Dialog } from "./Dialog";

/**
 * Asks before a destructive action. "Keep it" has focus, so Enter never destroys by accident;
 * the dialog closes before `onConfirm` runs.
 */
export function ConfirmDialog({
	open,
	onClose,
	onConfirm,
	title,
	description,
	confirmLabel,
}: {
	open: boolean;
	onClose: () => void;
	onConfirm: () => void;
	title: string;
	description: ReactNode;
	confirmLabel: string;
}) {
	return (
		<Dialog open={open} onClose={onClose} title={title} description={description}>
			<footer className="dialog-footer">
				<button type="button" className="button" data-autofocus onClick={onClose}>
					Keep it
				</button>
				<button
					type="button"
					className="button danger"
					onClick={() => {
						onClose();
						onConfirm();
					}}
				>
					{confirmLabel}
				</button>
			</footer>
		</Dialog>
	);
}
