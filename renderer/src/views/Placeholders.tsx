import { Disc3 } from "lucide-react";
import { EmptyState } from "../components/EmptyState";

/** Recordings: local files of subscribed broadcasts. */
export function RecordingsView() {
	return (
		<EmptyState icon={Disc3} title="No recordings yet">
			<p>Record any announced broadcast to a file that plays in any player and survives a crash.</p>
			<p>Pick a broadcast in Broadcasts and choose Record.</p>
		</EmptyState>
	);
}
