// lib/oauth/pkce.ts: S256 only (RFC 7636). Row ids refer to shared/CONFORMANCE.md.
import { describe, expect, it } from "vitest";
import { isValidCodeVerifier, isValidS256Challenge, s256Challenge, verifyS256 } from "@/lib/oauth/pkce";
import { randomTokenValue } from "@/lib/oauth/secrets";
import { PKCE } from "./fakes";

describe("pkce", () => {
  it("PK-01 computes the RFC 7636 Appendix B challenge", () => {
    expect(s256Challenge(PKCE.verifier)).toBe(PKCE.challenge);
    expect(verifyS256(PKCE.verifier, PKCE.challenge)).toBe(true);
  });

  it("PK-01 a fresh 256-bit verifier verifies against its own challenge", () => {
    const verifier = randomTokenValue(32);
    expect(isValidCodeVerifier(verifier)).toBe(true);
    const challenge = s256Challenge(verifier);
    expect(isValidS256Challenge(challenge)).toBe(true);
    expect(verifyS256(verifier, challenge)).toBe(true);
  });

  it("PK-03 another verifier does not verify", () => {
    expect(verifyS256(randomTokenValue(32), PKCE.challenge)).toBe(false);
    expect(verifyS256(PKCE.verifier.slice(0, -1) + "l", PKCE.challenge)).toBe(false);
  });

  it("PK-05 plain is not accepted: the verifier as its own challenge fails", () => {
    const verifier = "a".repeat(43);
    expect(verifyS256(verifier, verifier)).toBe(false);
  });

  it("PK-07 verifiers are 43 to 128 unreserved characters", () => {
    expect(isValidCodeVerifier("a".repeat(43))).toBe(true);
    expect(isValidCodeVerifier("A-z.0_9~".repeat(16))).toBe(true); // 128
    expect(isValidCodeVerifier("a".repeat(42))).toBe(false);
    expect(isValidCodeVerifier("a".repeat(129))).toBe(false);
    for (const bad of ["+", "/", "=", " ", "%", "é", "\n"]) {
      expect(isValidCodeVerifier("a".repeat(42) + bad), JSON.stringify(bad)).toBe(false);
    }
    expect(isValidCodeVerifier("")).toBe(false);
  });

  it("PK-07 an S256 challenge is exactly 43 base64url characters", () => {
    expect(isValidS256Challenge(PKCE.challenge)).toBe(true);
    expect(isValidS256Challenge(PKCE.challenge.slice(0, 42))).toBe(false);
    expect(isValidS256Challenge(PKCE.challenge + "A")).toBe(false);
    expect(isValidS256Challenge(PKCE.challenge.slice(0, 42) + "=")).toBe(false);
    expect(isValidS256Challenge("+" + PKCE.challenge.slice(1))).toBe(false);
    expect(isValidS256Challenge("/" + PKCE.challenge.slice(1))).toBe(false);
    expect(isValidS256Challenge("~" + PKCE.challenge.slice(1))).toBe(false);
    expect(isValidS256Challenge("")).toBe(false);
  });

  it("PK-07 malformed input is refused without throwing", () => {
    expect(verifyS256("short", PKCE.challenge)).toBe(false);
    expect(verifyS256(PKCE.verifier, "short")).toBe(false);
    expect(verifyS256(PKCE.verifier, PKCE.challenge + "AAAA")).toBe(false);
    expect(verifyS256("é".repeat(43), PKCE.challenge)).toBe(false);
    expect(verifyS256(PKCE.verifier, "é".repeat(43))).toBe(false);
    expect(verifyS256("", "")).toBe(false);
  });
});
