/**
 * Type tests of the contract, run by `vitest run` through its typecheck mode (vitest.config.ts,
 * `typecheck`): a call of the wrong shape must not compile, and the argument, result and event
 * types must be exactly what the schemas say. A contract type loosened to `unknown` or `any`
 * (which would let any call through) fails here, not only under `tsc`.
 */
import { describe, expectTypeOf, test } from "vitest";
import type { StudioApi, Unsubscribe } from "../../shared/api";
import type { EventName, EventPayload, MethodArgs, MethodName, MethodResult } from "../../shared/contract";
import type { LogLevel, Origin } from "../../shared/models";

/** Only its type is used: type tests are compiled, never run. */
declare const api: StudioApi;

describe("StudioApi types", () => {
	test("each method takes exactly its schema's arguments", () => {
		expectTypeOf<MethodArgs<"origins.create">>().toEqualTypeOf<{ name: string }>();
		expectTypeOf<MethodArgs<"origins.rename">>().toEqualTypeOf<{ id: string; name: string }>();
		expectTypeOf<MethodArgs<"origins.delete">>().toEqualTypeOf<{ id: string }>();
		expectTypeOf<MethodArgs<"origins.list">>().toEqualTypeOf<Record<string, never>>();
		expectTypeOf<MethodArgs<"log.recent">>().toEqualTypeOf<{ level?: LogLevel | undefined; limit?: number | undefined }>();
		// No method accepts anything at all: `unknown` or `any` args would let every call through.
		expectTypeOf<MethodArgs<MethodName>>().not.toBeUnknown();
		expectTypeOf<MethodArgs<MethodName>>().not.toBeAny();
	});

	test("each method resolves with its schema's result", () => {
		expectTypeOf<MethodResult<"origins.create">>().toEqualTypeOf<Origin>();
		expectTypeOf<MethodResult<"origins.list">>().toEqualTypeOf<Origin[]>();
		expectTypeOf<MethodResult<"sessions.wake">>().toEqualTypeOf<null>();
		expectTypeOf(api.invoke("origins.create", { name: "fine" })).resolves.toEqualTypeOf<Origin>();
		expectTypeOf(api.invoke).parameter(0).toEqualTypeOf<MethodName>();
	});

	test("a call with the wrong shape does not compile", () => {
		// @ts-expect-error unknown method
		void api.invoke("origins.explode", {});
		// @ts-expect-error wrong argument type
		void api.invoke("origins.create", { name: 1 });
		// @ts-expect-error missing argument
		void api.invoke("origins.rename", { id: "x" });
		// @ts-expect-error extra argument (the schemas are strict)
		void api.invoke("origins.delete", { id: "x", force: true });
		// @ts-expect-error arguments are required
		void api.invoke("origins.list");
		// @ts-expect-error the result is an Origin, which has no `path`
		void api.invoke("origins.create", { name: "fine" }).then((o) => o.path);
	});

	test("events deliver their schema's payload", () => {
		expectTypeOf<EventPayload<"sessions.status">>().toEqualTypeOf<{ id: string; code: number }>();
		expectTypeOf(api.on("sessions.status", () => {})).toEqualTypeOf<Unsubscribe>();
		api.on("sessions.status", (payload) => expectTypeOf(payload).toEqualTypeOf<{ id: string; code: number }>());
		expectTypeOf<"origins.changed">().toExtend<EventName>();
		// @ts-expect-error unknown event
		api.on("sessions.exploded", () => {});
		// @ts-expect-error the payload has no `epoch`
		api.on("sessions.status", (payload) => payload.epoch);
	});
});
