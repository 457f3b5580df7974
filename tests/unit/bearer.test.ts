// lib/oauth/bearer.ts: what makes a presented access token live, and the
// key ring's verification keys behind it.
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { looksLikeJwt, validateAccessToken, type BearerDeps } from "@/lib/oauth/bearer";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import { ensureSigningKeys, generateSigningKey, KeyRing } from "@/lib/oauth/signingKeys";
import { VerifiedSignatureCache } from "@/lib/oauth/verifiedSignatures";
import { TEST_SECRET, InMemorySigningKeyStore, createTokenFixture, makeClient, type TokenFixture } from "./fakes";

let fx: TokenFixture;
let deps: BearerDeps;
const client = makeClient({ clientId: "web-app" });

beforeAll(async () => {
  fx = await createTokenFixture();
  deps = { config: fx.config, keys: fx.keys, tokens: fx.tokens, now: fx.clock.now };
});

const USER = "5b0f2a4c-9a53-4c8e-9a8e-2f1c3d4e5f60";

async function userToken(overrides: { scopes?: string[]; grantId?: string; client?: typeof client } = {}) {
  const grantId = overrides.grantId ?? crypto.randomUUID();
  return fx.issue({ client: overrides.client ?? client, subject: USER, scopes: overrides.scopes ?? ["openid", "profile"], grantId });
}

/** A JWT signed with the fixture's active key for `alg`, with any header and claims. */
async function craft(claims: Record<string, unknown>, header: Record<string, unknown> = {}, alg: "RS256" | "ES256" = "RS256") {
  const key = await fx.keys.signingKey(alg);
  return new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid, typ: "at+jwt", ...header }).sign(key.privateKey);
}

function liveClaims(jti: string) {
  const iat = Math.floor(fx.clock.now() / 1000);
  return { iss: fx.config.issuer, sub: USER, client_id: "web-app", jti, iat, exp: iat + 600, aud: fx.config.defaultAudience };
}

// Every rule holds whether signatures are verified on each use or remembered (lib/oauth/verifiedSignatures.ts).
describe.each([
  ["verifying every time", () => undefined],
  ["with verified signatures remembered", () => new VerifiedSignatureCache()],
])("validateAccessToken, %s", (_label, makeCache) => {
  beforeAll(() => {
    deps = { config: fx.config, keys: fx.keys, tokens: fx.tokens, now: fx.clock.now, verifiedSignatures: makeCache() };
  });

  it("a freshly issued user token is active, with its row, scopes and subject type", async () => {
    const issued = await userToken();
    const check = await validateAccessToken(deps, issued.accessToken);
    expect(check.active).toBe(true);
    if (!check.active) return;
    expect(check.token).toMatchObject({
      jti: issued.jti,
      subject: USER,
      subjectType: "user",
      clientId: "web-app",
      applicationId: client.id,
      scopes: ["openid", "profile"],
      audiences: [fx.config.defaultAudience],
      expiresAt: Math.floor(issued.expiresAt.getTime() / 1000),
    });
    expect(check.token.payload.iss).toBe(fx.config.issuer);
  });

  it("an ES256 access token verifies too", async () => {
    const es = makeClient({ clientId: "es-app", accessTokenSigningAlg: "ES256" });
    const issued = await fx.issue({ client: es, subject: USER, scopes: ["openid"], grantId: crypto.randomUUID() });
    const check = await validateAccessToken(deps, issued.accessToken);
    expect(check.active).toBe(true);
  });

  it("CC-05: a client_credentials token (no grant, subject = client_id) has subjectType client", async () => {
    const service = makeClient({ clientId: "service-a" });
    const issued = await fx.issue({ client: service, subject: "service-a", scopes: ["orders:read"] });
    const check = await validateAccessToken(deps, issued.accessToken);
    expect(check.active && check.token.subjectType).toBe("client");
    expect(check.active && check.token.subject).toBe("service-a");
  });

  it("is expired once exp has passed (no clock skew on our own tokens)", async () => {
    const issued = await userToken();
    const lifetime = issued.expiresIn;
    const start = fx.clock.ms;
    try {
      fx.clock.advance(lifetime - 1);
      expect((await validateAccessToken(deps, issued.accessToken)).active).toBe(true);
      fx.clock.advance(1);
      expect(await validateAccessToken(deps, issued.accessToken)).toMatchObject({ active: false, reason: "expired" });
    } finally {
      fx.clock.ms = start;
    }
  });

  it("is revoked when its row is revoked", async () => {
    const issued = await userToken();
    expect((await validateAccessToken(deps, issued.accessToken)).active).toBe(true);
    await fx.tokens.revokeToken(fx.tokens.byJti(issued.jti)!.id);
    expect(await validateAccessToken(deps, issued.accessToken)).toMatchObject({ active: false, reason: "revoked" });
  });

  it("TK-04: is revoked when its grant root (the code) was revoked, even though its own row still says valid", async () => {
    const code = fx.tokens.addOpaqueToken({ kind: "authorization_code", valueHash: "code-hash-1", applicationId: client.id, grantId: "self", status: "redeemed" });
    const issued = await userToken({ grantId: code.id });
    expect((await validateAccessToken(deps, issued.accessToken)).active).toBe(true);
    code.status = "revoked"; // what a replay does to the root first
    expect(fx.tokens.byJti(issued.jti)!.status).toBe("valid");
    expect(await validateAccessToken(deps, issued.accessToken)).toMatchObject({ active: false, reason: "revoked" });
  });

  it("is inactive while the client it was issued to is disabled, and live again once it is re-enabled", async () => {
    const issued = await userToken();
    fx.tokens.disabledApplications.add(client.id);
    try {
      const check = await validateAccessToken(deps, issued.accessToken);
      expect(check).toMatchObject({ active: false, reason: "revoked" });
      if (!check.active) expect(check.description).toMatch(/client that has been disabled/);
    } finally {
      fx.tokens.disabledApplications.delete(client.id);
    }
    expect((await validateAccessToken(deps, issued.accessToken)).active).toBe(true);
  });

  it("a redeemed status (not valid) is not live", async () => {
    const issued = await userToken();
    fx.tokens.byJti(issued.jti)!.status = "redeemed";
    expect(await validateAccessToken(deps, issued.accessToken)).toMatchObject({ active: false, reason: "revoked" });
  });

  it("a well-signed token without a row (or whose row names another subject) is unknown", async () => {
    const orphan = await craft(liveClaims(crypto.randomUUID()));
    expect(await validateAccessToken(deps, orphan)).toMatchObject({ active: false, reason: "unknown" });
    const issued = await userToken();
    fx.tokens.byJti(issued.jti)!.subject = "someone-else";
    expect(await validateAccessToken(deps, issued.accessToken)).toMatchObject({ active: false, reason: "unknown" });
  });

  it("a token signed by another server's keys is foreign", async () => {
    const other = await createTokenFixture({}, "another");
    const issued = await other.issue({ client, subject: USER, scopes: ["openid"], grantId: crypto.randomUUID() });
    expect(await validateAccessToken(deps, issued.accessToken)).toMatchObject({ active: false, reason: "foreign" });
  });

  it("a token from another issuer, signed with our key, is foreign", async () => {
    const token = await craft({ ...liveClaims(crypto.randomUUID()), iss: "https://evil.example.test" });
    expect(await validateAccessToken(deps, token)).toMatchObject({ active: false, reason: "foreign" });
  });

  it("a tampered payload does not verify", async () => {
    const issued = await userToken();
    expect((await validateAccessToken(deps, issued.accessToken)).active).toBe(true);
    const [header, payload, signature] = issued.accessToken.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    claims.scope = "openid profile email admin";
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    expect(await validateAccessToken(deps, forged)).toMatchObject({ active: false, reason: "foreign" });
  });

  it("an ID token or any JWT without typ at+jwt is not an access token", async () => {
    const issued = await userToken();
    const idTokenLike = await craft({ ...liveClaims(issued.jti) }, { typ: "JWT" });
    expect(await validateAccessToken(deps, idTokenLike)).toMatchObject({ active: false, reason: "malformed" });
    const noTyp = await craft({ ...liveClaims(issued.jti) }, { typ: undefined });
    expect(await validateAccessToken(deps, noTyp)).toMatchObject({ active: false, reason: "malformed" });
  });

  it("application/at+jwt is the same type (RFC 9068 §2.1)", async () => {
    const issued = await userToken();
    const token = await craft(liveClaims(issued.jti), { typ: "application/at+jwt" });
    expect((await validateAccessToken(deps, token)).active).toBe(true);
  });

  it("no algorithm substitution: a header alg that is not the kid's own key algorithm is refused", async () => {
    const rs = await fx.keys.signingKey("RS256");
    const es = await fx.keys.signingKey("ES256");
    const issued = await userToken();
    const token = await new SignJWT(liveClaims(issued.jti)).setProtectedHeader({ alg: "RS256", kid: es.kid, typ: "at+jwt" }).sign(rs.privateKey);
    expect(await validateAccessToken(deps, token)).toMatchObject({ active: false, reason: "foreign" });
  });

  it("alg none, a missing kid or missing claims are refused", async () => {
    const issued = await userToken();
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "none", typ: "at+jwt" })}.${encode(liveClaims(issued.jti))}.`;
    expect((await validateAccessToken(deps, unsigned)).active).toBe(false);
    const rs = await fx.keys.signingKey("RS256");
    const noKid = await new SignJWT(liveClaims(issued.jti)).setProtectedHeader({ alg: "RS256", typ: "at+jwt" }).sign(rs.privateKey);
    expect(await validateAccessToken(deps, noKid)).toMatchObject({ active: false, reason: "foreign" });
    const { jti: _jti, ...withoutJti } = liveClaims(issued.jti);
    expect(await validateAccessToken(deps, await craft(withoutJti))).toMatchObject({ active: false, reason: "malformed" });
    const { client_id: _cid, ...withoutClient } = liveClaims(issued.jti);
    expect(await validateAccessToken(deps, await craft(withoutClient))).toMatchObject({ active: false, reason: "malformed" });
  });

  it.each([
    ["an empty string", ""],
    ["an opaque value", "2YotnFZFEjr1zCsicMWpAA"],
    ["two segments", "abc.def"],
    ["non-base64url characters", "a.b+c.d"],
    ["8 KiB and more", `${"a".repeat(8192)}.b.c`],
  ])("%s is malformed and costs no database lookup", async (_label, value) => {
    const before = fx.tokens.lookups.length;
    expect(await validateAccessToken(deps, value)).toMatchObject({ active: false, reason: "malformed" });
    expect(fx.tokens.lookups.length).toBe(before);
  });

  it("every inactive answer carries a description fit for an error_description", async () => {
    const check = await validateAccessToken(deps, "garbage");
    expect(check.active).toBe(false);
    if (!check.active) expect(check.description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
  });

  it("a token store failure is thrown, not reported as an inactive token", async () => {
    const issued = await userToken();
    fx.tokens.failWith = new Error("database down");
    try {
      await expect(validateAccessToken(deps, issued.accessToken)).rejects.toThrow("database down");
    } finally {
      fx.tokens.failWith = null;
    }
  });

  it("looksLikeJwt accepts compact JWS only", () => {
    expect(looksLikeJwt("a.b.c")).toBe(true);
    expect(looksLikeJwt("a.b")).toBe(false);
    expect(looksLikeJwt("a.b.c.d.e")).toBe(false);
  });
});

describe("validateAccessToken with verified signatures remembered", () => {
  it("a token verified once is taken from the cache the next time: the same frozen claims", async () => {
    const cache = new VerifiedSignatureCache();
    const cached = { ...deps, verifiedSignatures: cache };
    const issued = await userToken();
    const first = await validateAccessToken(cached, issued.accessToken);
    expect(first.active).toBe(true);
    expect(cache.size).toBe(1);
    const second = await validateAccessToken(cached, issued.accessToken);
    expect(second.active && second.token.payload).toBe(cache.recall(issued.accessToken)!.payload);
    expect(Object.isFrozen(cache.recall(issued.accessToken)!.payload)).toBe(true);
  });

  it("only the exact token string is remembered: a changed signature or payload is verified anew and refused", async () => {
    const cache = new VerifiedSignatureCache();
    const cached = { ...deps, verifiedSignatures: cache };
    const issued = await userToken();
    expect((await validateAccessToken(cached, issued.accessToken)).active).toBe(true);
    const [header, payload, signature] = issued.accessToken.split(".");
    const otherSignature = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith("AA") ? "BA" : "AA"}`;
    expect(await validateAccessToken(cached, otherSignature)).toMatchObject({ active: false, reason: "foreign" });
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const otherPayload = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: "openid admin" })).toString("base64url")}.${signature}`;
    expect(await validateAccessToken(cached, otherPayload)).toMatchObject({ active: false, reason: "foreign" });
    expect(cache.size).toBe(1);
  });

  it("a remembered token is expired once its exp has passed", async () => {
    const cache = new VerifiedSignatureCache();
    const cached = { ...deps, verifiedSignatures: cache };
    const issued = await userToken();
    const start = fx.clock.ms;
    try {
      expect((await validateAccessToken(cached, issued.accessToken)).active).toBe(true);
      fx.clock.advance(issued.expiresIn);
      expect(await validateAccessToken(cached, issued.accessToken)).toMatchObject({ active: false, reason: "expired" });
    } finally {
      fx.clock.ms = start;
    }
  });

  it("a remembered token whose signing key left the ring is verified anew, and refused", async () => {
    const cache = new VerifiedSignatureCache();
    const removed = new Set<string>();
    const keys = { verificationKey: async (kid: string) => (removed.has(kid) ? null : fx.keys.verificationKey(kid)) };
    const cached = { ...deps, keys, verifiedSignatures: cache };
    const issued = await userToken();
    expect((await validateAccessToken(cached, issued.accessToken)).active).toBe(true);
    removed.add(cache.recall(issued.accessToken)!.kid);
    expect(await validateAccessToken(cached, issued.accessToken)).toMatchObject({ active: false, reason: "foreign" });
  });

  it("a remembered signature says nothing of the row: revoked or disabled is refused at once", async () => {
    const cache = new VerifiedSignatureCache();
    const cached = { ...deps, verifiedSignatures: cache };
    const issued = await userToken();
    expect((await validateAccessToken(cached, issued.accessToken)).active).toBe(true);
    fx.tokens.disabledApplications.add(client.id);
    try {
      expect(await validateAccessToken(cached, issued.accessToken)).toMatchObject({ active: false, reason: "revoked" });
    } finally {
      fx.tokens.disabledApplications.delete(client.id);
    }
    await fx.tokens.revokeToken(fx.tokens.byJti(issued.jti)!.id);
    expect(await validateAccessToken(cached, issued.accessToken)).toMatchObject({ active: false, reason: "revoked" });
  });

  it("refused tokens are not remembered, and the cache stays within its bound", async () => {
    const cache = new VerifiedSignatureCache(3);
    const cached = { ...deps, verifiedSignatures: cache };
    const forged = await craft({ ...liveClaims(crypto.randomUUID()), iss: "https://evil.example.test" });
    await validateAccessToken(cached, forged);
    expect(cache.size).toBe(0);
    for (let i = 0; i < 5; i++) await validateAccessToken(cached, (await userToken()).accessToken);
    expect(cache.size).toBe(3);
  });
});

describe("KeyRing.verificationKey", () => {
  const encryption = new KeyEncryption(TEST_SECRET);

  it("returns the public key of active and retiring keys, with their algorithm", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    const ring = new KeyRing(store, encryption);
    const retiring = store.keys.find((key) => key.alg === "ES256")!;
    store.setStatus(retiring.kid, "retiring");
    ring.invalidate();
    for (const stored of store.keys) {
      const key = await ring.verificationKey(stored.kid);
      expect(key).toMatchObject({ kid: stored.kid, alg: stored.alg });
      expect(key!.publicKey.type).toBe("public");
    }
  });

  it("an unknown kid reloads the ring once, so a key another instance just created verifies", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    const now = 1_000_000;
    const ring = new KeyRing(store, encryption, 60_000, () => now);
    await ring.publicKeys();
    const created = await generateSigningKey("ES256", encryption);
    await store.insertSigningKey(created);
    store.listCalls = 0;
    expect((await ring.verificationKey(created.kid))?.kid).toBe(created.kid);
    expect(store.listCalls).toBe(1);
    // Now known: no further reads.
    await ring.verificationKey(created.kid);
    expect(store.listCalls).toBe(1);
  });

  it("garbage kids cannot hammer the store: at most one reload per interval", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    let now = 1_000_000;
    const ring = new KeyRing(store, encryption, 60_000, () => now, 5_000);
    await ring.publicKeys();
    store.listCalls = 0;
    expect(await ring.verificationKey("nope-1")).toBeNull();
    expect(await ring.verificationKey("nope-2")).toBeNull();
    expect(await ring.verificationKey("nope-3")).toBeNull();
    expect(store.listCalls).toBe(1);
    now += 5_000;
    expect(await ring.verificationKey("nope-4")).toBeNull();
    expect(store.listCalls).toBe(2);
  });

  it("retired keys no longer verify", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    const ring = new KeyRing(store, encryption);
    const rs = store.keys.find((key) => key.alg === "RS256")!;
    expect(await ring.verificationKey(rs.kid)).not.toBeNull();
    store.setStatus(rs.kid, "retired");
    ring.invalidate();
    expect(await ring.verificationKey(rs.kid)).toBeNull();
  });
});
