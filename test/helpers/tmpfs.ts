/**
 * A small tmpfs for tests of a full or nearly full disk. Mounting needs root (CAP_SYS_ADMIN), which
 * these machines and CI have; elsewhere the mount fails and the caller skips its test with `why`.
 */
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A mounted tmpfs (`path`), or the reason none could be mounted (`why`). */
export type Tmpfs = { path: string; unmount(): Promise<void> } | { path: undefined; why: string };

/** Mounts a tmpfs of `size` (mount's syntax: bytes, or "5m") at `dir`, created if missing. */
export async function mountTmpfs(dir: string, size: string | number): Promise<Tmpfs> {
	await mkdir(dir, { recursive: true });
	try {
		await run("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
	} catch (err) {
		return { path: undefined, why: `cannot mount a tmpfs here: ${(err as { stderr?: string }).stderr ?? String(err)}` };
	}
	return { path: dir, unmount: () => run("umount", [dir]).then(() => undefined, () => undefined) };
}
