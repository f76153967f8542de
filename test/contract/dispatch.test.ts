import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../shared/errors";
import { dispatch } from "../../electron/engine/dispatch";
import { Studio } from "../../electron/engine/studio";

// The compile-time side of the contract (a call of the wrong shape does not compile) is tested
// by dispatch.test-d.ts, which `vitest run` type-checks (vitest.config.ts, typecheck).
describe("dispatch", () => {
	it("round-trips a valid call", async () => {
		const studio = new Studio({ host: "web" });
		const created = await dispatch(studio.handlers, "origins.create", { name: "  show " });
		expect(created.ok).toBe(true);
		const list = await dispatch(studio.handlers, "origins.list", {});
		expect(list).toMatchObject({ ok: true, result: [{ name: "show" }] });
		await studio.close();
	});

	it("rejects unknown methods, invalid and extra arguments with INVALID_ARGUMENT", async () => {
		const studio = new Studio({ host: "web" });
		for (const [method, args] of [
			["origins.nope", {}],
			["__proto__", {}],
			["origins.create", { name: "" }],
			["origins.create", { name: 42 }],
			["origins.create", { name: "ok", extra: true }],
			["origins.create", "not an object"],
		] as const) {
			const res = await dispatch(studio.handlers, method, args);
			expect(res.ok, `${method} ${JSON.stringify(args)}`).toBe(false);
			if (!res.ok) expect(res.error.code).toBe(ErrorCode.INVALID_ARGUMENT);
		}
		await studio.close();
	});

	it("maps engine failures to their codes", async () => {
		const studio = new Studio({ host: "web" });
		const missing = await dispatch(studio.handlers, "origins.delete", { id: "nope" });
		expect(missing).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND, name: "NOT_FOUND" } });
		await dispatch(studio.handlers, "origins.create", { name: "Show" });
		const dup = await dispatch(studio.handlers, "origins.create", { name: "show" });
		expect(dup).toMatchObject({ ok: false, error: { code: ErrorCode.ALREADY_EXISTS } });
		await studio.close();
	});
});
