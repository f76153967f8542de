/**
 * Where relay tokens rest. The engine only sees this interface: the desktop host backs it with
 * Electron's `safeStorage` (OS keychain), the web host and CLI with {@link FileSecretStore}.
 */

/** Seals secrets for storage at rest and opens them again. */
export interface SecretStore {
	/** A short description for the log and the UI, e.g. "OS keychain (safeStorage)". */
	readonly description: string;
	/** Returns an opaque string safe to write into the settings file. */
	seal(secret: string): string;
	/** Reverses {@link seal}; throws when the sealed value cannot be opened. */
	open(sealed: string): string;
}

/**
 * The web host's and CLI's store: secrets stay readable in the settings file, which is written
 * with mode 0600 inside the studio's data folder (the same protection as `~/.ssh` keys). Use the
 * desktop app for OS-keychain encryption.
 */
export class FileSecretStore implements SecretStore {
	readonly description = "settings file readable only by you (mode 0600)";

	seal(secret: string): string {
		return `plain:${Buffer.from(secret, "utf8").toString("base64")}`;
	}

	open(sealed: string): string {
		if (!sealed.startsWith("plain:")) throw new Error("this secret was sealed by another store (e.g. the desktop keychain)");
		return Buffer.from(sealed.slice(6), "base64").toString("utf8");
	}
}
