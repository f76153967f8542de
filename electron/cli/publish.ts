/**
 * `moq-studio publish`: publishes a media file as a hang broadcast, paced at its own timing.
 */
import * as Moq from "@moq/net";
import { StudioError } from "../../shared/errors";
import { LocalBroadcast } from "../engine/origins/broadcast";
import { openMediaFile, publishFile } from "../engine/publish";
import { awaitCatalogReaders, drainServed } from "../engine/sessions/drain";
import { flagOption, stringOption, type Command } from "./command";
import { failOnGiveUp, holdSession, TRANSPORT_OPTION_HELP, TRANSPORT_OPTIONS, transportOption } from "./held-session";

/** The `publish` sub-command. */
export const publishCommand: Command = {
	name: "publish",
	summary: "Publish a media file (MP4, MKV, WebM) as a hang broadcast, without re-encoding",
	usage: "--url URL --broadcast PATH --file FILE [--loop] [--wait-subscriber] [--token JWT] [--transport auto|websocket|webtransport] [--webtransport-url URL] [--json]",
	options: {
		url: { type: "string" },
		broadcast: { type: "string" },
		file: { type: "string" },
		loop: { type: "boolean" },
		"wait-subscriber": { type: "boolean" },
		token: { type: "string" },
		...TRANSPORT_OPTIONS,
		json: { type: "boolean" },
	},
	optionHelp: {
		url: "the relay, e.g. http://127.0.0.1:4443/",
		broadcast: "the broadcast path, e.g. live/show.hang",
		file: "the media file to publish",
		loop: "start over at the end until interrupted",
		"wait-subscriber": "start sending once every track has a subscriber, so the first viewer gets the whole file",
		token: "relay token (JWT); sent as ?jwt= and never printed",
		...TRANSPORT_OPTION_HELP,
		json: "one JSON object per line, each with an \"event\" field",
	},
	async run(values, _positionals, ctx) {
		const url = stringOption(values, "url");
		const path = stringOption(values, "broadcast");
		const file = stringOption(values, "file");
		if (!url || !path || !file) throw new StudioError("INVALID_ARGUMENT", "--url, --broadcast and --file are required");
		// Open and probe the file before connecting: a file that cannot be read or is not media
		// fails here (IO / MEDIA) and nothing is ever announced (issue 14).
		const media = await openMediaFile(file);
		let owned = true; // until publishFile takes the file over
		const held = holdSession(ctx, { url, token: stringOption(values, "token"), transport: transportOption(values), json: flagOption(values, "json"), role: "publish" });
		const abort = new AbortController();
		void held.interrupted.then(() => abort.abort());
		try {
			await Promise.race([held.connected(), failOnGiveUp(held), held.interrupted]);
			if (abort.signal.aborted) return 0;
			const producer = new Moq.Broadcast.Producer();
			held.studio.origins.addBroadcast(held.originId, new LocalBroadcast(path, producer));
			let lastPrinted = 0;
			owned = false;
			const summary = await Promise.race([
				publishFile({
					file,
					media,
					broadcast: producer,
					loop: flagOption(values, "loop"),
					waitForSubscribers: flagOption(values, "wait-subscriber"),
					signal: abort.signal,
					log: held.studio.logger.scope("publish"),
					onProgress: (p) => {
						if (Date.now() - lastPrinted < 1000) return;
						lastPrinted = Date.now();
						held.printer.print("progress", { positionS: p.positionS, loops: p.loops }, `published ${p.positionS.toFixed(1)} s`);
					},
				}),
				failOnGiveUp(held),
			]);
			// End the broadcast only once the relay has read every track to its end (and the socket
			// has sent it): an unannounce overtaking the tail would cut the last frames off. And not
			// before a viewer that read the catalog asked for the tracks: it still gets them whole.
			await awaitCatalogReaders(held.studio.sessions, () => [held.sessionId], path, Object.keys(summary.tracks));
			if (!(await drainServed(held.studio.sessions, () => [held.sessionId], path))) {
				held.studio.logger.scope("publish").warn(`${path}: the relay had not read the whole broadcast when it ended (no progress for a while); its last frames may be missing`);
			}
			producer.close();
			const frames = Object.values(summary.tracks).reduce((n, t) => n + t.frames, 0);
			held.printer.print(
				"done",
				{ file: summary.file, format: summary.format, durationS: summary.positionS, frames, aborted: summary.aborted },
				`${summary.aborted ? "stopped" : "published"} ${summary.file}: ${summary.positionS.toFixed(1)} s, ${frames} frames`,
			);
			return 0;
		} finally {
			if (owned) media.close();
			await held.close();
		}
	},
};
