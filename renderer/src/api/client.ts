/**
 * Builds the renderer's `StudioApi` from a host bridge: unwraps envelopes into results or
 * typed `StudioError`s and validates every event payload against the shared schema, whatever
 * host (Electron preload or the web bridge) delivered it.
 */
import type { Envelope, StudioApi, StudioBridge } from "../../../shared/api";
import { events as eventSchemas } from "../../../shared/contract";
import { StudioError, isStudioErrorInfo } from "../../../shared/errors";

function unwrap(envelope: Envelope | undefined): unknown {
	if (envelope?.ok === true) return envelope.result;
	if (envelope?.ok === false && isStudioErrorInfo(envelope.error)) throw StudioError.fromInfo(envelope.error);
	throw new StudioError("PROTOCOL", "the host answered with a malformed response");
}

/** A `StudioApi` over any {@link StudioBridge}. */
export function createStudioApi(bridge: StudioBridge): StudioApi {
	return {
		invoke: async (method, args) => unwrap(await bridge.invoke(method, args)) as never,
		on: (event, listener) =>
			bridge.subscribe(event, (payload) => {
				const parsed = eventSchemas[event].safeParse(payload);
				if (parsed.success) listener(parsed.data as never);
				else console.warn(`dropped malformed ${event} event`);
			}),
	};
}
