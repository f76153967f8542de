/**
 * Go Live's counters per simulcast rendition (issue 16): for each rendition its picture, the
 * engine's target and the bitrate it receives, and the frame counts from encoder to studio, so
 * a rendition that falls behind on its own shows on its own row.
 */
import type { LiveSession } from "./controller";

function kbps(bps: number | null | undefined): string {
	return bps ? `${Math.round(bps / 1000)} kb/s` : "–";
}

/** The per-rendition table of a live session with more than one rendition; nothing otherwise. */
export function RenditionsTable({ live }: { live: LiveSession }) {
	const channels = live.info.channels.filter((c) => c.kind === "video");
	if (channels.length < 2) return null;
	return (
		<table aria-label="Renditions" className="renditions-table">
			<caption>Renditions</caption>
			<thead>
				<tr>
					<th scope="col">Track</th>
					<th scope="col">Size</th>
					<th scope="col">Target</th>
					<th scope="col">Received</th>
					<th scope="col">Sent fps</th>
					<th scope="col">Encoded</th>
					<th scope="col">Skipped</th>
					<th scope="col">Dropped</th>
					<th scope="col">Studio received</th>
				</tr>
			</thead>
			<tbody>
				{channels.map((c) => {
					const rendition = c.rendition ?? 0;
					const plan = live.renditionPlans[rendition];
					const track = live.info.tracks.find((t) => t.name === c.track);
					const enc = rendition === 0 ? live.encoders.get("video") : live.renditionEncoders.get(rendition);
					const skipped = (enc?.captureSkipped ?? 0) + (enc?.encoderBusy ?? 0) + (enc?.encoderDropped ?? 0) + (enc?.repeated ?? 0);
					return (
						<tr key={c.track} data-rendition={c.track}>
							<td className="mono">{c.track}</td>
							<td data-stat="size">{plan ? `${plan.width}×${plan.height}` : "–"}</td>
							<td data-stat="target" data-value={track?.targetBitrate ?? 0}>
								{kbps(track?.targetBitrate)}
							</td>
							<td data-stat="bitrate" data-value={track?.bitrate ?? 0}>
								{kbps(track?.bitrate)}
							</td>
							<td data-stat="sent-fps" data-value={enc?.sentFps ?? 0}>
								{(enc?.sentFps ?? 0).toFixed(1)}
							</td>
							<td data-stat="encoded" data-value={enc?.encoded ?? 0}>
								{enc?.encoded ?? 0}
							</td>
							<td data-stat="skipped" data-value={skipped}>
								{skipped}
							</td>
							<td data-stat="sink-dropped" data-value={enc?.dropped ?? 0}>
								{enc?.dropped ?? 0}
							</td>
							<td data-stat="received" data-value={track?.received ?? 0}>
								{track?.received ?? 0}
							</td>
						</tr>
					);
				})}
			</tbody>
		</table>
	);
}
