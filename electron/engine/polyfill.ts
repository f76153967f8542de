/**
 * Node 20 gaps that `@moq/net` relies on, filled before any `@moq` module is evaluated.
 *
 * Import this module first in every Node host (CLI, web host, tests). Electron's bundled Node is
 * newer and has all of these natively, so each fill is guarded and is a no-op there.
 *
 * Guarantees after import: `Promise.withResolvers`, the ES2025 `Set` methods used by
 * `@moq/net` (announce resets call `Set.prototype.difference`), and a global `WebSocket`.
 */
import { WebSocket as NodeWebSocket } from "ws";

type Resolvers<T> = {
	promise: Promise<T>;
	resolve: (value: T | PromiseLike<T>) => void;
	reject: (reason?: unknown) => void;
};

const promiseCtor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof promiseCtor.withResolvers !== "function") {
	promiseCtor.withResolvers = <T>(): Resolvers<T> => {
		let resolve!: Resolvers<T>["resolve"];
		let reject!: Resolvers<T>["reject"];
		const promise = new Promise<T>((res, rej) => {
			resolve = res;
			reject = rej;
		});
		return { promise, resolve, reject };
	};
}

type SetLike<T> = { has(value: T): boolean; keys(): Iterator<T>; size: number };
const setProto = Set.prototype as unknown as Record<string, unknown>;

function defineSetMethod(name: string, impl: (this: Set<unknown>, other: SetLike<unknown>) => unknown): void {
	if (typeof setProto[name] !== "function") {
		Object.defineProperty(Set.prototype, name, { value: impl, writable: true, configurable: true });
	}
}

function otherValues(other: SetLike<unknown>): unknown[] {
	const out: unknown[] = [];
	const it = other.keys();
	for (let r = it.next(); !r.done; r = it.next()) out.push(r.value);
	return out;
}

defineSetMethod("difference", function (other) {
	const out = new Set(this);
	for (const v of otherValues(other)) out.delete(v);
	return out;
});
defineSetMethod("intersection", function (other) {
	const out = new Set();
	for (const v of this) if (other.has(v)) out.add(v);
	return out;
});
defineSetMethod("union", function (other) {
	const out = new Set(this);
	for (const v of otherValues(other)) out.add(v);
	return out;
});
defineSetMethod("symmetricDifference", function (other) {
	const out = new Set(this);
	for (const v of otherValues(other)) {
		if (this.has(v)) out.delete(v);
		else out.add(v);
	}
	return out;
});
defineSetMethod("isSubsetOf", function (other) {
	for (const v of this) if (!other.has(v)) return false;
	return true;
});
defineSetMethod("isSupersetOf", function (other) {
	for (const v of otherValues(other)) if (!this.has(v)) return false;
	return true;
});
defineSetMethod("isDisjointFrom", function (other) {
	for (const v of this) if (other.has(v)) return false;
	return true;
});

const g = globalThis as unknown as { WebSocket?: unknown };
if (typeof g.WebSocket === "undefined") {
	g.WebSocket = NodeWebSocket;
}
