/**
 * The relay's routing table: sessions, routes, and the rules joining them (which session feeds
 * which route, who sees what, the broadcast limit).
 */
import type * as Moq from "@moq/net";
import type { RelayLog } from "./log";
import { Route, type RouteStats } from "./route";
import type { RelaySession, SessionHost } from "./session";
import type { ForwardCounters, Upstream } from "./upstream";

/** Routing settings. */
export interface RouterConfig {
	readonly log: RelayLog;
	readonly maxBroadcasts: number;
	readonly maxFrameBytes: number;
	readonly maxPathLength: number;
	readonly graceMs: number;
}

/** Sessions and routes of one relay. Implements the session callbacks; never throws. */
export class Router implements SessionHost {
	readonly log: RelayLog;
	readonly maxPathLength: number;
	readonly counters: ForwardCounters = { frames: 0, bytes: 0, groups: 0, upstreamSubscriptions: 0, readersCut: 0 };
	readonly #config: RouterConfig;
	readonly #sessions = new Set<RelaySession>();
	readonly #routes = new Map<string, Route>();
	#generation = 0;

	constructor(config: RouterConfig) {
		this.#config = config;
		this.log = config.log;
		this.maxPathLength = config.maxPathLength;
	}

	/** Live sessions. */
	get sessions(): ReadonlySet<RelaySession> {
		return this.#sessions;
	}

	/** Registers an accepted session and offers it every route it may see. */
	add(session: RelaySession): void {
		this.#sessions.add(session);
		for (const route of this.#routes.values()) session.offer(route);
	}

	announce(session: RelaySession, global: Moq.Path.Valid, rel: Moq.Path.Valid): void {
		let route = this.#routes.get(global);
		// The same session re-announcing a path it already feeds (a lite-05 restart) changes nothing.
		if (route?.publisher === session.id) return;
		if (!route) {
			if (this.#routes.size >= this.#config.maxBroadcasts) {
				session.close("LIMIT", `the relay carries its limit of ${this.#config.maxBroadcasts} broadcasts`);
				return;
			}
			route = new Route(global, {
				log: this.log,
				counters: this.counters,
				maxFrameBytes: this.#config.maxFrameBytes,
				graceMs: this.#config.graceMs,
				ended: (r) => {
					if (this.#routes.get(r.path) === r) this.#routes.delete(r.path);
					this.log("info", `broadcast /${r.path} ended`);
				},
			});
			this.#routes.set(global, route);
			this.log("info", `broadcast /${global} announced by session ${session.id}`);
			for (const s of this.#sessions) s.offer(route);
		}
		let broadcast: Moq.Broadcast.Consumer;
		try {
			broadcast = session.consume(rel);
		} catch {
			return; // The session is closing; its close handler cleans up.
		}
		const up: Upstream = {
			generation: ++this.#generation,
			sessionId: session.id,
			broadcast,
			alive: () => session.alive,
			fail: (name, reason) => session.close(name, reason),
		};
		route.attach(up);
	}

	unannounce(session: RelaySession, global: Moq.Path.Valid): void {
		const route = this.#routes.get(global);
		// Only the current publisher can end a route; a publisher that lost a takeover cannot.
		// It finishes rather than ends: the unannounce may have overtaken the last groups.
		if (route?.publisher === session.id) route.finish();
	}

	closed(session: RelaySession): void {
		this.#sessions.delete(session);
		for (const route of this.#routes.values()) {
			if (route.publisher === session.id) route.lostSession(session.id);
		}
	}

	/** Ends every route and closes every session (relay shutdown). */
	closeAll(): void {
		for (const route of [...this.#routes.values()]) route.end();
		for (const session of [...this.#sessions]) session.close();
	}

	/** Route snapshots for stats. */
	routes(): RouteStats[] {
		return [...this.#routes.values()].map((r) => r.stats());
	}

	/** Number of live routes. */
	get routeCount(): number {
		return this.#routes.size;
	}
}
