import { describe, expect, it } from "vitest";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import { TEST_SECRET } from "./fakes";

const PLAINTEXT = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

describe("KeyEncryption", () => {
  it("round-trips, and the sealed text does not contain the plaintext", () => {
    const encryption = new KeyEncryption(TEST_SECRET);
    const sealed = encryption.encrypt(PLAINTEXT, "kid-1");
    expect(sealed.startsWith("v1.")).toBe(true);
    expect(sealed).not.toContain("PRIVATE KEY");
    expect(encryption.decrypt(sealed, "kid-1")).toBe(PLAINTEXT);
  });

  it("a second instance with the same secret can decrypt (keys survive restarts)", () => {
    const sealed = new KeyEncryption(TEST_SECRET).encrypt(PLAINTEXT, "kid-1");
    expect(new KeyEncryption(TEST_SECRET).decrypt(sealed, "kid-1")).toBe(PLAINTEXT);
  });

  it("uses a fresh IV each time", () => {
    const encryption = new KeyEncryption(TEST_SECRET);
    expect(encryption.encrypt(PLAINTEXT, "kid-1")).not.toBe(encryption.encrypt(PLAINTEXT, "kid-1"));
  });

  it("a different secret fails with a message that names GATEHOUSE_SECRET and the kid", () => {
    const sealed = new KeyEncryption(TEST_SECRET).encrypt(PLAINTEXT, "kid-1");
    const other = new KeyEncryption(TEST_SECRET + "-changed");
    expect(() => other.decrypt(sealed, "kid-1")).toThrow(/kid-1.*GATEHOUSE_SECRET/);
  });

  it("the kid is associated data: a ciphertext moved onto another kid fails", () => {
    const encryption = new KeyEncryption(TEST_SECRET);
    const sealed = encryption.encrypt(PLAINTEXT, "kid-1");
    expect(() => encryption.decrypt(sealed, "kid-2")).toThrow(/kid-2/);
  });

  it("a tampered ciphertext or tag fails", () => {
    const encryption = new KeyEncryption(TEST_SECRET);
    const [version, iv, ciphertext, tag] = encryption.encrypt(PLAINTEXT, "kid-1").split(".") as [string, string, string, string];
    const flip = (text: string) => {
      const bytes = Buffer.from(text, "base64url");
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString("base64url");
    };
    expect(() => encryption.decrypt([version, iv, flip(ciphertext), tag].join("."), "kid-1")).toThrow();
    expect(() => encryption.decrypt([version, iv, ciphertext, flip(tag)].join("."), "kid-1")).toThrow();
    expect(() => encryption.decrypt([version, flip(iv), ciphertext, tag].join("."), "kid-1")).toThrow();
  });

  it("an unknown format is refused clearly", () => {
    const encryption = new KeyEncryption(TEST_SECRET);
    expect(() => encryption.decrypt("plain text", "kid-1")).toThrow(/unknown encryption format/);
    expect(() => encryption.decrypt("v2.a.b.c", "kid-1")).toThrow(/unknown encryption format/);
  });

  it("refuses a secret shorter than 32 characters", () => {
    expect(() => new KeyEncryption("x".repeat(31))).toThrow(/at least 32 characters/);
    expect(() => new KeyEncryption("")).toThrow(/GATEHOUSE_SECRET/);
    expect(() => new KeyEncryption("x".repeat(32))).not.toThrow();
  });
});
