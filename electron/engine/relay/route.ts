/**
 * A route: one broadcast path on the relay, from whichever publisher currently owns it to every
 * session allowed to see it.
 *
 * Each downstream session is handed its own relay-owned `Broadcast.Producer` (a view) sharing
 * the route's track producers. Views outlive publishers: a publisher whose session drops leaves
 * the route lingering for a grace period, and a publisher announcing the same path (again, or
 * from another session) takes it over; subscribers keep their subscriptions. An explicit
 * unannounce finishes the route: each track first delivers what the publisher already sent (its
 * unannounce can overtake its last groups on the wire), then the route ends. The grace period
 * running out ends it at once. Ending closes the views, so downstream sees the track ends, then
 * the unannounce.
 *
 * Workaround: @moq/net closes every broadcast published on a connection when that connection
 * closes, so one producer shared by all sessions would be closed for everyone by the first
 * session to leave. One view per session keeps that blast radius to the leaving session.
 */
import * as Moq from "@moq/net";
import type { RelayLog } from "./log";
import { RelayTrack, type TrackHost } from "./relay-track";
import type { ForwardCounters, Upstream } from "./upstream";

// Makes a shared track reachable through a view without a request round-trip.
function insert(view: Moq.Broadcast.Producer, producer: Moq.Track.Producer): void {
	try {
		view.insertTrack(producer);
	} catch {
		// View closed, or it already holds a live producer for this name.
	}
}

/** What a route needs from the relay. */
export interface RouteDeps {
	readonly log: RelayLog;
	readonly counters: ForwardCounters;
	readonly maxFrameBytes: number;
	readonly graceMs: number;
	/** Called once when the route ends, so the relay forgets it. */
	ended(route: Route): void;
}

/** A snapshot of one route for `stats()`. */
export interface RouteStats {
	path: string;
	/** Session id of the current publisher, or `undefined` while lingering. */
	publisher: number | undefined;
	/** Tracks with their upstream state. */
	tracks: { name: string; upstream: boolean }[];
}

/** One routed broadcast path. Methods never throw. */
export class Route {
	/** The relay-global broadcast path. */
	readonly path: Moq.Path.Valid;
	readonly #views = new Set<Moq.Broadcast.Producer>();
	readonly #deps: RouteDeps;
	readonly #tracks = new Map<string, RelayTrack>();
	readonly #host: TrackHost;
	#upstream: Upstream | undefined;
	#waiting: PromiseWithResolvers<Upstream> | undefined;
	#grace: NodeJS.Timeout | undefined;
	#ended = false;
	// Set while finish() drains the tracks; a takeover (attach) cancels it.
	#finishing: object | undefined;

	constructor(path: Moq.Path.Valid, deps: RouteDeps) {
		this.path = path;
		this.#deps = deps;
		this.#host = {
			upstream: () => this.#whenLive(),
			current: () => this.#upstream,
			insert: (producer) => {
				for (const view of this.#views) insert(view, producer);
			},
			removed: (track) => {
				if (this.#tracks.get(track.name) === track) this.#tracks.delete(track.name);
			},
			maxFrameBytes: deps.maxFrameBytes,
			counters: deps.counters,
			log: deps.log,
		};
	}

	/**
	 * A broadcast for one downstream session to publish: serves every track of the route, stays
	 * the same across publisher takeovers, closes when the route ends. Closing it (the library
	 * does when its session closes) affects nobody else.
	 */
	openView(): Moq.Broadcast.Producer {
		const view = new Moq.Broadcast.Producer();
		if (this.#ended) {
			view.close();
			return view;
		}
		this.#views.add(view);
		void view.closed.then(() => this.#views.delete(view));
		for (const track of this.#tracks.values()) {
			const producer = track.producer;
			if (producer) insert(view, producer);
		}
		void this.#serveRequests(view);
		return view;
	}

	/** The session currently publishing this path, if any. */
	get publisher(): number | undefined {
		return this.#upstream?.sessionId;
	}

	/** True once ended; an ended route is never reused. */
	get isEnded(): boolean {
		return this.#ended;
	}

	/** Makes `up` the route's source (first publish, reconnect or takeover). */
	attach(up: Upstream): void {
		if (this.#ended) {
			up.broadcast.close();
			return;
		}
		clearTimeout(this.#grace);
		this.#grace = undefined;
		// A publisher announcing again while the route finishes takes it over: subscribers stay.
		this.#finishing = undefined;
		const previous = this.#upstream;
		this.#upstream = up;
		if (previous && previous !== up) {
			this.#deps.log("info", `broadcast /${this.path} taken over by session ${up.sessionId}`);
			previous.broadcast.close();
		}
		this.#waiting?.resolve(up);
		this.#waiting = undefined;
		for (const track of this.#tracks.values()) track.attach(up);
	}

	/** The source's session went away: keep subscribers waiting for a takeover until the grace ends. */
	lostSession(sessionId: number): void {
		const up = this.#upstream;
		if (this.#ended || up === undefined || up.sessionId !== sessionId) return;
		// Finishing already: the tracks deliver what arrived (the session's end resets the rest)
		// and the route ends, with no takeover to wait for.
		if (this.#finishing) return;
		this.#upstream = undefined;
		up.broadcast.close();
		for (const track of this.#tracks.values()) track.detach();
		this.#deps.log("debug", `broadcast /${this.path} lost its publisher; waiting ${this.#deps.graceMs} ms for a takeover`);
		this.#grace = setTimeout(() => this.end(), this.#deps.graceMs);
	}

	/**
	 * The publisher unannounced: ends the route once every track has delivered the groups already
	 * received upstream (see {@link RelayTrack.finish}; bounded by its timeout), unless a publisher
	 * takes the route over first. Idempotent.
	 */
	finish(): void {
		if (this.#ended || this.#finishing) return;
		const token = {};
		this.#finishing = token;
		void Promise.all([...this.#tracks.values()].map((track) => track.finish())).then(() => {
			if (this.#finishing === token) this.end();
		});
	}

	/** Ends the route now: downstream sees the unannounce and every track end. Idempotent. */
	end(abort?: Error): void {
		if (this.#ended) return;
		this.#ended = true;
		clearTimeout(this.#grace);
		this.#waiting?.reject(abort ?? new Error(`broadcast /${this.path} ended`));
		this.#waiting = undefined;
		for (const track of [...this.#tracks.values()]) track.close(abort);
		this.#tracks.clear();
		this.#upstream?.broadcast.close();
		this.#upstream = undefined;
		for (const view of [...this.#views]) view.close();
		this.#views.clear();
		this.#deps.ended(this);
	}

	/** A snapshot for stats. */
	stats(): RouteStats {
		return {
			path: this.path,
			publisher: this.publisher,
			tracks: [...this.#tracks.values()].map((t) => ({ name: t.name, upstream: t.upstreamActive })),
		};
	}

	/** Number of tracks with an open upstream subscription. */
	upstreamCount(): number {
		let n = 0;
		for (const t of this.#tracks.values()) if (t.upstreamActive) n++;
		return n;
	}

	#whenLive(): Promise<Upstream> {
		if (this.#upstream) return Promise.resolve(this.#upstream);
		if (this.#ended) return Promise.reject(new Error(`broadcast /${this.path} ended`));
		this.#waiting ??= Promise.withResolvers<Upstream>();
		this.#waiting.promise.catch(() => {});
		return this.#waiting.promise;
	}

	async #serveRequests(view: Moq.Broadcast.Producer): Promise<void> {
		for (;;) {
			let request: Moq.Track.Request | undefined;
			try {
				request = await view.requested();
			} catch {
				return;
			}
			if (!request) return;
			let track = this.#tracks.get(request.name);
			if (!track || track.closed) {
				track = new RelayTrack(request.name, this.#host);
				this.#tracks.set(request.name, track);
			}
			void track.serve(request);
		}
	}
}
