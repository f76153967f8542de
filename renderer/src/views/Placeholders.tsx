import { Clapperboard, Disc3, RadioTower, Radio } from "lucide-react";
import { EmptyState } from "../components/EmptyState";
import { useHost } from "../stores/host";

/** Sessions: connections to relays. */
export function SessionsView() {
	const relay = useHost((s) => s.info?.embeddedRelayUrl ?? null);
	return (
		<EmptyState icon={RadioTower} title="No relay sessions yet">
			<p>A session connects the studio to a MoQ relay: it publishes your origins there and brings back what the relay announces.</p>
			<p>{relay ? `The embedded local relay runs at ${relay}.` : "Add a relay by its URL (for example https://relay.example.com/) to get started."}</p>
		</EmptyState>
	);
}

/** Broadcasts: everything the relays announce. */
export function BroadcastsView() {
	return (
		<EmptyState icon={Radio} title="No announced broadcasts">
			<p>Broadcasts that your relay sessions announce appear here live, with the session and origin they came through.</p>
			<p>Connect a session with a consume origin to see them.</p>
		</EmptyState>
	);
}

/** Go Live: capture and publish. */
export function GoLiveView() {
	return (
		<EmptyState icon={Clapperboard} title="Ready when you are">
			<p>Go live with your camera, microphone, screen or a media file. The studio encodes in this window and publishes into an origin, so to every relay that origin is attached to.</p>
			<p>Create an origin and attach it to a session first.</p>
		</EmptyState>
	);
}

/** Recordings: local files of subscribed broadcasts. */
export function RecordingsView() {
	return (
		<EmptyState icon={Disc3} title="No recordings yet">
			<p>Record any announced broadcast to a file that plays in any player and survives a crash.</p>
			<p>Pick a broadcast in Broadcasts and choose Record.</p>
		</EmptyState>
	);
}
