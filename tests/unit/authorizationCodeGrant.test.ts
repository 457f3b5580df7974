// grant_type=authorization_code at POST /connect/token (lib/oauth/grants/authorizationCode.ts),
// end to end from the authorization endpoint, the ID token it adds for openid
// (lib/oauth/idTokens.ts), and the access-token claims of lib/oauth/claims.ts.
// Row ids refer to shared/CONFORMANCE.md.
import { createHash } from "node:crypto";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { accessTokenClaimsFor, userClaimValue } from "@/lib/oauth/claims";
import { RegisteredOriginCache } from "@/lib/oauth/cors";
import { createJwksEndpoint } from "@/lib/oauth/jwks";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import { hashOpaqueValue } from "@/lib/oauth/secrets";
import { ensureSigningKeys, KeyRing } from "@/lib/oauth/signingKeys";
import {
  CODE_FLOW,
  InMemorySigningKeyStore,
  InMemoryTokenStore,
  ORDERS_API,
  PKCE,
  SPA_CALLBACK,
  TEST_SECRET,
  WEB_CALLBACK,
  WEB_SECRET,
  codeFrom,
  codeRequestParams,
  createAuthorizeFixture,
  makeClient,
  makeScope,
  makeUser,
  tokenRequest,
  tokenEndpointFor,
} from "./fakes";

const ISSUER = "https://id.example.test";
const TOKEN_CHARS = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

const encryption = new KeyEncryption(TEST_SECRET);
const keyStore = new InMemorySigningKeyStore();
let keys: KeyRing;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  await ensureSigningKeys(keyStore, encryption);
  keys = new KeyRing(keyStore, encryption);
  const response = await createJwksEndpoint(keys)(new Request(`${ISSUER}/.well-known/jwks.json`));
  jwks = createLocalJWKSet((await response.json()) as JSONWebKeySet);
});

/** A public client that asked for ES256-signed ID tokens (and a shorter lifetime). */
const ES_CALLBACK = "https://es-app.example.test/cb";
const esApp = () =>
  makeClient({
    clientId: "es-app",
    clientType: "public",
    consentType: "implicit",
    redirectUris: [ES_CALLBACK],
    permissions: [...CODE_FLOW, "scp:profile", "scp:email"],
    idTokenSigningAlg: "ES256",
    idTokenLifetime: 600,
  });

/** The authorization endpoint and the token endpoint over the same stores and clock. */
function setup() {
  const fx = createAuthorizeFixture({ extraClients: [esApp()] });
  const tokens = new InMemoryTokenStore({ codes: fx.codes });
  const token = tokenEndpointFor(fx, keys, {
    tokens,
    origins: new RegisteredOriginCache(fx.clients),
  });
  fx.signIn();
  return { ...fx, tokens, token };
}

type Setup = ReturnType<typeof setup>;

/** A code for the public, implicit-consent SPA. */
async function spaCode(s: Setup, overrides: Record<string, string | null> = {}): Promise<string> {
  return codeFrom(await s.get(codeRequestParams("spa", SPA_CALLBACK, overrides)));
}

/** A code for the confidential web app, whose consent is already on record. */
async function webCode(s: Setup, overrides: Record<string, string | null> = {}): Promise<string> {
  const row = await s.clientRow("web-app");
  await s.authorizations.savePermanentAuthorization(s.user.id, row.id, ["openid", "profile", "email", "orders:read"]);
  return codeFrom(await s.get(codeRequestParams("web-app", WEB_CALLBACK, overrides)));
}

const spaRedeem = (code: string, extra: Record<string, string> = {}) =>
  tokenRequest({ grant_type: "authorization_code", client_id: "spa", code, redirect_uri: SPA_CALLBACK, code_verifier: PKCE.verifier, ...extra });

const webRedeem = (code: string, extra: Record<string, string> = {}) =>
  tokenRequest({ grant_type: "authorization_code", code, redirect_uri: WEB_CALLBACK, code_verifier: PKCE.verifier, ...extra }, { basic: ["web-app", WEB_SECRET] });

/** TK-09: the shape of every token endpoint error. */
async function expectTokenError(response: Response, status: number, error: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("cache-control")).toBe("no-store");
  // No Origin, no CORS: and never "*" (docs/decisions/0012).
  expect(response.headers.get("access-control-allow-origin")).toBeNull();
  const body = (await response.json()) as Record<string, string>;
  expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
  expect(body.error).toBe(error);
  expect(body.error).toMatch(TOKEN_CHARS);
  expect(body.error_description).toMatch(TOKEN_CHARS);
  return body.error_description!;
}

async function expectTokens(response: Response) {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("cache-control")).toBe("no-store");
  const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number; scope?: string; id_token?: string };
  expect(body.token_type).toBe("Bearer");
  expect(body.expires_in).toBeGreaterThan(0);
  expect(body.expires_in).toBeLessThan(365 * 24 * 3600);
  return body;
}

async function verify(s: Setup, accessToken: string) {
  return jwtVerify(accessToken, jwks, { issuer: ISSUER, typ: "at+jwt", currentDate: new Date(s.clock.now()) });
}

describe("authorization_code grant: round trip", () => {
  it("PK-01 a public client redeems with client_id and the PKCE verifier; the JWT names the user", async () => {
    const s = setup();
    const code = await spaCode(s, { scope: "openid profile orders:read" });
    const body = await expectTokens(await s.token(spaRedeem(code)));
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "id_token", "scope", "token_type"]);
    expect(body.scope).toBe("openid profile orders:read");
    const { payload } = await verify(s, body.access_token);
    expect(payload.sub).toBe(s.user.id);
    expect(payload.client_id).toBe("spa");
    expect(payload.scope).toBe("openid profile orders:read");
    expect(payload.aud).toBe(ORDERS_API);
    expect(payload.preferred_username).toBe("alice");
    expect(payload).not.toHaveProperty("email");
    expect(payload).not.toHaveProperty("name");
    expect(payload.iat).toBe(Math.floor(s.clock.now() / 1000));
  });

  it("TK-01 a confidential client redeems with client_secret_basic; claims come from the granted scopes", async () => {
    const s = setup();
    const code = await webCode(s, { scope: "openid email orders:read" });
    const body = await expectTokens(await s.token(webRedeem(code)));
    const { payload } = await verify(s, body.access_token);
    expect(payload.sub).toBe(s.user.id);
    expect(payload.client_id).toBe("web-app");
    expect(payload.scope).toBe("openid email orders:read");
    expect(payload.aud).toBe(ORDERS_API);
    expect(payload.email).toBe("alice@example.com");
    expect(payload.email_verified).toBe(true);
    expect(payload).not.toHaveProperty("preferred_username");
  });

  it("TK-02 client_secret_post works as well", async () => {
    const s = setup();
    const code = await webCode(s);
    const response = await s.token(
      tokenRequest({ grant_type: "authorization_code", code, redirect_uri: WEB_CALLBACK, code_verifier: PKCE.verifier, client_id: "web-app", client_secret: WEB_SECRET }),
    );
    await expectTokens(response);
  });

  it("without a scope that names a resource, aud is the default audience", async () => {
    const s = setup();
    const body = await expectTokens(await s.token(spaRedeem(await spaCode(s, { scope: "openid" }))));
    const { payload } = await verify(s, body.access_token);
    expect(payload.aud).toBe(s.config.defaultAudience);
  });

  it("the access token is recorded with the code as its grant and the user's authorization", async () => {
    const s = setup();
    const code = await spaCode(s, { scope: "openid orders:read" });
    const stored = s.codes.codes.get(hashOpaqueValue(code))!;
    const body = await expectTokens(await s.token(spaRedeem(code)));
    const { payload } = await verify(s, body.access_token);
    expect(s.tokens.accessTokens).toHaveLength(1);
    expect(s.tokens.accessTokens[0]).toMatchObject({
      jti: payload.jti,
      subject: s.user.id,
      applicationId: (await s.clientRow("spa")).id,
      authorizationId: stored.authorizationId,
      grantId: stored.id,
      scopes: ["openid", "orders:read"],
      audiences: [ORDERS_API],
    });
  });

  it("claims a scope releases come from the user record at authorization time", async () => {
    const s = setup();
    const code = await spaCode(s, { scope: "openid profile" });
    s.user.username = "renamed-later";
    const { payload } = await verify(s, (await expectTokens(await s.token(spaRedeem(code)))).access_token);
    expect(payload.preferred_username).toBe("alice");
  });

  it("TK-06 without redirect_uri in the authorization request, the token request may omit it or repeat the registered one", async () => {
    const s = setup();
    const first = await spaCode(s, { redirect_uri: null });
    await expectTokens(await s.token(tokenRequest({ grant_type: "authorization_code", client_id: "spa", code: first, code_verifier: PKCE.verifier })));
    const second = await spaCode(s, { redirect_uri: null });
    await expectTokens(await s.token(spaRedeem(second)));
  });

  it("a code is valid until just before its expiry", async () => {
    const s = setup();
    const code = await spaCode(s);
    s.clock.advance(59);
    await expectTokens(await s.token(spaRedeem(code)));
  });
});

describe("authorization_code grant: ID tokens (OIDC Core §3.1.3)", () => {
  async function verifyIdToken(s: Setup, idToken: string | undefined, audience = "spa") {
    expect(idToken, "id_token in the token response").toBeTypeOf("string");
    return jwtVerify(idToken!, jwks, { issuer: ISSUER, audience, currentDate: new Date(s.clock.now()), algorithms: ["RS256", "ES256"] });
  }

  it("TK-01 / IT-01 scope openid: the response has an id_token with iss, aud, exp, iat, auth_time, nonce, sub, sid and amr, verified against the JWKS", async () => {
    const s = setup();
    s.clock.advance(-120);
    const session = s.signIn();
    s.clock.advance(120);
    const params = codeRequestParams("spa", SPA_CALLBACK, { scope: "openid" });
    const code = codeFrom(await s.get(params));
    const body = await expectTokens(await s.token(spaRedeem(code)));
    const { payload } = await verifyIdToken(s, body.id_token);
    const now = Math.floor(s.clock.now() / 1000);
    expect(payload.iss).toBe(ISSUER);
    expect(payload.aud).toBe("spa");
    expect(payload.iat).toBe(now);
    expect(payload.exp).toBe(now + 3600);
    expect(payload.auth_time).toBe(Math.floor(session.authTime.getTime() / 1000));
    expect(payload.auth_time).toBe(now - 120);
    expect(payload.nonce).toBe(params.nonce);
    expect(payload.sub).toBe(s.user.id);
    expect(payload.sid).toBe(session.sessionId);
    expect(payload.amr).toEqual(["pwd"]);
    // Same sub as the access token (UI-01 will compare it with userinfo's).
    expect(payload.sub).toBe((await verify(s, body.access_token)).payload.sub);
  });

  it("IT-02 the ID token is RS256 by default, with typ JWT and the kid of a published key", async () => {
    const s = setup();
    const body = await expectTokens(await s.token(spaRedeem(await spaCode(s))));
    const header = decodeProtectedHeader(body.id_token!);
    expect(header).toEqual({ alg: "RS256", kid: expect.any(String), typ: "JWT" });
    const published = (await keys.publicKeys()).keys.filter((key) => key.alg === "RS256").map((key) => key.kid);
    expect(published).toContain(header.kid);
    const { protectedHeader } = await verifyIdToken(s, body.id_token);
    expect(protectedHeader.alg).toBe("RS256");
  });

  it("IT-04 at_hash is the left half of SHA-256 of the access token in the same response", async () => {
    const s = setup();
    const body = await expectTokens(await s.token(spaRedeem(await spaCode(s, { scope: "openid orders:read" }))));
    const { payload } = await verifyIdToken(s, body.id_token);
    expect(payload.at_hash).toBe(createHash("sha256").update(body.access_token).digest().subarray(0, 16).toString("base64url"));
  });

  it("a client registered for ES256 gets an ES256 ID token with its own lifetime (the access token stays RS256)", async () => {
    const s = setup();
    const params = codeRequestParams("es-app", ES_CALLBACK, { scope: "openid profile" });
    const code = codeFrom(await s.get(params));
    const body = await expectTokens(
      await s.token(tokenRequest({ grant_type: "authorization_code", client_id: "es-app", code, redirect_uri: ES_CALLBACK, code_verifier: PKCE.verifier })),
    );
    const { payload, protectedHeader } = await verifyIdToken(s, body.id_token, "es-app");
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "JWT" });
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(payload.nonce).toBe(params.nonce);
    expect(payload.at_hash).toBe(createHash("sha256").update(body.access_token).digest().subarray(0, 16).toString("base64url"));
    expect(decodeProtectedHeader(body.access_token).alg).toBe("RS256");
  });

  it("AZ-13 without a nonce in the authorization request, the ID token has no nonce claim", async () => {
    const s = setup();
    const body = await expectTokens(await s.token(spaRedeem(await spaCode(s, { nonce: null }))));
    const { payload } = await verifyIdToken(s, body.id_token);
    expect(payload).not.toHaveProperty("nonce");
  });

  it("without the openid scope there is no id_token (an OAuth-only request)", async () => {
    const s = setup();
    const code = await spaCode(s, { scope: "profile orders:read" });
    expect(s.codes.codes.get(hashOpaqueValue(code))!.binding.idTokenClaims).toEqual({});
    const body = await expectTokens(await s.token(spaRedeem(code)));
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "scope", "token_type"]);
  });

  it("IT-05 / AZ-15 scope openid alone: only the protocol claims, no name, no email", async () => {
    const s = setup();
    const body = await expectTokens(await s.token(spaRedeem(await spaCode(s, { scope: "openid" }))));
    const { payload } = await verifyIdToken(s, body.id_token);
    expect(Object.keys(payload).sort()).toEqual(["amr", "at_hash", "aud", "auth_time", "exp", "iat", "iss", "nonce", "sid", "sub"]);
  });

  it("IT-05 / AZ-15 profile releases name, preferred_username and updated_at, and no email", async () => {
    const s = setup();
    const body = await expectTokens(await s.token(spaRedeem(await spaCode(s, { scope: "openid profile" }))));
    const { payload } = await verifyIdToken(s, body.id_token);
    expect(payload).toMatchObject({ name: "Alice Example", preferred_username: "alice", updated_at: Math.floor(s.user.updatedAt.getTime() / 1000) });
    expect(payload).not.toHaveProperty("email");
    expect(payload).not.toHaveProperty("email_verified");
  });

  it("IT-05 / AZ-15 email releases email and email_verified, and no profile claims", async () => {
    const s = setup();
    const body = await expectTokens(await s.token(webRedeem(await webCode(s, { scope: "openid email" }))));
    const { payload } = await verifyIdToken(s, body.id_token, "web-app");
    expect(payload).toMatchObject({ email: "alice@example.com", email_verified: true });
    for (const claim of ["name", "preferred_username", "updated_at"]) expect(payload).not.toHaveProperty(claim);
  });

  it("AZ-15 openid profile email: every released claim (the issue puts email in the ID token; the suite only warns)", async () => {
    const s = setup();
    const body = await expectTokens(await s.token(webRedeem(await webCode(s, { scope: "openid profile email" }))));
    const { payload } = await verifyIdToken(s, body.id_token, "web-app");
    expect(payload).toMatchObject({
      sub: s.user.id,
      aud: "web-app",
      name: "Alice Example",
      preferred_username: "alice",
      email: "alice@example.com",
      email_verified: true,
    });
  });

  it("never a claim without a value: a user without email or name gets neither with openid profile email", async () => {
    const s = setup();
    const bare = makeUser({ username: "nomail", name: "", email: null, emailVerified: false });
    s.users.users.set(bare.id, bare);
    s.signIn(bare);
    const body = await expectTokens(await s.token(spaRedeem(await spaCode(s, { scope: "openid profile email" }))));
    const { payload } = await verifyIdToken(s, body.id_token);
    expect(payload.sub).toBe(bare.id);
    expect(payload.preferred_username).toBe("nomail");
    for (const claim of ["name", "email", "email_verified"]) expect(payload).not.toHaveProperty(claim);
    for (const value of Object.values(payload)) expect(value).not.toBeNull();
  });

  it("user claims are fixed at authorization time, like the access token's", async () => {
    const s = setup();
    const code = await spaCode(s, { scope: "openid profile email" });
    expect(s.codes.codes.get(hashOpaqueValue(code))!.binding.idTokenClaims).toMatchObject({ name: "Alice Example", email: "alice@example.com" });
    s.user.name = "Renamed Later";
    const { payload } = await verifyIdToken(s, (await expectTokens(await s.token(spaRedeem(code)))).id_token);
    expect(payload.name).toBe("Alice Example");
  });

  it("a code recorded before ID tokens existed (no idTokenClaims in its binding) still gets an ID token", async () => {
    const s = setup();
    const code = await spaCode(s, { scope: "openid profile" });
    delete (s.codes.codes.get(hashOpaqueValue(code))!.binding as Partial<{ idTokenClaims: unknown }>).idTokenClaims;
    const { payload } = await verifyIdToken(s, (await expectTokens(await s.token(spaRedeem(code)))).id_token);
    expect(payload.sub).toBe(s.user.id);
    expect(payload).not.toHaveProperty("name");
  });

  it("one extra signature with openid, none without", async () => {
    const s = setup();
    const withOpenid = await spaCode(s, { scope: "openid" });
    const withoutOpenid = await spaCode(s, { scope: "orders:read" });
    const signingKey = vi.spyOn(keys, "signingKey");
    try {
      await expectTokens(await s.token(spaRedeem(withOpenid)));
      expect(signingKey).toHaveBeenCalledTimes(2);
      signingKey.mockClear();
      await expectTokens(await s.token(spaRedeem(withoutOpenid)));
      expect(signingKey).toHaveBeenCalledTimes(1);
    } finally {
      signingKey.mockRestore();
    }
  });

  it("TK-03 a replayed code gives no second ID token", async () => {
    const s = setup();
    const code = await spaCode(s);
    await expectTokens(await s.token(spaRedeem(code)));
    await expectTokenError(await s.token(spaRedeem(code)), 400, "invalid_grant");
  });
});

describe("authorization_code grant: refusals", () => {
  it("a missing code is invalid_request", async () => {
    const s = setup();
    await expectTokenError(await s.token(tokenRequest({ grant_type: "authorization_code", client_id: "spa", code_verifier: PKCE.verifier })), 400, "invalid_request");
  });

  it("an unknown code is invalid_grant", async () => {
    const s = setup();
    await expectTokenError(await s.token(spaRedeem("A".repeat(43))), 400, "invalid_grant");
  });

  it("TK-07 a code issued to another client is invalid_grant, and stays usable by its own client", async () => {
    const s = setup();
    const code = await spaCode(s);
    const other = tokenRequest(
      { grant_type: "authorization_code", code, redirect_uri: SPA_CALLBACK, code_verifier: PKCE.verifier },
      { basic: ["other-app", WEB_SECRET] },
    );
    await expectTokenError(await s.token(other), 400, "invalid_grant");
    expect(s.tokens.accessTokens).toHaveLength(0);
    await expectTokens(await s.token(spaRedeem(code)));
  });

  it("TK-05 an expired code is invalid_grant", async () => {
    const s = setup();
    const code = await spaCode(s);
    s.clock.advance(61);
    await expectTokenError(await s.token(spaRedeem(code)), 400, "invalid_grant");
    expect(s.tokens.accessTokens).toHaveLength(0);
  });

  it("TK-06 a redirect_uri different from the authorization request's is invalid_grant", async () => {
    const s = setup();
    const code = await spaCode(s);
    await expectTokenError(await s.token(spaRedeem(code, { redirect_uri: SPA_CALLBACK + "/other" })), 400, "invalid_grant");
  });

  it("TK-06 a missing redirect_uri, when the authorization request sent one, is invalid_grant", async () => {
    const s = setup();
    const code = await spaCode(s);
    const description = await expectTokenError(
      await s.token(tokenRequest({ grant_type: "authorization_code", client_id: "spa", code, code_verifier: PKCE.verifier })),
      400,
      "invalid_grant",
    );
    expect(description).toContain("redirect_uri");
  });

  it("PK-02 / BCP-04 a missing code_verifier is invalid_grant", async () => {
    const s = setup();
    const code = await spaCode(s);
    await expectTokenError(
      await s.token(tokenRequest({ grant_type: "authorization_code", client_id: "spa", code, redirect_uri: SPA_CALLBACK })),
      400,
      "invalid_grant",
    );
    expect(s.tokens.accessTokens).toHaveLength(0);
  });

  it("PK-03 a wrong code_verifier is invalid_grant", async () => {
    const s = setup();
    const code = await spaCode(s);
    await expectTokenError(await s.token(spaRedeem(code, { code_verifier: "x".repeat(43) })), 400, "invalid_grant");
  });

  it("PK-03 the challenge itself is not a valid verifier", async () => {
    const s = setup();
    const code = await spaCode(s);
    await expectTokenError(await s.token(spaRedeem(code, { code_verifier: PKCE.challenge })), 400, "invalid_grant");
  });

  it.each([
    ["42 characters", PKCE.verifier.slice(0, 42)],
    ["129 characters", PKCE.verifier + "a".repeat(129 - 43)],
    ["a forbidden character", PKCE.verifier.slice(0, 42) + "+"],
    ["a space", PKCE.verifier.slice(0, 21) + " " + PKCE.verifier.slice(22)],
  ])("PK-07 a malformed code_verifier (%s) is invalid_grant", async (_name, verifier) => {
    const s = setup();
    const code = await spaCode(s);
    await expectTokenError(await s.token(spaRedeem(code, { code_verifier: verifier })), 400, "invalid_grant");
  });

  it("TK-03 / BCP-03 a replayed code is invalid_grant and revokes the grant issued from it", async () => {
    const s = setup();
    const code = await spaCode(s);
    const stored = s.codes.codes.get(hashOpaqueValue(code))!;
    const revokeGrant = vi.spyOn(s.codes, "revokeGrant");
    await expectTokens(await s.token(spaRedeem(code)));
    expect(revokeGrant).not.toHaveBeenCalled();
    await expectTokenError(await s.token(spaRedeem(code)), 400, "invalid_grant");
    expect(revokeGrant).toHaveBeenCalledTimes(1);
    expect(revokeGrant).toHaveBeenCalledWith(stored.id);
    expect(s.tokens.accessTokens).toHaveLength(1);
    expect(s.tokens.accessTokens[0]!.grantId).toBe(stored.id);
  });

  it("BCP-03 a replay that revokes the grant while the first redemption is still issuing also catches that token", async () => {
    const s = setup();
    const code = await spaCode(s);
    const stored = s.codes.codes.get(hashOpaqueValue(code))!;
    // The concurrent replay lands between the redemption and the token's row being written.
    const record = s.tokens.recordIssuedTokens.bind(s.tokens);
    s.tokens.recordIssuedTokens = async (tokens) => {
      await s.token(spaRedeem(code));
      await record(tokens);
    };
    const revokeGrant = vi.spyOn(s.codes, "revokeGrant");
    await expectTokens(await s.token(spaRedeem(code)));
    // The replay revoked the grant; the winner's row, written after that, is written revoked.
    expect(revokeGrant.mock.calls).toEqual([[stored.id]]);
    expect(s.tokens.accessTokens.map((row) => [row.grantId, row.status])).toEqual([[stored.id, "revoked"]]);
  });

  it("TK-04 a code replayed after 30 s is still invalid_grant", async () => {
    const s = setup();
    const code = await spaCode(s);
    await expectTokens(await s.token(spaRedeem(code)));
    s.clock.advance(30);
    await expectTokenError(await s.token(spaRedeem(code)), 400, "invalid_grant");
    expect(s.codes.revokedGrants).toEqual([s.codes.codes.get(hashOpaqueValue(code))!.id]);
  });

  it("a code spent by a failed PKCE check cannot be redeemed afterwards", async () => {
    const s = setup();
    const code = await spaCode(s);
    await expectTokenError(await s.token(spaRedeem(code, { code_verifier: "y".repeat(43) })), 400, "invalid_grant");
    await expectTokenError(await s.token(spaRedeem(code)), 400, "invalid_grant");
    expect(s.tokens.accessTokens).toHaveLength(0);
  });

  it("a confidential client without its secret is invalid_client, pointing to public clients and PKCE", async () => {
    const s = setup();
    const code = await webCode(s);
    const description = await expectTokenError(
      await s.token(tokenRequest({ grant_type: "authorization_code", client_id: "web-app", code, redirect_uri: WEB_CALLBACK, code_verifier: PKCE.verifier })),
      401,
      "invalid_client",
    );
    expect(description).toMatch(/public client/);
    expect(description).toContain("PKCE");
  });

  it("CA-02 a confidential client with a wrong secret is 401 invalid_client with WWW-Authenticate", async () => {
    const s = setup();
    const code = await webCode(s);
    const response = await s.token(
      tokenRequest({ grant_type: "authorization_code", code, redirect_uri: WEB_CALLBACK, code_verifier: PKCE.verifier }, { basic: ["web-app", "wrong"] }),
    );
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic /);
    await expectTokenError(response, 401, "invalid_client");
  });

  it("CA-05 a public client that sends a secret is invalid_client", async () => {
    const s = setup();
    const code = await spaCode(s);
    await expectTokenError(await s.token(spaRedeem(code, { client_secret: "anything" })), 401, "invalid_client");
  });

  it("TK-08 a client without gt:authorization_code is unauthorized_client", async () => {
    const s = setup();
    const response = await s.token(
      tokenRequest({ grant_type: "authorization_code", code: "A".repeat(43), code_verifier: PKCE.verifier }, { basic: ["no-code-grant", WEB_SECRET] }),
    );
    await expectTokenError(response, 400, "unauthorized_client");
  });

  it("AZ-19 a repeated code parameter is invalid_request", async () => {
    const s = setup();
    const code = await spaCode(s);
    const body = new URLSearchParams({ grant_type: "authorization_code", client_id: "spa", code, code_verifier: PKCE.verifier });
    body.append("code", code);
    await expectTokenError(await s.token(tokenRequest(body.toString())), 400, "invalid_request");
  });
});

describe("token endpoint: CORS for browser apps (origins of registered redirect URIs only)", () => {
  const SPA_ORIGIN = new URL(SPA_CALLBACK).origin;
  const preflight = (s: Setup, origin: string) =>
    s.token(
      new Request(`${ISSUER}/connect/token`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
      }),
    );
  const withOrigin = (request: Request, origin: string) => {
    const headers = new Headers(request.headers);
    headers.set("Origin", origin);
    return new Request(request, { headers });
  };

  it("OPTIONS from a registered redirect URI's origin is a 204 preflight naming that origin, never *", async () => {
    const s = setup();
    const response = await preflight(s, SPA_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(SPA_ORIGIN);
    expect(response.headers.get("vary")).toMatch(/Origin/);
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
    expect(response.headers.get("access-control-max-age")).toMatch(/^\d+$/);
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("OPTIONS from an origin no client registered is refused without any Access-Control header", async () => {
    const s = setup();
    for (const origin of ["https://evil.example.test", "null", "https://spa.example.test.evil.test"]) {
      const response = await preflight(s, origin);
      expect(response.status).toBe(403);
      expect([...response.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
    }
  });

  it("the SPA's success and its refusals carry its origin; another origin gets no Access-Control-Allow-Origin", async () => {
    const s = setup();
    const ok = await s.token(withOrigin(spaRedeem(await spaCode(s)), SPA_ORIGIN));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(SPA_ORIGIN);
    expect(ok.headers.get("vary")).toMatch(/Origin/);
    const failed = await s.token(withOrigin(spaRedeem("A".repeat(43)), SPA_ORIGIN));
    expect(failed.status).toBe(400);
    expect(failed.headers.get("access-control-allow-origin")).toBe(SPA_ORIGIN);
    // The web app's own origin is registered, but not by the SPA: the SPA's answer is not readable there.
    const elsewhere = await s.token(withOrigin(spaRedeem(await spaCode(s)), new URL(WEB_CALLBACK).origin));
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.headers.get("access-control-allow-origin")).toBeNull();
    expect(elsewhere.headers.get("vary")).toMatch(/Origin/);
  });
});

describe("access-token claims (claims.ts)", () => {
  const user = makeUser({ id: "3f9a3c0e-1111-4222-8333-444455556666", username: "carol", name: "Carol", email: "carol@example.com", emailVerified: false, updatedAt: new Date("2026-02-03T04:05:06Z") });

  it("maps the standard claims of a user", () => {
    expect(userClaimValue(user, "sub")).toBe(user.id);
    expect(userClaimValue(user, "name")).toBe("Carol");
    expect(userClaimValue(user, "preferred_username")).toBe("carol");
    expect(userClaimValue(user, "email")).toBe("carol@example.com");
    expect(userClaimValue(user, "email_verified")).toBe(false);
    expect(userClaimValue(user, "updated_at")).toBe(Date.UTC(2026, 1, 3, 4, 5, 6) / 1000);
    expect(userClaimValue(user, "phone_number")).toBeUndefined();
  });

  it("omits claims without a value (no email, empty name)", () => {
    const bare = makeUser({ email: null, name: "" });
    expect(userClaimValue(bare, "email")).toBeUndefined();
    expect(userClaimValue(bare, "email_verified")).toBeUndefined();
    expect(userClaimValue(bare, "name")).toBeUndefined();
    const email = makeScope("email", [], { claims: ["email", "email_verified"], accessTokenClaims: ["email", "email_verified"] });
    expect(accessTokenClaimsFor(bare, [email])).toEqual({});
  });

  it("only claims a scope both releases and destines to access tokens, and never sub", () => {
    const scopes = [
      makeScope("profile", [], { claims: ["name", "preferred_username"], accessTokenClaims: ["preferred_username", "sub"] }),
      makeScope("email", [], { claims: ["email"], accessTokenClaims: ["email_verified"] }),
      makeScope("openid", [], { claims: ["sub"], accessTokenClaims: ["sub"] }),
    ];
    expect(accessTokenClaimsFor(user, scopes)).toEqual({ preferred_username: "carol" });
  });

  it("no scopes, no claims", () => {
    expect(accessTokenClaimsFor(user, [])).toEqual({});
  });
});
