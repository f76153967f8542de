/**
 * Runs a TypeScript entry of the media tests as a plain Node process (Node 20 cannot run TS):
 * esbuild bundles it, leaving packages external, next to node_modules so they resolve.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { build } from "esbuild";

const OUT_DIR = resolve("node_modules/.cache/moq-studio-media-tests");

/** Bundles `entry` (a .ts file) into an .mjs runnable by `node`; returns its path. */
export async function bundleEntry(entry: string): Promise<string> {
	await mkdir(OUT_DIR, { recursive: true });
	const outfile = resolve(OUT_DIR, `${basename(entry, ".ts")}.mjs`);
	await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", outfile, logLevel: "error" });
	return outfile;
}

/** Spawns `node script ...args` with piped output collected into `output`. */
export function spawnNode(script: string, args: string[]): ChildProcessWithoutNullStreams & { output: { stdout: string; stderr: string } } {
	const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
	const output = { stdout: "", stderr: "" };
	child.stdout.on("data", (d: Buffer) => (output.stdout += d.toString()));
	child.stderr.on("data", (d: Buffer) => (output.stderr += d.toString()));
	return Object.assign(child, { output });
}
