/**
 * Self-signed ECDSA P-256 certificates for WebTransport. Browsers and fails-components accept a
 * self-signed certificate through `serverCertificateHashes` only if it is ECDSA and valid for at
 * most 14 days, so the relay makes its own short-lived one. Node has no X.509 writer: the few DER
 * structures needed are encoded here rather than pulling a PKI library into the app.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, X509Certificate } from "node:crypto";
import { StudioError } from "../../../shared/errors";

/** A PEM certificate and key with what clients pin. */
export interface SelfSignedCertificate {
	cert: string;
	key: string;
	/** Lowercase hex sha-256 of the certificate's DER bytes. */
	sha256: string;
	notBefore: Date;
	notAfter: Date;
}

/** The longest validity `serverCertificateHashes` accepts (WebTransport spec): 14 days. */
export const MAX_PINNED_VALIDITY_MS = 14 * 24 * 3600 * 1000;

function der(tag: number, ...parts: Buffer[]): Buffer {
	const body = Buffer.concat(parts);
	const n = body.length;
	const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
	return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...p: Buffer[]) => der(0x30, ...p);
const oid = (hex: string) => der(0x06, Buffer.from(hex, "hex"));
const utf8 = (s: string) => der(0x0c, Buffer.from(s, "utf8"));
function utcTime(d: Date): Buffer {
	const s = d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
	return der(0x17, Buffer.from(s, "ascii"));
}

const ECDSA_SHA256 = seq(oid("2a8648ce3d040302"));
const COMMON_NAME = "550403";

/** How far a certificate is back-dated for peers whose clock runs behind: a minute, or a tenth of a short validity. */
export function backdateMs(validityMs: number): number {
	return Math.min(60_000, Math.floor(validityMs / 10));
}

/**
 * Makes a certificate for `hosts` (DNS names or IPs in subjectAltName), valid from
 * {@link backdateMs} before `now` for `validityMs` in all (capped at 14 days minus slack, so the
 * whole span stays inside what `serverCertificateHashes` accepts).
 */
export function createSelfSignedCertificate(hosts: readonly string[] = ["localhost", "127.0.0.1", "::1"], validityMs = MAX_PINNED_VALIDITY_MS, now = Date.now()): SelfSignedCertificate {
	const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
	const span = Math.min(validityMs, MAX_PINNED_VALIDITY_MS - 120_000);
	// X.509 times have whole seconds: round so notAfter - notBefore is exactly the span asked for.
	const notBefore = new Date(Math.floor((now - backdateMs(span)) / 1000) * 1000);
	const notAfter = new Date(notBefore.getTime() + span);
	const name = seq(der(0x31, seq(oid(COMMON_NAME), utf8("moq-studio relay"))));
	const sans = hosts.map((h) => (/^[\d.]+$/.test(h) ? der(0x87, Buffer.from(h.split(".").map(Number))) : h.includes(":") ? der(0x87, ipv6(h)) : der(0x82, Buffer.from(h, "ascii"))));
	const subjectAltName = seq(oid("551d11"), der(0x04, seq(...sans)));
	const tbs = seq(
		der(0xa0, der(0x02, Buffer.from([2]))), // v3
		der(0x02, Buffer.concat([Buffer.from([0x01]), createHash("sha256").update(String(Math.random())).digest().subarray(0, 15)])),
		ECDSA_SHA256,
		name,
		seq(utcTime(notBefore), utcTime(notAfter)),
		name,
		publicKey.export({ type: "spki", format: "der" }),
		der(0xa3, seq(subjectAltName)),
	);
	const signature = sign("sha256", tbs, privateKey);
	const certDer = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
	const cert = `-----BEGIN CERTIFICATE-----\n${certDer.toString("base64").replace(/(.{64})/g, "$1\n").trim()}\n-----END CERTIFICATE-----\n`;
	const key = createPrivateKey(privateKey.export({ type: "pkcs8", format: "pem" })).export({ type: "pkcs8", format: "pem" }).toString();
	// Parse it back: a malformed encoding fails here, not in a client's handshake.
	const parsed = new X509Certificate(cert);
	return { cert, key, sha256: parsed.fingerprint256.replace(/:/g, "").toLowerCase(), notBefore, notAfter };
}

function ipv6(h: string): Buffer {
	const [head, tail = ""] = h.split("::");
	const a = head ? head.split(":") : [];
	const b = tail ? tail.split(":") : [];
	const groups = h.includes("::") ? [...a, ...Array<string>(8 - a.length - b.length).fill("0"), ...b] : a;
	return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

/** How a {@link CertificateRotation} issues and renews certificates. */
export interface CertificateRotationOptions {
	/** DNS names and IPs every certificate names. */
	hosts: readonly string[];
	/** Validity of each certificate; default and cap {@link MAX_PINNED_VALIDITY_MS}. */
	validityMs?: number;
	/** Renew this long before the current certificate expires; default one day (a tenth of a shorter validity). */
	renewBeforeMs?: number;
	/** The wall clock (ms since the epoch); `Date.now` unless a test drives it. */
	now?: () => number;
	/** Called after each renewal with the new certificate and the one it replaces. */
	onRotate?: (next: SelfSignedCertificate, previous: SelfSignedCertificate) => void;
}

/** The longest a rotation timer sleeps before looking at the wall clock again. */
const CHECK_EVERY_MS = 3600_000;

/**
 * The relay's current WebTransport certificate, renewed `renewBeforeMs` before it expires while
 * the relay runs. Guarantees: {@link current} is never expired by the clock once
 * {@link rotateIfDue} has run after the renewal point; renewal is decided from the wall clock, not
 * from a timer's elapsed time alone, because Node timers do not count time a laptop spends asleep
 * (a 13-day timer could fire after the certificate expired). Existing TLS sessions keep the
 * certificate they were made with: only new handshakes see a renewed one.
 */
export class CertificateRotation {
	#current: SelfSignedCertificate;
	readonly #opts: Required<Omit<CertificateRotationOptions, "onRotate">> & Pick<CertificateRotationOptions, "onRotate">;
	#timer: NodeJS.Timeout | undefined;

	/** Issues the first certificate; INVALID_ARGUMENT when the renewal point would come before it is issued. */
	constructor(opts: CertificateRotationOptions) {
		const validityMs = Math.min(opts.validityMs ?? MAX_PINNED_VALIDITY_MS, MAX_PINNED_VALIDITY_MS - 120_000);
		const renewBeforeMs = opts.renewBeforeMs ?? Math.min(24 * 3600_000, Math.floor(validityMs / 10));
		if (!Number.isFinite(validityMs) || validityMs < 1000) throw new StudioError("INVALID_ARGUMENT", `certificate validity must be at least 1000 ms, got ${opts.validityMs}`);
		if (!Number.isFinite(renewBeforeMs) || renewBeforeMs < 0 || validityMs - backdateMs(validityMs) - renewBeforeMs < 1000) {
			throw new StudioError("INVALID_ARGUMENT", `certificate renewal (${renewBeforeMs} ms before expiry) must leave at least 1000 ms of a ${validityMs} ms validity after issue`);
		}
		this.#opts = { hosts: opts.hosts, validityMs, renewBeforeMs, now: opts.now ?? Date.now, onRotate: opts.onRotate };
		this.#current = this.#issue();
	}

	/** The certificate new handshakes get. */
	get current(): SelfSignedCertificate {
		return this.#current;
	}

	/** Milliseconds (by the clock) until the current certificate is due for renewal; 0 when due. */
	dueInMs(): number {
		return Math.max(0, this.#current.notAfter.getTime() - this.#opts.renewBeforeMs - this.#opts.now());
	}

	/** Renews the certificate if it is due by the clock; true when it did. */
	rotateIfDue(): boolean {
		if (this.dueInMs() > 0) return false;
		const previous = this.#current;
		this.#current = this.#issue();
		this.#opts.onRotate?.(this.#current, previous);
		return true;
	}

	/** Checks the clock at the renewal point (and at least hourly) until {@link stop}. */
	start(): void {
		this.stop();
		const arm = () => {
			this.#timer = setTimeout(() => {
				this.rotateIfDue();
				arm();
			}, Math.max(1, Math.min(this.dueInMs(), CHECK_EVERY_MS))).unref();
		};
		arm();
	}

	/** Stops renewing. */
	stop(): void {
		clearTimeout(this.#timer);
		this.#timer = undefined;
	}

	#issue(): SelfSignedCertificate {
		return createSelfSignedCertificate(this.#opts.hosts, this.#opts.validityMs, this.#opts.now());
	}
}
