/**
 * The desktop host's secret store: relay tokens encrypted with Electron's `safeStorage`
 * (the OS keychain: Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux).
 */
import type { SecretStore } from "../engine/settings/secrets";

/** The part of Electron's `safeStorage` this store uses. */
export interface SafeStorageLike {
	isEncryptionAvailable(): boolean;
	encryptString(plainText: string): Buffer;
	decryptString(encrypted: Buffer): string;
}

/**
 * Seals with safeStorage when the OS offers encryption. Without it (a Linux session with no
 * keyring) it refuses to persist tokens rather than writing them in the clear: the user re-enters
 * them after a restart, and the log says why.
 */
export class SafeStorageSecretStore implements SecretStore {
	readonly description: string;

	constructor(private readonly safeStorage: SafeStorageLike) {
		this.description = safeStorage.isEncryptionAvailable() ? "OS keychain (safeStorage)" : "not stored: no OS keychain available";
	}

	seal(secret: string): string {
		if (!this.safeStorage.isEncryptionAvailable()) throw new Error("no OS keychain is available to encrypt the token");
		return `safe:${this.safeStorage.encryptString(secret).toString("base64")}`;
	}

	open(sealed: string): string {
		if (!sealed.startsWith("safe:")) throw new Error("this secret was not sealed by the OS keychain");
		return this.safeStorage.decryptString(Buffer.from(sealed.slice(5), "base64"));
	}
}
