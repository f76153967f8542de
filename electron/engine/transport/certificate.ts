/**
 * Self-signed ECDSA P-256 certificates for WebTransport. Browsers and fails-components accept a
 * self-signed certificate through `serverCertificateHashes` only if it is ECDSA and valid for at
 * most 14 days, so the relay makes its own short-lived one. Node has no X.509 writer: the few DER
 * structures needed are encoded here rather than pulling a PKI library into the app.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, X509Certificate } from "node:crypto";

/** A PEM certificate and key with what clients pin. */
export interface SelfSignedCertificate {
	cert: string;
	key: string;
	/** Lowercase hex sha-256 of the certificate's DER bytes. */
	sha256: string;
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

/**
 * Makes a certificate for `hosts` (DNS names or IPs in subjectAltName), valid from one minute
 * ago for `validityMs` (capped at 14 days, minus slack for clock skew).
 */
export function createSelfSignedCertificate(hosts: readonly string[] = ["localhost", "127.0.0.1", "::1"], validityMs = MAX_PINNED_VALIDITY_MS): SelfSignedCertificate {
	const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
	const notBefore = new Date(Date.now() - 60_000);
	// Stay inside the 14-day window even counting the minute of back-dating.
	const notAfter = new Date(notBefore.getTime() + Math.min(validityMs, MAX_PINNED_VALIDITY_MS - 120_000));
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
	return { cert, key, sha256: parsed.fingerprint256.replace(/:/g, "").toLowerCase(), notAfter };
}

function ipv6(h: string): Buffer {
	const [head, tail = ""] = h.split("::");
	const a = head ? head.split(":") : [];
	const b = tail ? tail.split(":") : [];
	const groups = h.includes("::") ? [...a, ...Array<string>(8 - a.length - b.length).fill("0"), ...b] : a;
	return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}
