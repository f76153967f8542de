/**
 * Which `@moq/net` the workarounds were written against. They reach into its private modules
 * (past its `exports` map), so each is installed only on the exact version whose internals were
 * read; package.json pins that version so an install cannot move it silently.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The one `@moq/net` version whose internals `moq-net-leaks.ts` and `moq-net-delivery.ts` patch. */
export const PATCHED_MOQ_NET_VERSION = "0.3.4";

/** The installed `@moq/net`'s version, or undefined when it cannot be resolved. */
export function moqNetVersion(): string | undefined {
	try {
		const root = dirname(createRequire(import.meta.url).resolve("@moq/net"));
		return (createRequire(join(root, "package.json"))("./package.json") as { version: string }).version;
	} catch {
		return undefined;
	}
}

/** The directory of the `@moq/net` this process loads when it is the patched version, else undefined. */
export function patchedMoqNetRoot(): string | undefined {
	if (moqNetVersion() !== PATCHED_MOQ_NET_VERSION) return undefined;
	return dirname(createRequire(import.meta.url).resolve("@moq/net"));
}
