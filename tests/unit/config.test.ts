import { describe, expect, it } from "vitest";
import { ENDPOINT_PATHS, endpointUrl, validateIssuer } from "@/lib/oauth/config";

describe("validateIssuer", () => {
  it.each([
    "https://id.example.com",
    "https://id.example.com/tenant-a",
    "https://id.example.com:8443",
    "http://localhost:3000",
    "http://127.0.0.1:3000",
    "http://[::1]:3000",
  ])("DISC-01 accepts %s unchanged", (issuer) => {
    expect(validateIssuer(issuer)).toBe(issuer);
  });

  it.each([
    ["http on a public host", "http://id.example.com"],
    ["http on a host that merely starts with localhost", "http://localhost.example.com"],
    ["another scheme", "ftp://id.example.com"],
  ])("DISC-01 requires https except on loopback: refuses %s", (_label, issuer) => {
    expect(() => validateIssuer(issuer)).toThrow(/https/);
  });

  it.each(["https://id.example.com?tenant=a", "https://id.example.com/#frag", "https://id.example.com?", "https://id.example.com#"])(
    "DISC-01 refuses a query or fragment: %s",
    (issuer) => {
      expect(() => validateIssuer(issuer)).toThrow(/query or fragment/);
    },
  );

  it("refuses something that is not an absolute URL", () => {
    expect(() => validateIssuer("id.example.com")).toThrow(/absolute URL/);
    expect(() => validateIssuer("")).toThrow(/absolute URL/);
  });

  it("normalises away trailing slashes", () => {
    expect(validateIssuer("https://id.example.com/")).toBe("https://id.example.com");
    expect(validateIssuer("https://id.example.com/tenant/")).toBe("https://id.example.com/tenant");
    expect(validateIssuer("http://localhost:3000//")).toBe("http://localhost:3000");
  });
});

describe("endpointUrl", () => {
  it("appends the path to the issuer, keeping an issuer path", () => {
    expect(endpointUrl({ issuer: "https://id.example.com" }, ENDPOINT_PATHS.token)).toBe("https://id.example.com/connect/token");
    expect(endpointUrl({ issuer: "https://id.example.com/t/" }, ENDPOINT_PATHS.jwks)).toBe(
      "https://id.example.com/t/.well-known/jwks.json",
    );
  });
});
