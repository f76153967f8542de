/**
 * The relay's self-signed WebTransport certificate: what `serverCertificateHashes` requires
 * (ECDSA, at most 14 days), checked by parsing it back with Node's X.509 reader.
 * Its rotation is driven here by an injected clock; test/transport/certificate-rotation.test.ts
 * rotates a running relay's certificate for real.
 */
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { expect, it } from "vitest";
import { CertificateRotation, createSelfSignedCertificate, MAX_PINNED_VALIDITY_MS } from "../../electron/engine/transport/certificate";
import { StudioError } from "../../shared/errors";

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

it("rotation renews by the injected clock before expiry, with the same hosts, and refuses a renewal point before issue", () => {
	let clock = Date.parse("2026-01-01T00:00:00Z");
	const rotated: [string, string][] = [];
	const rotation = new CertificateRotation({ hosts: ["localhost", "10.1.2.3"], now: () => clock, onRotate: (next, previous) => rotated.push([previous.sha256, next.sha256]) });
	const first = rotation.current;
	// Issued by the injected clock: 14 days in all, a minute back-dated.
	expect(first.notBefore.getTime()).toBe(clock - 60_000);
	expect(first.notAfter.getTime() - first.notBefore.getTime()).toBe(MAX_PINNED_VALIDITY_MS - 120_000);
	// Due one day before expiry, not a millisecond earlier.
	const due = first.notAfter.getTime() - 24 * 3600_000;
	expect(rotation.dueInMs()).toBe(due - clock);
	clock = due - 1;
	expect(rotation.rotateIfDue()).toBe(false);
	expect(rotation.current).toBe(first);
	clock = due;
	expect(rotation.rotateIfDue()).toBe(true);
	const second = rotation.current;
	expect(rotated).toEqual([[first.sha256, second.sha256]]);
	// Renewed while the old one was still valid for a day; the new one starts from the clock.
	expect(first.notAfter.getTime() - clock).toBe(24 * 3600_000);
	expect(second.notBefore.getTime()).toBe(clock - 60_000);
	expect(new X509Certificate(second.cert).subjectAltName).toBe("DNS:localhost, IP Address:10.1.2.3");
	expect(rotation.rotateIfDue()).toBe(false);
	// A laptop that slept past the renewal point renews at the first look at the clock.
	clock = second.notAfter.getTime() + 3600_000;
	expect(rotation.rotateIfDue()).toBe(true);
	expect(rotation.current.notAfter.getTime()).toBeGreaterThan(clock);

	expect(() => new CertificateRotation({ hosts: ["localhost"], validityMs: 10_000, renewBeforeMs: 9500 })).toThrow(StudioError);
	expect(() => new CertificateRotation({ hosts: ["localhost"], validityMs: 500 })).toThrow(/at least 1000 ms/);
});
