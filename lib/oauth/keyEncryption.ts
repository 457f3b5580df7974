// Private signing keys are stored encrypted: AES-256-GCM under a key derived
// (HKDF-SHA256) from the deployment secret, with the kid as associated data
// so a ciphertext cannot be swapped onto another key's row.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";

export class KeyEncryption {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (secret.length < 32) {
      throw new Error("GATEHOUSE_SECRET must be at least 32 characters (for example: openssl rand -base64 48).");
    }
    this.key = Buffer.from(hkdfSync("sha256", secret, "gatehouse", "signing-key-encryption/v1", 32));
  }

  encrypt(plaintext: string, kid: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(kid, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, iv.toString("base64url"), ciphertext.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
  }

  decrypt(sealed: string, kid: string): string {
    const [version, iv, ciphertext, tag] = sealed.split(".");
    if (version !== VERSION || !iv || !ciphertext || !tag) throw new Error(`Signing key ${kid}: unknown encryption format.`);
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(kid, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw new Error(
        `Signing key ${kid} cannot be decrypted: GATEHOUSE_SECRET differs from the one the key was stored with, or the stored key was altered.`,
      );
    }
  }
}
