import { CircleCheck, CircleSlash, CircleX, LoaderCircle, TimerReset } from "lucide-react";
import type { SessionState } from "../../../shared/sessions";
import { useNow } from "../lib/hooks";
import { secondsUntil } from "../lib/format";

const LOOK = {
	connecting: { label: "Connecting", icon: LoaderCircle, tone: "warn" },
	connected: { label: "Connected", icon: CircleCheck, tone: "ok" },
	backoff: { label: "Reconnecting", icon: TimerReset, tone: "warn" },
	closed: { label: "Disconnected", icon: CircleSlash, tone: "idle" },
	failed: { label: "Failed", icon: CircleX, tone: "bad" },
} as const;

/** A session's phase as a coloured pill; in backoff it counts down to the next retry. */
export function StatusBadge({ session }: { session: SessionState }) {
	const { label, icon: Icon, tone } = LOOK[session.phase];
	return (
		<span className={`pill pill-${tone}`} data-phase={session.phase}>
			<Icon size={14} aria-hidden className={session.phase === "connecting" ? "spin" : undefined} />
			{label}
			{session.phase === "backoff" && session.nextRetryAt !== null && <Countdown at={session.nextRetryAt} />}
		</span>
	);
}

/** "in 4 s", ticking every quarter second so the number never lags a full second. */
export function Countdown({ at }: { at: number }) {
	const now = useNow(250);
	return <span className="countdown"> in {secondsUntil(at, now)} s</span>;
}
