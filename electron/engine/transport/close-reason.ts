/**
 * Tells a peer that left from a connection that failed, in one place (issue 18).
 *
 * `@moq/qmux` reports every end of a session as an Error, and `@moq/net` prints it with
 * `console.error("fatal error running connection", err)` even when the peer simply went away:
 * a CLI that exits drops its WebSocket (1006), a browser tab closes it (1001), a client closes
 * its session (APPLICATION_CLOSE 0). Those are facts of life for a relay, not errors; a decode
 * failure, a protocol violation or a non-zero application close code still is.
 */
import { inspect } from "node:util";

/**
 * Close codes that mean "the peer left": 0 is the MoQ/QMux clean close; 1000 (normal), 1001
 * (going away), 1005 (no status) and 1006 (dropped without a close frame, e.g. a process
 * exiting) are WebSocket codes that qmux reports when the socket ends without a QMux close.
 */
export const PEER_LEFT_CODES: ReadonlySet<number> = new Set([0, 1000, 1001, 1005, 1006]);

// qmux's wording for a session that ended by a close code (session.js): "Connection closed: <code> <reason>".
const CONNECTION_CLOSED = /^Connection closed: (\d+)\b/;

/** How a connection ended. */
export interface CloseClass {
	/** True when the peer left (a clean or abrupt close, no protocol fault): log it as info. */
	left: boolean;
	/** The close code when one was found. */
	code?: number;
}

/**
 * Classifies why a connection ended from what the libraries report: an Error (its `cause`
 * chain is followed, as qmux wraps the close reason in a SessionError) or a `{ closeCode }`
 * close info. Anything unrecognised is not a peer that left, so real failures keep their level.
 */
export function classifyClose(reason: unknown): CloseClass {
	for (let e: unknown = reason, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
		if (typeof e === "object" && "closeCode" in e && typeof e.closeCode === "number") {
			return { left: PEER_LEFT_CODES.has(e.closeCode), code: e.closeCode };
		}
		if (!(e instanceof Error)) break;
		const match = CONNECTION_CLOSED.exec(e.message);
		if (match) {
			const code = Number(match[1]);
			return { left: PEER_LEFT_CODES.has(code), code };
		}
		e = e.cause;
	}
	return { left: false };
}

/**
 * True when a library's console arguments report only a peer that left: at least one Error,
 * and every Error among them classified as {@link classifyClose} `left`.
 */
export function onlyPeerLeft(args: readonly unknown[]): boolean {
	const errors = args.filter((a): a is Error => a instanceof Error);
	return errors.length > 0 && errors.every((e) => classifyClose(e).left);
}

// @moq/net's wording when serving a subscription or a fetch ends by an error (lite/publisher.js,
// ietf/publisher.js): "publish error: broadcast=<b> track=<t> error=<reason>", where the reason of
// a stream the peer reset is its RemoteError message, "remote error: <code>".
const SERVE_ENDED_BY_PEER = /^(?:publish|fetch) error: .* error=remote error: (\d+)$/;

/**
 * The stream reset code of a subscriber that cancelled: 0 is what a transport sends for a stream
 * dropped or aborted with no code of its own (`@moq/net` RemoteError), i.e. an unsubscribe.
 */
export const SUBSCRIBER_CANCELLED_CODE = 0;

/**
 * True when a library's console arguments report only that a subscriber stopped reading what we
 * served: the line `@moq/net` prints as `publish error: … error=remote error: 0` on every ordinary
 * unsubscribe (issue 14), or a RemoteError with code 0. Any other reason (a track that failed, a
 * non-zero reset code, a protocol fault) is not, so real errors keep their warning.
 */
export function onlySubscriberCancelled(args: readonly unknown[]): boolean {
	if (args.length !== 1) return false;
	const [only] = args;
	if (typeof only === "string") {
		const match = SERVE_ENDED_BY_PEER.exec(only);
		return match !== null && Number(match[1]) === SUBSCRIBER_CANCELLED_CODE;
	}
	return only instanceof Error && only.name === "RemoteError" && "code" in only && only.code === SUBSCRIBER_CANCELLED_CODE;
}

/**
 * A library's console arguments as one short line without stacks: strings as they are, an Error
 * as its message (its name when it is not a plain Error). For routine lines (a peer that left, a
 * subscriber that cancelled): `util.format` would append the stack, whose `file:///…/node_modules`
 * paths made a client disconnecting read like a crash in the Log view (issue 14).
 */
export function withoutStacks(args: readonly unknown[]): string {
	return args
		.map((a) => {
			if (typeof a === "string") return a;
			if (a instanceof Error) return a.name && a.name !== "Error" ? `${a.name}: ${a.message}` : a.message;
			return inspect(a, { depth: 2, breakLength: Infinity });
		})
		.join(" ");
}
