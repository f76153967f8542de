/**
 * A disk that fills up mid-recording (the Recordings issue): `moq-studio record` onto a 1.5 MB
 * tmpfs fails with an IO error and exit 1, and the file it leaves ends at its last complete
 * fragment, so it decodes without an error (a fragment cut short by the failed write made ffmpeg
 * report "Invalid NAL unit size"). Mounting a tmpfs needs root (CAP_SYS_ADMIN); elsewhere the
 * test is skipped, saying why.
 */
import { stat } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RelayHandle } from "../../electron/engine/relay";
import { INITIAL_ANNOUNCE_MS } from "../../electron/engine/recordings/follow";
import { spawnStudioCli, waitForExit, waitForLine } from "../helpers/cli";
import { startTestRelay } from "../helpers/relay";
import { mountTmpfs, type Tmpfs } from "../helpers/tmpfs";
import { decodeErrors, ffmpeg, mp4Samples, probeStreams, tempDir } from "./media-helpers";

const DISK_BYTES = 1500 * 1024;

let dir: string;
let remove: () => Promise<void>;
let relay: RelayHandle;
let tmpfs: Tmpfs;
let disk: string | undefined;
let why = "";

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-full-disk-"));
	tmpfs = await mountTmpfs(`${dir}/disk`, DISK_BYTES);
	disk = tmpfs.path;
	if (tmpfs.path === undefined) {
		why = tmpfs.why;
		return;
	}
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.close();
	if (tmpfs?.path !== undefined) await tmpfs.unmount();
	await remove?.();
});

it("a full disk ends the recording with an IO error and a file that decodes to its last fragment", { timeout: 60_000 }, async (ctx) => {
	if (!disk) return ctx.skip(why);
	// 8 s at 4 Mb/s, near three times what the disk holds: the disk fills a few fragments in.
	const source = `${dir}/big.mp4`;
	await ffmpeg([
		"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "8",
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "4M", "-g", "30", "-pix_fmt", "yuv420p",
		"-c:a", "libopus", "-b:a", "64k",
		source,
	]);
	const out = `${disk}/rec.mp4`;
	const recorder = spawnStudioCli(["record", "--url", relay.url, "--broadcast", "t/big.hang", "--out", out, "--duration", "30"]);
	const publisher = { child: undefined as ReturnType<typeof spawnStudioCli> | undefined };
	try {
		await waitForLine(recorder, /connected to/);
		await new Promise((r) => setTimeout(r, INITIAL_ANNOUNCE_MS + 250));
		publisher.child = spawnStudioCli(["publish", "--url", relay.url, "--broadcast", "t/big.hang", "--file", source]);
		const recorded = await waitForExit(recorder, 30_000);
		const said = `record exited ${recorded.code ?? recorded.signal}: ${recorded.stdout}${recorded.stderr}\npublish: ${publisher.child.output.stdout}${publisher.child.output.stderr}`;
		expect(recorded.code, said).toBe(1);
		expect(recorded.stderr).toMatch(/disk full while writing .*rec\.mp4.*keeps its complete fragments.*\[IO\]/);
	} finally {
		recorder.kill("SIGKILL");
		publisher.child?.kill("SIGKILL");
	}
	const size = (await stat(out)).size;
	expect(size).toBeGreaterThan(0);
	expect(size).toBeLessThan(DISK_BYTES);
	// Whole fragments only: the file ends where an mdat ends, and every sample is in it.
	const tracks = await mp4Samples(out);
	expect(tracks.vide!.fragments).toBeGreaterThan(0);
	const streams = await probeStreams(out);
	expect(streams.find((s) => s.type === "video")!.packets).toBe(tracks.vide!.samples.length);
	expect(streams.find((s) => s.type === "audio")!.packets).toBe(tracks.soun!.samples.length);
	expect(await decodeErrors(out)).toBe("");
});
