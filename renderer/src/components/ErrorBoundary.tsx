import { TriangleAlert } from "lucide-react";
import { Component, type ReactNode } from "react";
import { explainError } from "../lib/errors";
import { useLog } from "../stores/log";

/**
 * Keeps one view's rendering error from blanking the whole window: the view shows what went wrong
 * and a way to try again, while navigation, the log and notifications keep working.
 */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: Error | null; key: string }> {
	override state: { error: Error | null; key: string } = { error: null, key: this.props.resetKey };

	static getDerivedStateFromError(error: Error) {
		return { error };
	}

	static getDerivedStateFromProps(props: { resetKey: string }, state: { error: Error | null; key: string }) {
		// Navigating to another view clears the error.
		return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
	}

	override componentDidCatch(error: Error): void {
		console.error(`view error: ${error.message}`);
		// The words are for the person; the message stays findable in the Log view.
		useLog.getState().addLocal("error", `view error: ${error.message}`);
	}

	override render() {
		if (!this.state.error) return this.props.children;
		return (
			<div className="empty" role="alert">
				<TriangleAlert className="empty-icon" aria-hidden size={40} strokeWidth={1.5} />
				<h2>This view hit a problem</h2>
				<p>{explainError(this.state.error).sentence} Try again; if it keeps happening, the Log view has the details.</p>
				<details className="error-details">
					<summary>Details</summary>
					<code>{this.state.error.message}</code>
				</details>
				<button type="button" className="button" onClick={() => this.setState({ error: null })}>
					Try again
				</button>
			</div>
		);
	}
}
