import { KeyRound, Unplug } from "lucide-react";
import { useHost } from "../stores/host";

/**
 * The page shown instead of the studio when it cannot work at all: the web host refused this
 * page's token (a wrong or outdated address), or the page was opened without one. It says what
 * is wrong and what to do, rather than an empty studio that says "Engine unreachable".
 */
export function HostProblem() {
	const refused = useHost((s) => s.refused);
	const problem = useHost((s) => s.problem);
	const Icon = refused ? KeyRound : Unplug;
	return (
		<main className="fatal" role="alert" aria-labelledby="host-problem-title">
			<Icon size={36} aria-hidden className="fatal-icon" />
			<h1 id="host-problem-title">{refused ? "This address or its token is wrong" : "This page needs the studio's address"}</h1>
			<p>
				{refused
					? `The studio is running at ${location.host}, but it refused this page: the access token in the address is wrong, or it belongs to an earlier start of the studio (each start prints a new one).`
					: (problem ?? "This page needs the full address the studio printed when it started.")}
			</p>
			<p>
				Open the address printed by <code>moq-studio web</code> (or <code>npm run web</code>) in the terminal where the studio runs. It looks like{" "}
				<code>http://127.0.0.1:PORT/?token=…</code>.
			</p>
			{refused && (
				<p>
					<button type="button" className="button" onClick={() => location.reload()}>
						Try again
					</button>
				</p>
			)}
		</main>
	);
}
