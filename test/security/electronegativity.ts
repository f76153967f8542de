/**
 * Runs @doyensec/electronegativity offline and reads its CSV.
 *
 * Two things in the scanner reach the network: the AvailableSecurityFixesGlobalCheck (excluded,
 * as DESIGN.md §4 says) and a fetch of updated translations at every start (1 s timeout, then it
 * falls back to its bundled en-US strings). The second is replaced here by the same i18n setup
 * without the fetch, so a scan is deterministic and quick with no network at all. The scanner's
 * own runner then scans; it never fails on findings, so callers gate on the rows it returns.
 */
import { writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { dirname, join } from "node:path";

const fromHere = createRequire(import.meta.url);
const scannerRoot = dirname(fromHere.resolve("@doyensec/electronegativity/package.json"));
const fromScanner = createRequire(join(scannerRoot, "package.json"));

/** Checks that need the network. */
export const ONLINE_CHECKS = ["AvailableSecurityFixesGlobalCheck"];

interface I18n {
	configure(options: Record<string, unknown>): void;
	setLocale(locale: string): void;
}

interface RunOptions {
	input: string;
	/** The scanner's own report file; "" for none (its CSV writer races, see `scan`). */
	output: string;
	isSarif: boolean;
	customScan: string[];
	excludeFromScan: string[];
	isRelative: boolean;
	isVerbose: boolean;
	electronVersionOverride: string;
	parserPlugins: string[];
}
interface RunResult {
	errors: { file: string; message: string; tolerable: boolean }[];
	issues: unknown[];
	globalChecks: number;
	atomicChecks: number;
}
type Runner = (options: RunOptions) => Promise<RunResult>;

let runner: Runner | undefined;

function loadRunner(): Runner {
	if (runner) return runner;
	const i18nPath = fromScanner.resolve("./dist/locales/i18n.js");
	const i18n = fromScanner("i18n") as I18n;
	const offline = new Module(i18nPath);
	offline.filename = i18nPath;
	offline.loaded = true;
	offline.exports = async (): Promise<void> => {
		i18n.configure({
			locales: ["en-US"],
			defaultLocale: "en-US",
			directory: dirname(i18nPath),
			updateFiles: false,
			objectNotation: true,
			retryInDefaultLocale: true,
			register: globalThis,
		});
		i18n.setLocale("en-US");
	};
	fromScanner.cache[i18nPath] = offline;
	runner = fromScanner("./dist/runner.js") as Runner;
	return runner;
}

/** One finding, as a row of the scanner's CSV report. */
export interface Finding {
	issue: string;
	severity: string;
	confidence: string;
	filename: string;
	location: string;
	sample: string;
	description: string;
}

interface Issue {
	id: string;
	severity: { name: string };
	confidence: { name: string };
	file: string;
	location: { line: number; column: number };
	sample?: string;
	description: string;
}

const CSV_HEADER = "issue, severity, confidence, filename, location, sample, description, url";

function csvField(value: string): string {
	return `"${value.replace(/"/g, '""')}"`;
}

/**
 * Scans `input` (a directory or file) and returns the findings and the files it could not parse;
 * writes the findings to `csvFile` in the scanner's CSV format, as a report to read.
 *
 * The rows come from the runner's return value, not from its own `-o file.csv`: that writer starts
 * the header write (truncating) and the rows write (appending) as two concurrent fs.writeFile
 * calls, so the header can land last and overwrite the first rows — a HIGH row can vanish.
 */
export async function scan(input: string, csvFile: string, electronVersion: string): Promise<{ findings: Finding[]; errors: RunResult["errors"] }> {
	const result = await loadRunner()({
		input,
		output: "",
		isSarif: false,
		customScan: [],
		excludeFromScan: ONLINE_CHECKS,
		isRelative: true,
		isVerbose: false,
		electronVersionOverride: electronVersion,
		parserPlugins: [],
	});
	const findings = (result.issues as Issue[]).map((i) => ({
		issue: i.id,
		severity: i.severity.name,
		confidence: i.confidence.name,
		filename: i.file,
		location: `${i.location.line}:${i.location.column}`,
		sample: i.sample ?? "N/A",
		description: i.description,
	}));
	const rows = findings.map((f) =>
		[f.issue, f.severity, f.confidence, f.filename, f.location, f.sample, f.description].map(csvField).concat(`https://github.com/doyensec/electronegativity/wiki/${f.issue}`).join(","),
	);
	writeFileSync(csvFile, [CSV_HEADER, ...rows].join("\n") + "\n");
	return { findings, errors: result.errors };
}
