/**
 * Probing a media file before it is published: the same opening the publisher does
 * (`openMediaFile`), reduced to what a person choosing a file wants to see.
 */
import { StudioError } from "../../../shared/errors";
import type { MediaProbe } from "../../../shared/media-file";
import { openMediaFile } from "../publish";

/**
 * Opens `file`, describes it and closes it again. Nothing is announced or published.
 * Throws IO (unreadable, missing, not a regular file) or MEDIA (not a supported container,
 * truncated before its headers, no track the studio can publish) as `openMediaFile` does.
 */
export async function probeMediaFile(file: string): Promise<MediaProbe> {
	const media = await openMediaFile(file).catch((err: unknown) => {
		throw plainFilesystemError(err, file);
	});
	try {
		return {
			file,
			format: media.format,
			durationS: Math.max(0, (media.endUs - media.startUs) / 1e6),
			tracks: media.tracks.map((t) =>
				t.kind === "video"
					? {
							kind: "video" as const,
							codec: t.config.codec,
							width: t.config.codedWidth ?? 0,
							height: t.config.codedHeight ?? 0,
							...(t.config.framerate ? { framerate: t.config.framerate } : {}),
						}
					: { kind: "audio" as const, codec: t.config.codec, sampleRate: t.config.sampleRate, channels: t.config.numberOfChannels },
			),
			skipped: media.skipped.map((s) => s.reason),
		};
	} finally {
		media.close();
	}
}

/** The filesystem's usual refusals in words (a person chose this path), other errors as they are. */
function plainFilesystemError(err: unknown, file: string): unknown {
	// The errno code sits on the filesystem error, under the studio's wrapping (whose code is a number).
	let code: string | undefined;
	for (let cause = err, depth = 0; cause && depth < 5 && code === undefined; cause = (cause as { cause?: unknown }).cause, depth++) {
		const c = (cause as { code?: unknown }).code;
		if (typeof c === "string") code = c;
	}
	if (code === "ENOENT" || code === "ENOTDIR") return new StudioError("IO", `there is no file at ${file}`, { cause: err });
	if (code === "EACCES" || code === "EPERM") return new StudioError("IO", `the studio may not read ${file}`, { cause: err });
	if (code === "EISDIR") return new StudioError("IO", `${file} is a folder, not a file`, { cause: err });
	return err;
}
