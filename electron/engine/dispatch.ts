/**
 * Serves the contract: validates an untrusted call against `shared/contract`, runs the
 * engine's handler and turns every outcome into an {@link Envelope}. Both hosts use this, so
 * the validation and the error mapping exist once.
 */
import type { z } from "zod";
import { isMethodName, methods, type MethodName, type MethodResult, type ParsedArgs } from "../../shared/contract";
import type { Envelope } from "../../shared/api";
import { StudioError } from "../../shared/errors";

/** One handler per contract method; the compiler checks that none is missing. */
export type Handlers = { [M in MethodName]: (args: ParsedArgs<M>) => Promise<MethodResult<M>> | MethodResult<M> };

/** Formats zod issues into one readable line, e.g. `name: an origin needs a name`. */
export function describeIssues(error: z.ZodError): string {
	return error.issues
		.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
		.join("; ");
}

/**
 * Validates and runs one call. Never throws: unknown methods, invalid arguments and handler
 * failures all come back as `{ ok: false, error }` with a code from the error table.
 */
export async function dispatch(handlers: Handlers, method: unknown, rawArgs: unknown): Promise<Envelope> {
	try {
		if (!isMethodName(method)) {
			throw new StudioError("INVALID_ARGUMENT", `unknown method ${JSON.stringify(String(method)).slice(0, 120)}`);
		}
		const spec = methods[method];
		const parsed = spec.args.safeParse(rawArgs ?? {});
		if (!parsed.success) {
			throw new StudioError("INVALID_ARGUMENT", `${method}: ${describeIssues(parsed.error)}`);
		}
		const handler = handlers[method] as (args: unknown) => unknown;
		const result = await handler(parsed.data);
		return { ok: true, result };
	} catch (err) {
		return { ok: false, error: StudioError.from(err).toInfo() };
	}
}
