/**
 * Starts a studio engine with its web host on 127.0.0.1 and a free port, for end-to-end tests.
 */
import { Studio } from "../../electron/engine/studio";
import { startWebHost, type WebHost } from "../../electron/web/server";

/** A running engine and web host; `close` stops both. */
export interface TestStudio {
	studio: Studio;
	web: WebHost;
	close(): Promise<void>;
}

/**
 * Starts the engine and its web host (the built renderer must exist: `npm run build`).
 * `embeddedRelay` starts the studio's own relay on a free loopback port, as a user's studio would.
 */
export async function startTestStudio(options: { embeddedRelay?: boolean; dataDir?: string; recordingsDir?: string } = {}): Promise<TestStudio> {
	const studio = new Studio({
		host: "web",
		dataDir: options.dataDir,
		recordingsDir: options.recordingsDir,
		embeddedRelay: options.embeddedRelay ? { port: 0 } : undefined,
	});
	await studio.start();
	const web = await startWebHost({ studio, port: 0 });
	return {
		studio,
		web,
		close: async () => {
			await web.close();
			await studio.close();
		},
	};
}
