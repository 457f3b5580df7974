// lib/oauth/idTokens.ts on its own: the claims a grant's scopes release, at_hash,
// and the signed token (header, protocol claims, lifetime, algorithm).
// The round trip through the authorization and token endpoints is in
// authorizationCodeGrant.test.ts. Row ids refer to shared/CONFORMANCE.md (section 7).
import { createHash } from "node:crypto";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createJwksEndpoint } from "@/lib/oauth/jwks";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import {
  DEFAULT_ID_TOKEN_LIFETIME,
  ID_TOKEN_CLAIMS_SUPPORTED,
  accessTokenHash,
  idTokenClaimsFor,
  issueIdToken,
  type IdTokenRequest,
} from "@/lib/oauth/idTokens";
import { ensureSigningKeys, KeyRing } from "@/lib/oauth/signingKeys";
import { InMemorySigningKeyStore, TEST_SECRET, authorizationScopes, makeClient, makeScope, makeUser, testConfig } from "./fakes";

const config = testConfig();
const encryption = new KeyEncryption(TEST_SECRET);
const keyStore = new InMemorySigningKeyStore();
let keys: KeyRing;
let jwks: ReturnType<typeof createLocalJWKSet>;
let publishedKids: Map<string, string>;

beforeAll(async () => {
  await ensureSigningKeys(keyStore, encryption);
  keys = new KeyRing(keyStore, encryption);
  const set = (await (await createJwksEndpoint(keys)(new Request(`${config.issuer}/.well-known/jwks.json`))).json()) as JSONWebKeySet;
  jwks = createLocalJWKSet(set);
  publishedKids = new Map(set.keys.map((key) => [key.alg!, key.kid!]));
});

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const user = makeUser({ id: "7c1f0e52-2f7e-4b8f-9c61-0a4d2e6b9f10", username: "alice", name: "Alice Example", email: "alice@example.com", emailVerified: true, updatedAt: new Date("2026-01-01T00:00:00Z") });
const scopeRecords = new Map(authorizationScopes().map((scope) => [scope.name, scope]));
const scopes = (...names: string[]) => names.map((name) => scopeRecords.get(name)!);

function request(overrides: Partial<IdTokenRequest> = {}): IdTokenRequest {
  return {
    client: makeClient({ clientId: "spa", clientType: "public" }),
    subject: user.id,
    nonce: "n-0S6_WzA2Mj",
    authTime: Math.floor(NOW / 1000) - 300,
    sessionId: "3b1d6c52-5b0e-4f0b-8f7e-2c9a1d4e6f80",
    amr: ["pwd"],
    claims: {},
    accessToken: "eyJhbGciOiJSUzI1NiJ9.access.token",
    now: NOW,
    ...overrides,
  };
}

async function verify(token: string, audience = "spa") {
  return jwtVerify(token, jwks, { issuer: config.issuer, audience, currentDate: new Date(NOW), algorithms: ["RS256", "ES256"] });
}

describe("issueIdToken", () => {
  it("IT-01 iss, sub, aud = client_id, iat, exp, auth_time, nonce, sid and amr; the signature verifies against the JWKS", async () => {
    const token = await issueIdToken({ config, keys }, request());
    const { payload } = await verify(token);
    expect(payload.iss).toBe(config.issuer);
    expect(payload.sub).toBe(user.id);
    expect(payload.aud).toBe("spa");
    expect(payload.iat).toBe(NOW / 1000);
    expect(payload.exp).toBe(NOW / 1000 + DEFAULT_ID_TOKEN_LIFETIME);
    expect(payload.auth_time).toBe(NOW / 1000 - 300);
    expect(payload.nonce).toBe("n-0S6_WzA2Mj");
    expect(payload.sid).toBe("3b1d6c52-5b0e-4f0b-8f7e-2c9a1d4e6f80");
    expect(payload.amr).toEqual(["pwd"]);
    expect(Object.keys(payload).sort()).toEqual(["amr", "at_hash", "aud", "auth_time", "exp", "iat", "iss", "nonce", "sid", "sub"]);
  });

  it("IT-02 signs with RS256 by default; the header has alg, the published kid and typ JWT", async () => {
    const token = await issueIdToken({ config, keys }, request());
    expect(decodeProtectedHeader(token)).toEqual({ alg: "RS256", kid: publishedKids.get("RS256"), typ: "JWT" });
  });

  it("signs with ES256 when the client registered idTokenSigningAlg ES256", async () => {
    const token = await issueIdToken({ config, keys }, request({ client: makeClient({ clientId: "spa", idTokenSigningAlg: "ES256" }) }));
    expect(decodeProtectedHeader(token)).toEqual({ alg: "ES256", kid: publishedKids.get("ES256"), typ: "JWT" });
    const { payload, protectedHeader } = await verify(token);
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload.at_hash).toBe(accessTokenHash(request().accessToken!, "ES256"));
  });

  it("the client's idTokenLifetime sets exp", async () => {
    const token = await issueIdToken({ config, keys }, request({ client: makeClient({ clientId: "spa", idTokenLifetime: 300 }) }));
    const { payload } = await verify(token);
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it("IT-04 at_hash is the left half of SHA-256 of the access token, base64url", async () => {
    const accessToken = "header.payload.signature-" + "x".repeat(40);
    const token = await issueIdToken({ config, keys }, request({ accessToken }));
    const { payload } = await verify(token);
    const expected = createHash("sha256").update(accessToken).digest().subarray(0, 16).toString("base64url");
    expect(payload.at_hash).toBe(expected);
    expect(payload.at_hash).toHaveLength(22);
  });

  it("AZ-13 no nonce in the request, no nonce claim; no access token, no at_hash; no amr values, no amr", async () => {
    const token = await issueIdToken({ config, keys }, request({ nonce: null, accessToken: undefined, amr: [] }));
    const { payload } = await verify(token);
    expect(payload).not.toHaveProperty("nonce");
    expect(payload).not.toHaveProperty("at_hash");
    expect(payload).not.toHaveProperty("amr");
  });

  it("adds the scope-released claims, but never lets them override a protocol claim", async () => {
    const token = await issueIdToken(
      { config, keys },
      request({ claims: { name: "Alice Example", email: "alice@example.com", sub: "someone-else", iss: "https://evil.example", aud: "x", nonce: "forged", empty: null } }),
    );
    const { payload } = await verify(token);
    expect(payload.name).toBe("Alice Example");
    expect(payload.email).toBe("alice@example.com");
    expect(payload.sub).toBe(user.id);
    expect(payload.iss).toBe(config.issuer);
    expect(payload.aud).toBe("spa");
    expect(payload.nonce).toBe("n-0S6_WzA2Mj");
    expect(payload).not.toHaveProperty("empty");
  });

  it("an ID token for another client does not verify with this client's audience", async () => {
    const token = await issueIdToken({ config, keys }, request({ client: makeClient({ clientId: "web-app" }) }));
    await expect(verify(token, "spa")).rejects.toThrow();
    await verify(token, "web-app");
  });
});

describe("accessTokenHash", () => {
  it("uses SHA-256 for RS256 and ES256 and keeps the left-most 128 bits", () => {
    const token = "jHkWEdUXMU1BwAsC4vtUsZwnNmGvk1Ia4ipL0aaisp8";
    const left = createHash("sha256").update(token, "ascii").digest().subarray(0, 16).toString("base64url");
    expect(accessTokenHash(token, "RS256")).toBe(left);
    expect(accessTokenHash(token, "ES256")).toBe(left);
    expect(left).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe("idTokenClaimsFor (IT-05 / AZ-15)", () => {
  it("openid alone releases no user claim (sub is the token's own)", () => {
    expect(idTokenClaimsFor(user, scopes("openid"))).toEqual({});
  });

  it("profile releases name, preferred_username and updated_at", () => {
    expect(idTokenClaimsFor(user, scopes("openid", "profile"))).toEqual({
      name: "Alice Example",
      preferred_username: "alice",
      updated_at: Date.UTC(2026, 0, 1) / 1000,
    });
  });

  it("email releases email and email_verified", () => {
    expect(idTokenClaimsFor(user, scopes("openid", "email"))).toEqual({ email: "alice@example.com", email_verified: true });
  });

  it("profile and email together; a scope without claims adds nothing", () => {
    expect(Object.keys(idTokenClaimsFor(user, scopes("openid", "profile", "email", "orders:read"))).sort()).toEqual([
      "email",
      "email_verified",
      "name",
      "preferred_username",
      "updated_at",
    ]);
  });

  it("never a claim without a value: no email, no email_verified; an empty name is left out", () => {
    const bare = makeUser({ email: null, name: "" });
    expect(idTokenClaimsFor(bare, scopes("openid", "profile", "email"))).toEqual({
      preferred_username: bare.username,
      updated_at: Math.floor(bare.updatedAt.getTime() / 1000),
    });
  });

  it("releases claims listed in the scope's claims, not only its access-token claims, and skips protocol claims and unknown ones", () => {
    const custom = makeScope("custom", [], { claims: ["preferred_username", "sub", "auth_time", "phone_number"], accessTokenClaims: [] });
    expect(idTokenClaimsFor(user, [custom])).toEqual({ preferred_username: "alice" });
  });

  it("every claim it can release is listed in ID_TOKEN_CLAIMS_SUPPORTED", () => {
    const released = Object.keys(idTokenClaimsFor(user, scopes("openid", "profile", "email")));
    for (const claim of [...released, "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "amr"]) {
      expect(ID_TOKEN_CLAIMS_SUPPORTED).toContain(claim);
    }
  });
});
