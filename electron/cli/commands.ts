/**
 * Every `moq-studio` sub-command, in the order `--help` lists them.
 *
 * Each command's module is loaded only when that command runs (or its `--help` is asked for):
 * a command pulls in what it needs (the relay `@moq/net` and `@moq/qmux`, `publish`/`record`
 * mediabunny, `web` the whole studio), and loading all of them cost `moq-studio relay` about
 * 0.2 s before it could listen, long enough for the first reconnect retry after a relay restart
 * to miss. The summaries are repeated here so the command list needs no module at all;
 * electron/cli/commands.test.ts checks that they match the modules.
 */
import type { Command } from "./command";

/** A sub-command as the command list knows it, before its module is loaded. */
export interface CommandEntry {
	/** The word after `moq-studio`. */
	readonly name: string;
	/** One line for the command list; the same as the loaded command's `summary`. */
	readonly summary: string;
	/** Loads the command's module (once; Node caches it). */
	load(): Promise<Command>;
}

/** The registered sub-commands. */
export const commands: readonly CommandEntry[] = [
	{
		name: "announced",
		summary: "Print the broadcasts a relay announces, as they come (keeps going across reconnects)",
		load: async () => (await import("./announced")).announcedCommand,
	},
	{
		name: "publish",
		summary: "Publish a media file (MP4, MKV, WebM) as a hang broadcast, without re-encoding",
		load: async () => (await import("./publish")).publishCommand,
	},
	{
		name: "record",
		summary: "Record a broadcast to a fragmented MP4 that survives a crash (waits for it to be announced)",
		load: async () => (await import("./record")).recordCommand,
	},
	{
		name: "finalize",
		summary: "Write an interrupted recording (cut by a crash or a full disk) again as a regular MP4, same packets",
		load: async () => (await import("./finalize")).finalizeCommand,
	},
	{
		name: "relay",
		summary: "Run a MoQ relay (WebSocket/QMux, WebTransport) until interrupted",
		load: async () => (await import("./relay")).relayCommand,
	},
	{
		name: "web",
		summary: "Run the studio and serve its UI to a browser on loopback",
		load: async () => (await import("./web")).webCommand,
	},
];
