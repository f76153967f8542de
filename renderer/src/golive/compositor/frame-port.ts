/**
 * Program frames over a MessagePort (compositor worker → encoder worker), as the readable the
 * encoder already reads a capture from. VideoFrames are transferred, not copied; the queue holds
 * at most two, so a slow encoder sees the newest program frames and the rest are closed and counted.
 */

/** The end-of-program marker on a frame port. */
export const END_OF_FRAMES = "end";

/** A readable of the frames posted on `port`; `onSkipped` runs for each frame closed unread. */
export function framesFromPort(port: MessagePort, onSkipped: () => void): ReadableStream<VideoFrame> {
	const queue: VideoFrame[] = [];
	let ended = false;
	let wake: (() => void) | undefined;
	port.onmessage = (ev: MessageEvent<VideoFrame | typeof END_OF_FRAMES>) => {
		if (ev.data === END_OF_FRAMES) ended = true;
		else if (ended) ev.data.close();
		else {
			queue.push(ev.data);
			while (queue.length > 2) {
				queue.shift()!.close();
				onSkipped();
			}
		}
		wake?.();
	};
	return new ReadableStream<VideoFrame>(
		{
			async pull(controller) {
				while (queue.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
				wake = undefined;
				const frame = queue.shift();
				if (frame) controller.enqueue(frame);
				else {
					controller.close();
					port.close();
				}
			},
			cancel() {
				// The port stays open: frames the compositor sent before it heard of the end still
				// arrive, and each must be closed here (a dropped VideoFrame stalls its pool).
				ended = true;
				for (const f of queue.splice(0)) f.close();
			},
		},
		{ highWaterMark: 0 },
	);
}
