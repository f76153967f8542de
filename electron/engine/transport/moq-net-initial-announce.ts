/**
 * Tells a peer's initial announcements (broadcasts already running when the announce interest
 * was answered) from live ones, which `@moq/net` 0.3.4 reads off the wire and throws away.
 *
 * moq-lite marks the initial set: lite-01/02 send it as one ANNOUNCE_INIT, lite-05 says in
 * ANNOUNCE_OK how many ANNOUNCE messages follow at once as the initial set. The library decodes
 * both (`lite/subscriber.js` `#runAnnounced`) and hands every announcement to the application
 * alike, as `{ path, active }`. A recorder needs the difference: one that waits for a broadcast
 * records it from its first group when it sees it announced live, but from the latest group when
 * it was already running. Guessing it from timing ("announced within 1 s of connecting") cut the
 * first 3 to 7 audio frames of a show the studio itself published right after a recorder
 * connected (test/recordings/waiting-recorder.test.ts: 144–148 of 151 Opus packets).
 *
 * How: each `announced()` call of the library's subscriber runs in its own async context; the
 * decoded ANNOUNCE_OK (or ANNOUNCE_INIT) puts the size of the initial set there, and the
 * announcement stream's `append` tags each active announcement it carries with whether it was
 * part of that set ({@link announcedInitially}). Versions with no marker (lite-03/04) tag nothing.
 * Reflected announcements the library skips are counted by the peer but never appended; lite-05
 * asks the peer not to send them (excludeHop), so the count holds there.
 *
 * Upstream: expose the initial set, e.g. an `initial: boolean` on each announcement event.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { patchedMoqNetRoot } from "./moq-net-version";

/** One announce interest's count of initial announcements still to come. */
interface InitialSet {
	/** Unknown until ANNOUNCE_OK / ANNOUNCE_INIT was decoded (and forever on lite-03/04). */
	left: number | undefined;
	/** The interest's announcement stream, taken from its first tagged append. */
	stream?: object;
}

const initialSets = new AsyncLocalStorage<InitialSet>();

/** Where the tag lives on an announcement event; a symbol, so nothing else reads or sends it. */
const INITIAL = Symbol("moq-studio.initialAnnouncement");

/**
 * Whether an announcement event (`{ path, active }` from `announced().next()`) was part of the
 * peer's initial set: true for a broadcast already running when the interest was answered, false
 * for one announced live since, undefined when the protocol version did not say (or the event is
 * not from the wire).
 */
export function announcedInitially(event: object): boolean | undefined {
	const tag = (event as Record<symbol, unknown>)[INITIAL];
	return typeof tag === "boolean" ? tag : undefined;
}

type Decode = (r: unknown, version: unknown) => Promise<unknown>;

async function install(root: string): Promise<boolean> {
	const load = (file: string) => import(pathToFileURL(join(root, file)).href) as Promise<Record<string, unknown>>;
	const [{ Subscriber }, { AnnounceOk, AnnounceInit }, { Producer }] = (await Promise.all([load("lite/subscriber.js"), load("lite/announce.js"), load("announced.js")])) as [
		{ Subscriber?: { prototype: { announced?: (...args: unknown[]) => unknown }; tagsInitialAnnounces?: true } },
		{ AnnounceOk?: { decode?: Decode }; AnnounceInit?: { decode?: Decode } },
		{ Producer?: { prototype: { append?: (event: unknown) => void } } },
	];
	const announced = Subscriber?.prototype.announced;
	const okDecode = AnnounceOk?.decode;
	const initDecode = AnnounceInit?.decode;
	const append = Producer?.prototype.append;
	if (!Subscriber || !AnnounceOk || !AnnounceInit || !Producer || !announced || !okDecode || !initDecode || !append) return false;
	if (Subscriber.tagsInitialAnnounces) return true;

	// `#runAnnounced` starts synchronously inside `announced()`: its whole life runs in this context.
	Subscriber.prototype.announced = function (this: unknown, ...args: unknown[]) {
		return initialSets.run({ left: undefined }, () => announced.apply(this, args));
	};
	AnnounceOk.decode = async function (this: unknown, r, version) {
		const ok = (await okDecode.call(this, r, version)) as { active?: unknown };
		const set = initialSets.getStore();
		if (set && typeof ok.active === "number") set.left = ok.active;
		return ok;
	};
	AnnounceInit.decode = async function (this: unknown, r, version) {
		const init = (await initDecode.call(this, r, version)) as { suffixes?: unknown };
		const set = initialSets.getStore();
		if (set && Array.isArray(init.suffixes)) set.left = init.suffixes.length;
		return init;
	};
	Producer.prototype.append = function (this: object, event: unknown) {
		const set = initialSets.getStore();
		if (set && set.left !== undefined && typeof event === "object" && event !== null && (event as { active?: unknown }).active === true && (set.stream ??= this) === this) {
			// Not enumerable: the event stays equal to an untagged `{ path, active }` for anyone comparing.
			Object.defineProperty(event, INITIAL, { value: set.left > 0 });
			if (set.left > 0) set.left--;
		}
		append.call(this, event);
	};
	Subscriber.tagsInitialAnnounces = true;
	return true;
}

const root = patchedMoqNetRoot();

/** Whether the tagging is active (only on the patched `@moq/net` version). Top-level await: importers run after it. */
export const moqNetInitialAnnounce: Readonly<Record<string, boolean>> = {
	initialAnnounceTags: root !== undefined && (await install(root).catch(() => false)),
};
