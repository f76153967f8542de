/**
 * The relay's self-signed WebTransport certificate: what `serverCertificateHashes` requires
 * (ECDSA, at most 14 days), checked by parsing it back with Node's X.509 reader.
 */
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { expect, it } from "vitest";
import { createSelfSignedCertificate, MAX_PINNED_VALIDITY_MS } from "../../electron/engine/transport/certificate";

it("is a self-signed ECDSA P-256 certificate valid for at most 14 days, whose hash is the DER's sha-256", () => {
	const made = createSelfSignedCertificate(["localhost", "127.0.0.1", "::1"]);
	const x = new X509Certificate(made.cert);
	expect(x.publicKey.asymmetricKeyType).toBe("ec");
	expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
	expect(x.verify(x.publicKey)).toBe(true);
	expect(x.checkPrivateKey(createPrivateKey(made.key))).toBe(true);
	const validity = Date.parse(x.validTo) - Date.parse(x.validFrom);
	expect(validity).toBeLessThanOrEqual(MAX_PINNED_VALIDITY_MS);
	expect(validity).toBeGreaterThan(MAX_PINNED_VALIDITY_MS - 10 * 60_000);
	expect(x.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
	expect(made.sha256).toBe(createHash("sha256").update(x.raw).digest("hex"));
	// A shorter validity is honoured; a longer one is capped.
	const long = new X509Certificate(createSelfSignedCertificate(["localhost"], 90 * 24 * 3600 * 1000).cert);
	expect(Date.parse(long.validTo) - Date.parse(long.validFrom)).toBeLessThanOrEqual(MAX_PINNED_VALIDITY_MS);
	const day = new X509Certificate(createSelfSignedCertificate(["localhost"], 24 * 3600 * 1000).cert);
	expect(Date.parse(day.validTo) - Date.parse(day.validFrom)).toBe(24 * 3600 * 1000);
	// Two certificates never share a key or a hash.
	expect(createSelfSignedCertificate().sha256).not.toBe(made.sha256);
});
