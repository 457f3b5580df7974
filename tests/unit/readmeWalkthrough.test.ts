// The README's "Try the flow" walkthrough must work when followed by hand: its
// authorization URL's code_challenge is the S256 of the verifier its curl sends
// (RFC 7636 §4.2, Appendix B). A wrong pair made the token request fail with invalid_grant.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { verifyS256 } from "@/lib/oauth/pkce";

const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");

describe("README walkthrough", () => {
  it("PK-01: the authorization URL's code_challenge is the S256 of the verifier the curl sends", () => {
    const authorize = /\/connect\/authorize\?[^\s`]*/.exec(readme)?.[0];
    expect(authorize).toBeDefined();
    const challenge = new URL(`http://localhost${authorize}`).searchParams.get("code_challenge");
    const verifier = /code_verifier=([A-Za-z0-9._~-]+)/.exec(readme)?.[1];
    expect(challenge).toBeTruthy();
    expect(verifier).toBeTruthy();
    expect(verifyS256(verifier!, challenge!)).toBe(true);
  });
});
