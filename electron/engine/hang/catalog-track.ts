/**
 * Writing and reading the `catalog.json` track of a hang broadcast over `@moq/net`.
 *
 * Wire shape (what `@moq/json`'s snapshot producer/consumer use, and so `<moq-watch>`): each group
 * starts with a full JSON snapshot; later frames in the same group are RFC 7396 merge patches.
 * This producer only writes snapshots, one group per catalog version; the consumer accepts both.
 */
import * as Moq from "@moq/net";
import { StudioError } from "../../../shared/errors";
import { type Catalog, type CatalogInput, CATALOG_TRACK, mergePatch, PRIORITY, serializeCatalog, validateCatalog } from "./catalog";
import { TrackFanout } from "./fanout";

/**
 * Publishes catalog versions on a track. The newest group is kept open on purpose: `@moq/net`
 * evicts closed groups older than the track's `latencyMax`, but never an open one, so a
 * subscriber that arrives minutes later still receives the current catalog.
 */
export class CatalogProducer {
	/** The catalog track's outputs; a publisher's request loop attaches late producers here. */
	readonly fanout: TrackFanout;
	#current: CatalogInput | undefined;

	/** Creates `catalog.json` (priority 100) on `broadcast`. */
	constructor(broadcast: Moq.Broadcast.Producer) {
		this.fanout = new TrackFanout(broadcast, CATALOG_TRACK, { priority: PRIORITY.catalog });
	}

	/** The last catalog published, if any. */
	get current(): CatalogInput | undefined {
		return this.#current;
	}

	/** Publishes `catalog` as a new snapshot group. Throws MEDIA if it fails hang's schema. */
	update(catalog: CatalogInput): void {
		const payload = serializeCatalog(catalog);
		this.fanout.openGroup();
		this.fanout.writeFrame({ payload, timestamp: Moq.Time.Timestamp.now() });
		this.#current = catalog;
	}

	/**
	 * Adds a producer that a request handed over; it gets the current snapshot right away (the
	 * open group), or from `startGroup` on when its subscription asked for one.
	 */
	attach(producer: Moq.Track.Producer, startGroup?: number): void {
		this.fanout.attach(producer, startGroup);
	}

	/** Closes the open group and the track. Idempotent. */
	close(): void {
		this.fanout.close();
	}
}

/** Options for {@link CatalogConsumer}. */
export interface CatalogConsumerOptions {
	/** Give up waiting for the next catalog after this long (TIMEOUT). Default: wait forever. */
	timeoutMs?: number;
	/** Aborts a pending read (CLOSED). */
	signal?: AbortSignal;
}

/**
 * Reads catalog versions from a consumed broadcast's `catalog.json`.
 * Every value it yields has passed the schema; anything malformed throws MEDIA (bad JSON,
 * schema) or PROTOCOL (a patch with no snapshot), never a raw exception.
 */
export class CatalogConsumer {
	readonly #sub: Moq.Track.Subscriber;
	#group: Moq.Group.Consumer | undefined;
	#value: unknown;
	#frames = 0;

	/** Subscribes to `catalog.json` at catalog priority. */
	constructor(broadcast: Moq.Broadcast.Consumer) {
		this.#sub = broadcast.track(CATALOG_TRACK).subscribe({ priority: PRIORITY.catalog });
	}

	/** The last catalog version as the publisher wrote it (merge patches applied, before parsing), or undefined before the first. */
	get raw(): unknown {
		return this.#value;
	}

	/** The next catalog version, or `undefined` once the track ends cleanly. */
	async next(opts: CatalogConsumerOptions = {}): Promise<Catalog | undefined> {
		return withDeadline(this.#next(), opts, "catalog.json");
	}

	async #next(): Promise<Catalog | undefined> {
		for (;;) {
			if (!this.#group) {
				this.#group = await this.#sub.nextGroup();
				if (!this.#group) return undefined;
				this.#frames = 0;
			}
			const frame = await this.#group.readFrame();
			if (!frame) {
				this.#group = undefined;
				continue;
			}
			this.#value = this.#frames === 0 ? parseJson(frame.payload) : mergePatch(this.#value, parseJson(frame.payload));
			this.#frames++;
			return validateCatalog(this.#value);
		}
	}

	/** Stops the subscription. Idempotent. */
	close(): void {
		this.#group?.close();
		this.#sub.close();
	}
}

function parseJson(bytes: Uint8Array): unknown {
	try {
		return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
	} catch (err) {
		throw new StudioError("MEDIA", `catalog.json frame is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
	}
}

/**
 * Races `promise` against a timeout and an abort signal, turning them into TIMEOUT / CLOSED
 * StudioErrors; other rejections become StudioErrors with the PROTOCOL fallback.
 */
export async function withDeadline<T>(promise: Promise<T>, opts: CatalogConsumerOptions, what: string): Promise<T> {
	const { timeoutMs, signal } = opts;
	if (signal?.aborted) throw new StudioError("CLOSED", `stopped waiting for ${what}`);
	let timer: ReturnType<typeof setTimeout> | undefined;
	let onAbort: (() => void) | undefined;
	const guards = new Promise<never>((_, reject) => {
		if (timeoutMs !== undefined) timer = setTimeout(() => reject(new StudioError("TIMEOUT", `no ${what} within ${timeoutMs} ms`)), timeoutMs);
		if (signal) {
			onAbort = () => reject(new StudioError("CLOSED", `stopped waiting for ${what}`));
			signal.addEventListener("abort", onAbort, { once: true });
		}
	});
	try {
		return await Promise.race([promise, guards]);
	} catch (err) {
		throw StudioError.from(err, "PROTOCOL");
	} finally {
		if (timer) clearTimeout(timer);
		if (onAbort) signal?.removeEventListener("abort", onAbort);
		// The losing side of the race must not surface as an unhandled rejection later.
		promise.catch(() => undefined);
	}
}
