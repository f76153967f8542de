/**
 * A TCP proxy on 127.0.0.1 that can freeze its current connections: they stay open but no byte
 * passes either way, which is what a session sees after a laptop sleeps or a NAT drops its
 * mapping (moq-dev/moq #2609). New connections are forwarded normally.
 */
import { createServer, connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/** A running proxy. */
export interface FreezableProxy {
	port: number;
	/** Stops forwarding on every connection open now (new ones still work). */
	freeze(): void;
	close(): Promise<void>;
}

/** Starts a proxy to `127.0.0.1:targetPort`. */
export async function startProxy(targetPort: number): Promise<FreezableProxy> {
	const pairs = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
	const server = createServer((client) => {
		const upstream = connect(targetPort, "127.0.0.1");
		const pair = { client, upstream, frozen: false };
		pairs.add(pair);
		client.on("data", (d) => pair.frozen || upstream.write(d));
		upstream.on("data", (d) => pair.frozen || client.write(d));
		const end = () => {
			pairs.delete(pair);
			client.destroy();
			upstream.destroy();
		};
		client.on("close", end);
		upstream.on("close", () => pair.frozen || end());
		client.on("error", end);
		upstream.on("error", end);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	return {
		port: (server.address() as AddressInfo).port,
		freeze() {
			for (const p of pairs) p.frozen = true;
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const p of pairs) {
					p.client.destroy();
					p.upstream.destroy();
				}
				server.close(() => resolve());
			}),
	};
}
