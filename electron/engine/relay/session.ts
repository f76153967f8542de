/**
 * One accepted client session: its scope, its announcements feeding routes, and its lifetime
 * (token expiry, limits, protocol errors close it with a code; nothing it does can hurt others).
 */
import type Qmux from "@moq/qmux";
import * as Moq from "@moq/net";
import type { ErrorName } from "../../../shared/errors";
import { classifyClose } from "../transport/close-reason";
// Installs the @moq/net workarounds (leaks, track ends, stream slots) before any session serves a group.
import "../transport/moq-net-workarounds";
import { CLOSE_OK, closeCodeFor } from "./close-codes";
import type { RelayLog } from "./log";
import type { Route } from "./route";
import { canPublish, type Scope, visiblePath } from "./scope";

/** What a session needs of its transport: a QMux session or an adapted WebTransport (transport/webtransport.ts). */
export type SessionTransport = Pick<Qmux, "closed"> & { close(info?: { closeCode?: number; reason?: string }): void };

/** What a session reports to the relay core. */
export interface SessionHost {
	readonly log: RelayLog;
	readonly maxPathLength: number;
	/** The session announced `global` (already checked against its scope). */
	announce(session: RelaySession, global: Moq.Path.Valid, rel: Moq.Path.Valid): void;
	/** The session unannounced `global`. */
	unannounce(session: RelaySession, global: Moq.Path.Valid): void;
	/** The session closed; called exactly once. */
	closed(session: RelaySession): void;
}

// setTimeout's ceiling; a token expiring later than ~24.8 days is re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A live client session. `close` is idempotent and never throws. */
export class RelaySession {
	/** Unique per relay, for logs and stats. */
	readonly id: number;
	/** Peer address, for logs. */
	readonly remote: string;
	/** What the session may do. */
	readonly scope: Scope;
	/** The negotiated MoQ version, e.g. `moq-lite-05`. */
	readonly version: string;
	readonly #transport: SessionTransport;
	readonly #conn: Moq.Connection.Established;
	readonly #host: SessionHost;
	#closed = false;
	/** Set when the relay closes the session itself (it logs its own reason). */
	#closedByRelay = false;
	#expiry: NodeJS.Timeout | undefined;
	#announced: Moq.Announce.Consumer | undefined;

	constructor(id: number, remote: string, scope: Scope, transport: SessionTransport, conn: Moq.Connection.Established, host: SessionHost) {
		this.id = id;
		this.remote = remote;
		this.scope = scope;
		this.version = conn.version;
		this.#transport = transport;
		this.#conn = conn;
		this.#host = host;
		transport.closed.then(
			(info) => this.#onClosed(info),
			(err: unknown) => this.#onClosed(err),
		);
		if (scope.expiresAt !== undefined) this.#armExpiry(scope.expiresAt);
		if (scope.put.length > 0) void this.#readAnnouncements();
	}

	/** False once the session has closed. */
	get alive(): boolean {
		return !this.#closed;
	}

	/** Consumes `rel` (a path this session announced) from the client. */
	consume(rel: Moq.Path.Valid): Moq.Broadcast.Consumer {
		return this.#conn.consume(rel);
	}

	/** Publishes a view of `route` to this session if its scope lets it see the route's path. */
	offer(route: Route): void {
		if (this.#closed) return;
		const rel = visiblePath(this.scope, route.path);
		if (rel === undefined) return;
		try {
			this.#conn.publish(rel, route.openView());
		} catch {
			// The connection is closing; its close handler cleans up.
		}
	}

	/**
	 * Closes the session. With an error name the client sees that code (see close-codes.ts)
	 * and the reason; without, a clean close.
	 */
	close(name?: ErrorName, reason = ""): void {
		if (this.#closed) return;
		this.#closedByRelay = true;
		if (name) this.#host.log("warn", `session ${this.id} (${this.remote}) closed: ${name}: ${reason}`);
		try {
			// The client reads the code and reason from QMux APPLICATION_CLOSE; the connection
			// object cannot carry a code, so close the transport first.
			this.#transport.close({ closeCode: name ? closeCodeFor(name) : CLOSE_OK, reason: reason.slice(0, 1000) });
		} catch {
			// Already closed.
		}
		try {
			this.#conn.close();
		} catch {
			// Already closed.
		}
		this.#onClosed();
	}

	/** `reason` is what the transport's `closed` settled with: close info or the error. */
	#onClosed(reason?: unknown): void {
		if (this.#closed) return;
		this.#closed = true;
		if (!this.#closedByRelay) {
			// A client leaving (clean close, a tab closing, a CLI process exiting) is routine;
			// only a session that broke is worth a warning (transport/close-reason.ts).
			const how = classifyClose(reason);
			const code = how.code !== undefined ? ` (close code ${how.code})` : "";
			if (how.left) this.#host.log("info", `session ${this.id} (${this.remote}) left${code}`);
			else this.#host.log("warn", `session ${this.id} (${this.remote}) ended: ${describe(reason)}${code}`);
		}
		clearTimeout(this.#expiry);
		this.#announced?.close();
		this.#host.closed(this);
	}

	#armExpiry(at: number): void {
		const wait = at - Date.now();
		this.#expiry = setTimeout(
			() => {
				if (Date.now() >= at) this.close("UNAUTHORIZED", "token expired");
				else this.#armExpiry(at);
			},
			Math.max(0, Math.min(wait, MAX_TIMER_MS)),
		);
	}

	async #readAnnouncements(): Promise<void> {
		const announced = this.#conn.announced(Moq.Path.empty());
		this.#announced = announced;
		try {
			for (let event = await announced.next(); event; event = await announced.next()) {
				if (this.#closed) return;
				const global = Moq.Path.join(this.scope.root, event.path);
				if (Buffer.byteLength(global) > this.#host.maxPathLength) {
					this.close("LIMIT", `broadcast path longer than ${this.#host.maxPathLength} bytes`);
					return;
				}
				if (!canPublish(this.scope, event.path)) {
					// moq-lite cannot refuse one announcement, so it is ignored (never routed).
					this.#host.log("warn", `session ${this.id} may not publish /${global}; ignored`);
					continue;
				}
				if (event.active) this.#host.announce(this, global, event.path);
				else this.#host.unannounce(this, global);
			}
		} catch (err) {
			if (!this.#closed) this.#host.log("debug", `session ${this.id} announcements ended: ${(err as Error).message}`);
		}
	}
}

/** One line for a close reason (an Error's message, a close info's reason). */
function describe(reason: unknown): string {
	if (reason instanceof Error) return reason.message.trim() || reason.name;
	if (reason && typeof reason === "object" && "reason" in reason && typeof reason.reason === "string" && reason.reason) return reason.reason;
	return "connection closed";
}
