/**
 * The one mapping from a studio error (code + message) to what a person reads: a sentence that
 * says what went wrong and one that says what to do. Every toast and inline error goes through
 * {@link explainError}; the code and the engine's own words stay in {@link Explained.details}
 * (shown behind a "details" disclosure and kept in the Log view).
 */
import { StudioError, errorName, type ErrorName } from "../../../shared/errors";

/** An error as a person reads it. */
export interface Explained {
	/** What went wrong, one sentence ending with a period. */
	sentence: string;
	/** What to do about it, one sentence (may be empty). */
	advice: string;
	/** The code name, e.g. `INVALID_ARGUMENT`, for the log and the details disclosure. */
	code: ErrorName;
	/** The code and the engine's message verbatim (first line), e.g. `INVALID_ARGUMENT: origins.create: name: …`. */
	details: string;
}

/** What to do, per code, when the message itself gives no better hint. */
const ADVICE: Record<ErrorName, string> = {
	INTERNAL: "Try again; if it keeps happening, the Log view has the details.",
	INVALID_ARGUMENT: "Check the value and try again.",
	NOT_FOUND: "It may have been removed meanwhile; the list shows what exists now.",
	ALREADY_EXISTS: "Choose another name or path, or stop the one that is running.",
	CONNECT: "Check the relay's address and that it is running.",
	UNAUTHORIZED: "Check the token in the session's settings.",
	PROTOCOL: "The other side speaks a protocol version the studio does not understand.",
	LIMIT: "Stop something that runs, or try again later.",
	TIMEOUT: "Check the network and try again.",
	CLOSED: "",
	IO: "Check that the file or folder exists, can be written, and that the disk has space.",
	FORBIDDEN: "This is not allowed here.",
	MEDIA: "Use an MP4, MKV or WebM file with H.264, H.265, VP8, VP9 or AV1 video and Opus or AAC audio.",
	UNSUPPORTED: "This host cannot do that.",
	CERTIFICATE: "Check the certificate pin in the session's settings, or remove it.",
};

/** Plain-word names for the fields the contract validates, for zod issues with a path. */
const FIELD_NAMES: Record<string, string> = {
	name: "name",
	url: "relay URL",
	path: "broadcast path",
	file: "file",
	token: "token",
	originId: "origin",
	prefix: "prefix",
	certificateSha256: "certificate pin",
	fileName: "file name",
	durationS: "duration",
};

/** A contract method prefix the dispatcher adds to validation errors: `origins.create: `. */
const METHOD_PREFIX = /^[a-z]+\.[a-zA-Z]+:\s*/;
/** Prefixes that repeat what the UI already says ("Gave up on …"). */
const REDUNDANT_PREFIX = /^(gave up reconnecting|gave up|error|failed):\s*/i;
/** Stack frames and source locations: `at fn (file:///…/x.js:1:2)`, `/abs/path/x.ts:12:3`. */
const STACK_FRAME = /\s*\bat\s+\S*\s*\(?(?:file:\/\/|\/|[A-Za-z]:\\)[^)\s]*:\d+(?::\d+)?\)?/g;
const SOURCE_LOCATION = /\s*\(?(?:file:\/\/)?(?:\/[\w.@-]+)+\.(?:[cm]?js|tsx?):\d+(?::\d+)?\)?/g;

function sentenceCase(s: string): string {
	const t = s.trim().replace(/[\s.;:,]+$/, "");
	if (!t) return "";
	return `${t[0]!.toUpperCase()}${t.slice(1)}.`;
}

/** One zod issue (`path.to.field: message`) in words. */
function explainIssue(issue: string): string {
	const m = /^([\w.]+):\s*(.*)$/.exec(issue);
	if (!m) return issue;
	const field = m[1]!.split(".").filter((p) => !/^\d+$/.test(p)).at(-1) ?? m[1]!;
	const words = FIELD_NAMES[field] ?? field.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
	const message = m[2]!;
	// Zod's built-in messages ("Too small: expected string to have >=1 characters") are internals.
	if (/^(invalid|too (small|big)|expected|unrecognized)/i.test(message)) {
		return /too small/i.test(message) && /string/.test(message) ? `the ${words} is empty` : `the ${words} is not valid`;
	}
	return message;
}

/** The message without internals: no method prefix, no field paths, no stack, one line. */
function clean(code: ErrorName, message: string): string {
	let m = message.split("\n")[0] ?? "";
	m = m.replace(STACK_FRAME, "").replace(SOURCE_LOCATION, "");
	for (let i = 0; i < 3; i++) m = m.replace(REDUNDANT_PREFIX, "");
	if (code === "INVALID_ARGUMENT" && METHOD_PREFIX.test(m)) {
		m = m
			.replace(METHOD_PREFIX, "")
			.split(/;\s*/)
			.map(explainIssue)
			.filter((x, i, all) => x && all.indexOf(x) === i)
			.join("; ");
	}
	return m.trim();
}

/** Sentences for messages the engine words for developers rather than people. */
function special(code: ErrorName, message: string): { sentence: string; advice?: string } | null {
	if (code === "CLOSED" && /engine is not reachable/i.test(message)) {
		return { sentence: "The studio engine is not reachable.", advice: "Check that the studio is still running; this page reconnects by itself." };
	}
	if (code === "ALREADY_EXISTS" && /already has a broadcast at/i.test(message)) {
		const path = /broadcast at "?([^"]+)"?/.exec(message)?.[1];
		return { sentence: `Something is already live at ${path ?? "this path"}.`, advice: "Stop it first, or choose another broadcast path." };
	}
	if (code === "ALREADY_EXISTS" && /origin named/i.test(message)) {
		return { sentence: sentenceCase(message.replace(/^an origin named/i, "An origin named")), advice: "Choose another name." };
	}
	if (code === "INVALID_ARGUMENT" && /^unknown method/i.test(message)) {
		return { sentence: "The studio engine does not know this request.", advice: "The page and the engine are different versions: reload the page." };
	}
	return null;
}

/** Turns anything thrown, or an error as it crosses the contract (`{ code, message }`), into words. */
export function explainError(err: unknown): Explained {
	let code: ErrorName;
	let message: string;
	if (typeof err === "object" && err !== null && !(err instanceof Error) && typeof (err as { code?: unknown }).code === "number" && typeof (err as { message?: unknown }).message === "string") {
		code = errorName((err as { code: number }).code);
		message = (err as { message: string }).message;
	} else {
		const e = StudioError.from(err);
		code = e.codeName;
		message = e.message;
	}
	const details = `${code}: ${(message.split("\n")[0] ?? "").trim()}`;
	const known = special(code, message);
	if (known) return { sentence: known.sentence, advice: known.advice ?? ADVICE[code], code, details };
	const sentence = sentenceCase(clean(code, message)) || "Something went wrong.";
	return { sentence, advice: ADVICE[code], code, details };
}

/** The sentence and the advice together, for inline errors in forms. */
export function errorText(err: unknown): string {
	const e = explainError(err);
	return e.advice ? `${e.sentence} ${e.advice}` : e.sentence;
}
