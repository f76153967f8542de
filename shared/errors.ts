/**
 * The one table of error codes every layer speaks, in the spirit of libmoq's negative codes.
 *
 * Codes are negative integers so they can double as a terminal session status (libmoq reports a
 * negative code once when reconnecting gives up). Names are stable across the contract, the CLI's
 * `--json` output and the UI; never renumber an entry.
 */
export const ErrorCode = {
	/** Something failed that has no better code; the message says what. */
	INTERNAL: -1,
	/** Arguments did not match the contract's schema or were semantically invalid. */
	INVALID_ARGUMENT: -2,
	/** The referenced id (session, origin, broadcast, recording) does not exist. */
	NOT_FOUND: -3,
	/** A thing with the same name or path already exists. */
	ALREADY_EXISTS: -4,
	/** The relay could not be reached or the handshake failed. */
	CONNECT: -5,
	/** The relay refused the credentials, or they expired. */
	UNAUTHORIZED: -6,
	/** The peer sent bytes that do not follow the protocol. */
	PROTOCOL: -7,
	/** A configured limit (sessions, broadcasts, frame size, path length) was exceeded. */
	LIMIT: -8,
	/** An operation did not complete in time. */
	TIMEOUT: -9,
	/** The operation was cancelled or the object was closed. */
	CLOSED: -10,
	/** A filesystem operation failed (disk full, unwritable folder, missing file). */
	IO: -11,
	/** The caller is not allowed to do this (foreign IPC sender, bad token, escaping path). */
	FORBIDDEN: -12,
	/** The media could not be parsed or uses an unsupported codec. */
	MEDIA: -13,
	/** The operation is not supported by this host or build. */
	UNSUPPORTED: -14,
	/** The server certificate did not match the pinned sha-256 hash. */
	CERTIFICATE: -15,
} as const;

/** The name of an error code, e.g. `"NOT_FOUND"`. */
export type ErrorName = keyof typeof ErrorCode;
/** A numeric error code from {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[ErrorName];

const names = new Map<number, ErrorName>(
	(Object.entries(ErrorCode) as [ErrorName, number][]).map(([name, code]) => [code, name]),
);

/** Returns the name for a numeric code, or `"INTERNAL"` for a number outside the table. */
export function errorName(code: number): ErrorName {
	return names.get(code) ?? "INTERNAL";
}

/** The serialisable shape of a {@link StudioError}, as it crosses IPC, WebSocket and `--json` output. */
export interface StudioErrorInfo {
	code: ErrorCodeValue;
	name: ErrorName;
	message: string;
}

/**
 * The typed error of the studio. Every failure that crosses a boundary is one of these;
 * `message` is plain words for a person and never contains a secret.
 */
export class StudioError extends Error {
	readonly code: ErrorCodeValue;

	constructor(name: ErrorName, message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "StudioError";
		this.code = ErrorCode[name];
	}

	/** The name of this error's code. */
	get codeName(): ErrorName {
		return errorName(this.code);
	}

	/** The wire form of this error. */
	toInfo(): StudioErrorInfo {
		return { code: this.code, name: this.codeName, message: this.message };
	}

	/** Rebuilds an error received over a boundary; unknown codes become INTERNAL. */
	static fromInfo(info: { code: number; message: string }): StudioError {
		return new StudioError(errorName(info.code), info.message);
	}

	/**
	 * Wraps anything thrown into a StudioError, keeping one that already is.
	 * `AggregateError`s (what `@moq/net` rejects with when every transport failed) are unwrapped
	 * to the first real cause so the message says e.g. "connection refused".
	 */
	static from(err: unknown, fallback: ErrorName = "INTERNAL"): StudioError {
		if (err instanceof StudioError) return err;
		const cause = rootCause(err);
		const message = cause instanceof Error ? cause.message : String(cause);
		return new StudioError(fallback, message || "unknown error", { cause: err });
	}
}

/** Descends through `AggregateError.errors` and `Error.cause` to the most specific error. */
export function rootCause(err: unknown): unknown {
	let current: unknown = err;
	for (let depth = 0; depth < 8; depth++) {
		if (current instanceof AggregateError && current.errors.length > 0) {
			current = current.errors[0];
			continue;
		}
		if (current instanceof Error && current.cause !== undefined && !(current instanceof StudioError)) {
			const c = current.cause;
			if (c instanceof Error || (typeof c === "object" && c !== null)) {
				current = c;
				continue;
			}
		}
		break;
	}
	return current;
}

/** True when `value` has the wire shape of a {@link StudioErrorInfo}. */
export function isStudioErrorInfo(value: unknown): value is StudioErrorInfo {
	return (
		typeof value === "object" &&
		value !== null &&
		typeof (value as { code?: unknown }).code === "number" &&
		typeof (value as { message?: unknown }).message === "string"
	);
}
