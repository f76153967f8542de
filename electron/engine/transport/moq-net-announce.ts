/**
 * Workaround for `@moq/net` 0.3.4 losing announcements (`lite/publisher.js` `runAnnounce`).
 *
 * `runAnnounce` answers a peer's announce interest with a snapshot of the published broadcasts,
 * writes it (several awaited writes), and only then registers for the next change of the
 * broadcast map; every pass of its update loop awaits its writes the same way before registering
 * again. A broadcast published during those writes changes the map while nobody listens: it is
 * announced only when some later change happens, and if none does, never. Found after a relay
 * restart: the relay's sessions reconnect in any order, a consuming session's interest arrived
 * while the publishing session was re-announcing, and one of four broadcasts stayed invisible to
 * the consumer for good (test/sessions/reannounce.test.ts: 1 to 3 relay restarts out of 3).
 *
 * The fix: after every publish, the same publisher's map is "touched" again a little later (the
 * current broadcast of some path published again, which changes nothing but notifies), coalesced
 * per publisher, at delays that land long after any write the first pass was awaiting. The
 * update loop then compares the whole map with what it announced and sends what it missed.
 * Removals cannot be replayed this way once nothing is left published; that case stays open.
 *
 * Upstream reproduction: publish broadcast A; open an announce interest; in the same tick as the
 * interest is answered (before its AnnounceOk write resolves) publish B; publish nothing else.
 * The interest never sees B.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Moq from "@moq/net";
import { patchedMoqNetRoot } from "./moq-net-version";

/** Delays after the last publish at which the map is touched again (ms). */
export const ANNOUNCE_TOUCH_DELAYS_MS = [50, 500, 2000] as const;

interface PublisherProto {
	publish(path: unknown, broadcast: Moq.Broadcast.Producer): void;
}

/** What this module tracks per library publisher: its open broadcasts and pending touches. */
interface Touches {
	current: Map<unknown, Moq.Broadcast.Producer>;
	timers: ReturnType<typeof setTimeout>[];
}

const touches = new WeakMap<object, Touches>();

function touch(publisher: object, publish: PublisherProto["publish"]): void {
	const state = touches.get(publisher);
	if (!state) return;
	// Any open broadcast, published again under its own path: the map is unchanged, its
	// listeners (every announce loop of this connection) are notified and resend what they miss.
	for (const [path, broadcast] of state.current) {
		try {
			publish.call(publisher, path, broadcast);
		} catch {
			// The publisher closed.
		}
		return;
	}
}

async function install(root: string): Promise<boolean> {
	const { Publisher } = (await import(pathToFileURL(join(root, "lite", "publisher.js")).href)) as {
		Publisher: { prototype: PublisherProto & { retouchesAnnounces?: true } };
	};
	if (typeof Publisher?.prototype?.publish !== "function") return false;
	if (Publisher.prototype.retouchesAnnounces) return true;
	const publish = Publisher.prototype.publish;
	Publisher.prototype.publish = function (this: object, path, broadcast) {
		publish.call(this, path, broadcast);
		let state = touches.get(this);
		if (!state) {
			state = { current: new Map(), timers: [] };
			touches.set(this, state);
		}
		const tracked = state;
		tracked.current.set(path, broadcast);
		void Promise.resolve(broadcast.closed).then(() => {
			if (tracked.current.get(path) === broadcast) tracked.current.delete(path);
		});
		for (const t of tracked.timers) clearTimeout(t);
		tracked.timers = ANNOUNCE_TOUCH_DELAYS_MS.map((ms) => {
			const timer = setTimeout(() => touch(this, publish), ms);
			timer.unref?.();
			return timer;
		});
	};
	Object.defineProperty(Publisher.prototype, "retouchesAnnounces", { value: true });
	return true;
}

const root = patchedMoqNetRoot();

/** Whether the workaround is active (only on the patched `@moq/net` version). Top-level await: importers run after it. */
export const moqNetAnnounce: Readonly<Record<string, boolean>> = {
	announceTouch: root !== undefined && (await install(root).catch(() => false)),
};
