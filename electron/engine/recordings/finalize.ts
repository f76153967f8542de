/**
 * Finalizing an interrupted recording (like OBS's remux): the packets of a fragmented MP4 or a
 * Matroska file that a crash or a full disk cut short are written again, unchanged, into a
 * regular MP4 with one index at its end, which every player and editor seeks in at once.
 * Nothing is re-encoded; a fragment cut mid-write is left out (it cannot be read).
 */
import { unlink } from "node:fs/promises";
import { ALL_FORMATS, Conversion, FilePathSource, Input, Mp4OutputFormat, Output, StreamTarget, type StreamTargetChunk } from "mediabunny";
import { StudioError } from "../../../shared/errors";
import { FileRecordingSink } from "../record/sink";

/** What {@link remuxToMp4} wrote. */
export interface RemuxResult {
	/** Bytes of the new file. */
	bytes: number;
	/** Tracks copied. */
	tracks: number;
}

/**
 * Copies every readable packet of `source` into a new regular MP4 at `target`, created
 * exclusively (ALREADY_EXISTS when it exists; never overwrites). On any failure the partial
 * target is removed and the error is MEDIA (nothing to copy, a codec MP4 cannot hold) or IO.
 * `signal` cancels (CLOSED).
 */
export async function remuxToMp4(source: string, target: string, signal?: AbortSignal): Promise<RemuxResult> {
	const sink = await FileRecordingSink.create(target);
	const input = new Input({ source: new FilePathSource(source), formats: ALL_FORMATS });
	let ok = false;
	try {
		const writable = new WritableStream<StreamTargetChunk>({ write: (chunk) => sink.write(chunk.data, chunk.position) });
		// Not fragmented: one `moov` written after the media, where it indexes every sample.
		const output = new Output({ format: new Mp4OutputFormat({ fastStart: false }), target: new StreamTarget(writable, { chunked: false }) });
		let conversion: Conversion;
		try {
			if (!(await input.canRead())) throw new StudioError("MEDIA", `${source} is not a media file that can be read`);
			conversion = await Conversion.init({ input, output, showWarnings: false });
		} catch (err) {
			throw StudioError.from(err, "MEDIA");
		}
		if (!conversion.isValid) {
			const why = conversion.discardedTracks.map((d) => `${d.track.type} track: ${d.reason}`).join(", ");
			throw new StudioError("MEDIA", `nothing in ${source} can be copied into an MP4${why ? ` (${why})` : ""}`);
		}
		const copied = conversion.utilizedTracks.length;
		const onAbort = () => void conversion.cancel();
		signal?.addEventListener("abort", onAbort, { once: true });
		try {
			await conversion.execute();
		} catch (err) {
			if (signal?.aborted) throw new StudioError("CLOSED", "finalizing was cancelled", { cause: err });
			throw err instanceof StudioError ? err : StudioError.from(err, "IO");
		} finally {
			signal?.removeEventListener("abort", onAbort);
		}
		await sink.close();
		ok = true;
		return { bytes: sink.bytes, tracks: copied };
	} finally {
		input.dispose();
		if (!ok) {
			await sink.close().catch(() => undefined);
			await unlink(target).catch(() => undefined);
		}
	}
}
