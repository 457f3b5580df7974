import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Client secrets are long random values, so one SHA-256 is the right (and cheap) hash. */
export function hashClientSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Compares against every stored hash in constant time (no early exit on a match). */
export function clientSecretMatches(secret: string, storedHashes: readonly string[]): boolean {
  const candidate = Buffer.from(hashClientSecret(secret), "hex");
  let matched = false;
  for (const stored of storedHashes) {
    const expected = Buffer.from(stored, "hex");
    if (expected.length === candidate.length && timingSafeEqual(expected, candidate)) matched = true;
  }
  return matched;
}

/** A random URL-safe value with `bytes` bytes of entropy (default 256 bits). */
export function randomTokenValue(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function generateClientSecret(): string {
  return randomTokenValue(32);
}

/** How opaque bearer values (codes, refresh tokens) are stored: SHA-256, base64url. */
export function hashOpaqueValue(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("base64url");
}
