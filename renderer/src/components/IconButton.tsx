import * as Tooltip from "@radix-ui/react-tooltip";
import type { LucideIcon } from "lucide-react";
import { forwardRef, type ButtonHTMLAttributes } from "react";

/** An icon-only button: its label is its accessible name and shows as a tooltip on hover or focus. */
export const IconButton = forwardRef<
	HTMLButtonElement,
	{ icon: LucideIcon; label: string; tone?: "danger" | "default" } & Omit<ButtonHTMLAttributes<HTMLButtonElement>, "aria-label">
>(function IconButton({ icon: Icon, label, tone = "default", className, ...rest }, ref) {
	return (
		<Tooltip.Root>
			<Tooltip.Trigger asChild>
				<button
					ref={ref}
					type="button"
					aria-label={label}
					className={`icon-button${tone === "danger" ? " danger" : ""}${className ? ` ${className}` : ""}`}
					{...rest}
				>
					<Icon size={16} aria-hidden />
				</button>
			</Tooltip.Trigger>
			<Tooltip.Portal>
				<Tooltip.Content className="tooltip" sideOffset={6} aria-hidden>
					{label}
				</Tooltip.Content>
			</Tooltip.Portal>
		</Tooltip.Root>
	);
});
