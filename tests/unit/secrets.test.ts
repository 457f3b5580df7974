import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { clientSecretMatches, generateClientSecret, hashClientSecret, randomTokenValue } from "@/lib/oauth/secrets";

describe("client secret hashing", () => {
  it("is hex SHA-256 of the UTF-8 secret", () => {
    expect(hashClientSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashClientSecret("é")).toBe(createHash("sha256").update(Buffer.from("é", "utf8")).digest("hex"));
  });

  it("matches the right secret and nothing else", () => {
    const stored = [hashClientSecret("right")];
    expect(clientSecretMatches("right", stored)).toBe(true);
    expect(clientSecretMatches("wrong", stored)).toBe(false);
    expect(clientSecretMatches("Right", stored)).toBe(false);
    expect(clientSecretMatches("", stored)).toBe(false);
  });

  it("matches any of several stored hashes (secret rotation), in any position", () => {
    const stored = [hashClientSecret("first"), hashClientSecret("second"), hashClientSecret("third")];
    expect(clientSecretMatches("first", stored)).toBe(true);
    expect(clientSecretMatches("second", stored)).toBe(true);
    expect(clientSecretMatches("third", stored)).toBe(true);
    expect(clientSecretMatches("fourth", stored)).toBe(false);
  });

  it("no stored hash, or a malformed one, never matches", () => {
    expect(clientSecretMatches("x", [])).toBe(false);
    expect(clientSecretMatches("x", ["not-hex", "", hashClientSecret("x").slice(0, 32)])).toBe(false);
  });

  it("does not accept the stored hash itself as the secret", () => {
    const hash = hashClientSecret("right");
    expect(clientSecretMatches(hash, [hash])).toBe(false);
  });
});

describe("random values", () => {
  it("BCP-13 randomTokenValue carries 256 bits by default, base64url", () => {
    const value = randomTokenValue();
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(value, "base64url")).toHaveLength(32);
    expect(value).toHaveLength(43);
  });

  it("randomTokenValue(n) carries n bytes", () => {
    expect(Buffer.from(randomTokenValue(16), "base64url")).toHaveLength(16);
    expect(Buffer.from(randomTokenValue(64), "base64url")).toHaveLength(64);
  });

  it("values do not repeat and use the whole alphabet", () => {
    const values = Array.from({ length: 200 }, () => randomTokenValue());
    expect(new Set(values).size).toBe(values.length);
    const characters = new Set(values.join(""));
    expect(characters.size).toBeGreaterThan(60);
  });

  it("generateClientSecret is at least 256 bits", () => {
    const secret = generateClientSecret();
    expect(Buffer.from(secret, "base64url").length).toBeGreaterThanOrEqual(32);
    expect(generateClientSecret()).not.toBe(secret);
  });
});
