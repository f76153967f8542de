import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ErrorCode } from "../../shared/errors";
import { startTestStudio, type TestStudio } from "../helpers/studio";

let t: TestStudio;
beforeAll(async () => {
	t = await startTestStudio();
});
afterAll(async () => {
	await t.close();
});

/** Opens a bridge socket; resolves with the socket once open, or the HTTP status it was refused with. */
function openBridge(opts: { token?: string; origin?: string; host?: string }): Promise<WebSocket | number> {
	const url = `ws://127.0.0.1:${t.web.port}/bridge?token=${encodeURIComponent(opts.token ?? t.web.token)}`;
	const headers: Record<string, string> = {};
	if (opts.host) headers.Host = opts.host;
	const ws = new WebSocket(url, { origin: opts.origin ?? t.web.origin, headers });
	return new Promise((resolve) => {
		ws.once("open", () => resolve(ws));
		ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
		ws.once("error", () => resolve(-1));
	});
}

function call(ws: WebSocket, id: number, method: string, args: unknown): Promise<Record<string, unknown>> {
	return new Promise((resolve) => {
		const onMessage = (data: Buffer) => {
			const msg = JSON.parse(data.toString()) as Record<string, unknown>;
			if (msg.type === "response" && msg.id === id) {
				ws.off("message", onMessage);
				resolve(msg);
			}
		};
		ws.on("message", onMessage);
		ws.send(JSON.stringify({ type: "invoke", id, method, args }));
	});
}

describe("web host", () => {
	it("serves the contract to a socket with the token and our Origin", async () => {
		const ws = await openBridge({});
		expect(ws).toBeInstanceOf(WebSocket);
		const sock = ws as WebSocket;
		const info = await call(sock, 1, "app.info", {});
		expect(info).toMatchObject({ ok: true, result: { name: "MoQ Studio", host: "web" } });
		const bad = await call(sock, 2, "origins.create", { name: "" });
		expect(bad).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
		sock.close();
	});

	it("refuses a wrong or missing token, a foreign Origin and a foreign Host", async () => {
		expect(await openBridge({ token: "wrong" })).toBe(401);
		expect(await openBridge({ token: "" })).toBe(401);
		expect(await openBridge({ origin: "http://evil.example" })).toBe(403);
		expect(await openBridge({ host: `evil.example:${t.web.port}` })).toBe(421);
	});

	it("answers malformed bridge messages with a typed error and keeps serving", async () => {
		const sock = (await openBridge({})) as WebSocket;
		const reply = new Promise<Record<string, unknown>>((resolve) =>
			sock.once("message", (d: Buffer) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)),
		);
		sock.send("{ this is not json");
		expect(await reply).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
		expect(await call(sock, 3, "origins.list", {})).toMatchObject({ ok: true });
		sock.close();
	});

	it("serves the page with a strict CSP and never a file outside the renderer", async () => {
		const get = (path: string, host = `127.0.0.1:${t.web.port}`) =>
			new Promise<{ status: number; csp?: string; body: string }>((resolve, reject) => {
				const req = request({ host: "127.0.0.1", port: t.web.port, path, headers: { Host: host } }, (res) => {
					let body = "";
					res.on("data", (c: Buffer) => (body += c.toString()));
					res.on("end", () => resolve({ status: res.statusCode ?? 0, csp: res.headers["content-security-policy"] as string, body }));
				});
				req.on("error", reject);
				req.end();
			});
		const page = await get("/");
		expect(page.status).toBe(200);
		expect(page.csp).toContain("script-src 'self'");
		expect(page.body).toContain('<div id="root">');
		expect((await get("/../../package.json")).body).not.toContain('"name": "moq-studio"');
		expect((await get("/%2e%2e/%2e%2e/package.json")).status).toBe(404);
		expect((await get("/", "evil.example")).status).toBe(421);
	});

	it("answers a malformed %-escape with 400 and logs no error", async () => {
		const errors = () => t.studio.logger.recent("error").length;
		const before = errors();
		const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
			const req = request({ host: "127.0.0.1", port: t.web.port, path: "/%E0%A4%A", headers: { Host: `127.0.0.1:${t.web.port}` } }, (r) => {
				let body = "";
				r.on("data", (c: Buffer) => (body += c.toString()));
				r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
			});
			req.on("error", reject);
			req.end();
		});
		expect(res.status).toBe(400);
		expect(res.body).toContain("%-encoding");
		expect(errors()).toBe(before);
	});
});
