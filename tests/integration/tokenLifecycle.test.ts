// What happens to an access token after the token endpoint: userinfo,
// introspection and revocation over real HTTP against the built server, with
// tokens obtained through the code flow (alice signed in through the portal
// pages) and client_credentials. Runs on PGlite and PostgreSQL
// (GATEHOUSE_TEST_BACKEND). CONFORMANCE.md sections 6 (UI-01..UI-04), 10
// (IR-01..IR-04, RV-01..RV-05), CC-05 and the userinfo part of TK-04.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeJwt } from "jose";
import { DEMO_POSTMAN, DEMO_SPA, DEMO_USER, authorizeUrl, exchangeCode, newPkce, type Pkce } from "../helpers/codeFlow";
import {
  OPENID_CONFIGURATION_PATH,
  basicAuthorization,
  expectOAuthError,
  getJson,
  postForm,
  postmanBasic,
  postmanToken,
  type TokenSuccess,
} from "../helpers/oauth";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { testBackend } from "../helpers/server";
import { sharedSeededServer } from "../helpers/sharedServer";

let suite: Awaited<ReturnType<typeof sharedSeededServer>>;
let base: string;
let alice: string;
let endpoints: { userinfo: string; revocation: string; introspection: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ERROR_CHARACTERS = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

beforeAll(async () => {
  suite = await sharedSeededServer();
  base = suite.server.url;
  const { body } = await getJson<Record<string, string>>(base + OPENID_CONFIGURATION_PATH);
  endpoints = { userinfo: body.userinfo_endpoint!, revocation: body.revocation_endpoint!, introspection: body.introspection_endpoint! };
  const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
  expect(response.status).toBe(303);
  alice = cookie;
});
afterAll(async () => {
  await suite?.stop();
});

type Client = { clientId: string; redirectUri: string; secret?: string };

/** A fresh authorization code for alice and `client` (consent given on the way if needed). */
async function issueCode(client: Client, scope: string): Promise<{ code: string; pkce: Pkce }> {
  const pkce = newPkce();
  const state = randomBytes(8).toString("hex");
  const url = authorizeUrl(base, { clientId: client.clientId, redirectUri: client.redirectUri, scope, state, pkce });
  const callback = await completeAuthorization(base, alice, url);
  const code = callback.searchParams.get("code");
  expect(code, callback.toString()).toBeTruthy();
  return { code: code!, pkce };
}

/** The code flow to the end: alice's tokens for `client`. */
async function userTokens(client: Client = DEMO_POSTMAN, scope = "openid profile email"): Promise<TokenSuccess> {
  const { code, pkce } = await issueCode(client, scope);
  const response = await exchangeCode(base, { ...client, code, verifier: pkce.verifier });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as TokenSuccess;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function userinfoGet(headers: Record<string, string> = {}, query = "") {
  return fetch(endpoints.userinfo + query, { headers });
}

type Credentials = { basic: [string, string] } | { clientId: string } | null;
const POSTMAN_AUTH: Credentials = { basic: [DEMO_POSTMAN.clientId, DEMO_POSTMAN.secret] };
const SPA_AUTH: Credentials = { clientId: DEMO_SPA.clientId };

/** A form POST to introspection or revocation as a client (Basic, client_id alone, or no authentication). */
function clientPost(url: string, body: Record<string, string>, as: Credentials = POSTMAN_AUTH) {
  const headers: Record<string, string> = {};
  const form = { ...body };
  if (as && "basic" in as) headers.Authorization = basicAuthorization(as.basic[0], as.basic[1]);
  if (as && "clientId" in as) form.client_id = as.clientId;
  return postForm(url, { headers, body: form });
}

async function introspect(token: string, extra: Record<string, string> = {}, as: Credentials = POSTMAN_AUTH) {
  const response = await clientPost(endpoints.introspection, { token, ...extra }, as);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
  expect(response.headers.get("cache-control")).toMatch(/\bno-store\b/);
  return { text, body: JSON.parse(text) as Record<string, unknown> };
}

async function expectInactive(token: string, extra: Record<string, string> = {}) {
  expect((await introspect(token, extra)).text).toBe('{"active":false}');
}

async function revoke(token: string, extra: Record<string, string> = {}, as: Credentials = POSTMAN_AUTH) {
  const response = await clientPost(endpoints.revocation, { token, ...extra }, as);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(text).toBe("");
  expect(response.headers.get("cache-control")).toMatch(/\bno-store\b/);
}

/** Attributes of a `WWW-Authenticate: Bearer …` challenge. */
function challenge(response: Response): Record<string, string> {
  const header = response.headers.get("www-authenticate") ?? "";
  expect(header, "WWW-Authenticate").toMatch(/^Bearer realm="gatehouse"/);
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]));
}

async function expectBearerError(response: Response, status: number, error: string) {
  const attributes = challenge(response);
  expect(attributes.error).toBe(error);
  expect(attributes.error_description).toMatch(ERROR_CHARACTERS);
  return expectOAuthError(response, { status, error });
}

async function expectClaims(response: Response) {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
  expect(response.headers.get("cache-control")).toMatch(/\bno-store\b/);
  return JSON.parse(text) as Record<string, unknown>;
}

describe("discovery names the three endpoints", () => {
  test("DISC-02: userinfo, revocation and introspection endpoints and their client authentication methods", async () => {
    const { body } = await getJson(base + OPENID_CONFIGURATION_PATH);
    expect(body).toMatchObject({
      userinfo_endpoint: `${base}/connect/userinfo`,
      revocation_endpoint: `${base}/connect/revoke`,
      introspection_endpoint: `${base}/connect/introspect`,
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    });
  });
});

describe("userinfo (UI-01..UI-04)", () => {
  let tokens: TokenSuccess;
  beforeAll(async () => {
    tokens = await userTokens(DEMO_POSTMAN, "openid profile email");
  });

  test("UI-01: GET with the Bearer header: sub equals the token's (and ID token's) sub; profile and email claims well-typed", async () => {
    const claims = await expectClaims(await userinfoGet(bearer(tokens.access_token)));
    const accessSub = decodeJwt(tokens.access_token).sub;
    expect(claims.sub).toMatch(UUID);
    expect(claims.sub).toBe(accessSub);
    if (tokens.id_token) expect(claims.sub).toBe(decodeJwt(tokens.id_token).sub);
    expect(claims).toMatchObject({ preferred_username: DEMO_USER.username, email: DEMO_USER.email, email_verified: true, name: "Alice Example" });
    expect(typeof claims.updated_at).toBe("number");
    expect(Number.isInteger(claims.updated_at)).toBe(true);
  });

  test("UI-02: POST with the Bearer header", async () => {
    const response = await fetch(endpoints.userinfo, { method: "POST", headers: bearer(tokens.access_token) });
    expect((await expectClaims(response)).sub).toBe(decodeJwt(tokens.access_token).sub);
  });

  test("UI-03: POST with access_token in the form body", async () => {
    const response = await postForm(endpoints.userinfo, { body: { access_token: tokens.access_token } });
    expect((await expectClaims(response)).email).toBe(DEMO_USER.email);
  });

  test("openid alone releases sub and nothing else (the spa, a public client)", async () => {
    const spaTokens = await userTokens(DEMO_SPA, "openid");
    expect(await expectClaims(await userinfoGet(bearer(spaTokens.access_token)))).toEqual({ sub: decodeJwt(spaTokens.access_token).sub });
  });

  test("UI-04: no token gives 401 with a bare Bearer challenge (no error attribute)", async () => {
    const response = await userinfoGet();
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse"');
    expect(await response.text()).toBe("");
  });

  test("UI-04: an invalid token gives 401 invalid_token", async () => {
    await expectBearerError(await userinfoGet(bearer("not-a-real-token")), 401, "invalid_token");
    const [header, payload] = tokens.access_token.split(".");
    await expectBearerError(await userinfoGet(bearer(`${header}.${payload}.AAAA`)), 401, "invalid_token");
  });

  test("UI-04: the token in the header and the query gives 400 invalid_request", async () => {
    await expectBearerError(await userinfoGet(bearer(tokens.access_token), `?access_token=${tokens.access_token}`), 400, "invalid_request");
  });

  test("UI-04: the token in the header and the form body gives 400 invalid_request", async () => {
    const response = await postForm(endpoints.userinfo, { headers: bearer(tokens.access_token), body: { access_token: tokens.access_token } });
    await expectBearerError(response, 400, "invalid_request");
  });

  test("UI-04: a malformed Authorization header gives 400", async () => {
    await expectBearerError(await userinfoGet({ Authorization: "Bearer" }), 400, "invalid_request");
    await expectBearerError(await userinfoGet({ Authorization: `Bearer ${tokens.access_token} extra` }), 400, "invalid_request");
  });

  test("UI-04: a token without the openid scope gives 403 insufficient_scope", async () => {
    const withoutOpenid = await userTokens(DEMO_POSTMAN, "profile api");
    const response = await userinfoGet(bearer(withoutOpenid.access_token));
    await expectBearerError(response, 403, "insufficient_scope");
  });

  test("a browser app can call userinfo: preflight 204, its client's origin on answers and challenges (never *)", async () => {
    const preflight = await fetch(endpoints.userinfo, {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    const spaTokens = await userTokens(DEMO_SPA, "openid");
    const ok = await userinfoGet({ ...bearer(spaTokens.access_token), Origin: "http://localhost:5173" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    // postman's token: its client registers no redirect URI at the SPA's origin.
    const postmans = await userinfoGet({ ...bearer(tokens.access_token), Origin: "http://localhost:5173" });
    expect(postmans.status).toBe(200);
    expect(postmans.headers.get("access-control-allow-origin")).toBeNull();
    const refused = await userinfoGet({ Origin: "http://localhost:5173" });
    expect(refused.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(refused.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/i);
  });
});

describe("introspection (IR-01..IR-04)", () => {
  test("IR-01: postman introspects alice's access token it was issued: active with the RFC 7662 members", async () => {
    const tokens = await userTokens(DEMO_POSTMAN, "openid profile api");
    const claims = decodeJwt(tokens.access_token);
    const { body } = await introspect(tokens.access_token);
    expect(body).toEqual({
      active: true,
      client_id: DEMO_POSTMAN.clientId,
      scope: "openid profile api",
      sub: claims.sub,
      iss: base,
      exp: claims.exp,
      iat: claims.iat,
      token_type: "Bearer",
      aud: claims.aud,
      jti: claims.jti,
    });
    expect(body.sub).toMatch(UUID);
  });

  test("IR-01: client_secret_post authenticates as well", async () => {
    const { access_token } = await postmanToken(base);
    const response = await postForm(endpoints.introspection, {
      body: { token: access_token, client_id: DEMO_POSTMAN.clientId, client_secret: DEMO_POSTMAN.secret },
    });
    expect(((await response.json()) as { active: boolean }).active).toBe(true);
  });

  test("CC-05: a client_credentials token shows sub = client_id, unlike any user's sub, and cannot be used at userinfo", async () => {
    const cc = await postmanToken(base, "api");
    const { body } = await introspect(cc.access_token);
    expect(body).toMatchObject({ active: true, client_id: DEMO_POSTMAN.clientId, sub: DEMO_POSTMAN.clientId, scope: "api", token_type: "Bearer" });
    expect(body.sub).not.toMatch(UUID);
    const user = await userTokens(DEMO_POSTMAN, "openid");
    expect(body.sub).not.toBe(decodeJwt(user.access_token).sub);
    const response = await userinfoGet(bearer(cc.access_token));
    const error = await expectBearerError(response, 401, "invalid_token");
    expect(error.error_description).toMatch(/client_credentials/);
  });

  test("IR-01 / RT-01: postman introspects its refresh token: active until rotated, then the new one is active and the old one not", async () => {
    const tokens = await userTokens(DEMO_POSTMAN, "openid profile offline_access");
    const { body } = await introspect(tokens.refresh_token!, { token_type_hint: "refresh_token" });
    expect(body).toMatchObject({ active: true, client_id: DEMO_POSTMAN.clientId, scope: "openid profile offline_access", token_type: "refresh_token", iss: base });
    expect(body.sub).toMatch(UUID);
    expect(body.exp as number).toBeGreaterThan(body.iat as number);
    expect(body).not.toHaveProperty("jti");

    const refreshed = await clientPost(base + "/connect/token", { grant_type: "refresh_token", refresh_token: tokens.refresh_token! });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as TokenSuccess;
    await expectInactive(tokens.refresh_token!);
    expect((await introspect(next.refresh_token!)).body.active).toBe(true);
  });

  test("IR-02: the spa's refresh token is inactive for postman (only its own client may see it)", async () => {
    const tokens = await userTokens(DEMO_SPA, "openid offline_access");
    expect(tokens.refresh_token).toBeTruthy();
    await expectInactive(tokens.refresh_token!);
  });

  test("IR-02: garbage and JWT-shaped garbage are exactly {\"active\":false}", async () => {
    await expectInactive("garbage");
    await expectInactive("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln");
  });

  test("IR-02: a revoked token is inactive", async () => {
    const { access_token } = await postmanToken(base);
    await revoke(access_token);
    await expectInactive(access_token);
  });

  test("IR-02: an authorization code (consumed or not) is not an active token", async () => {
    const { code, pkce } = await issueCode(DEMO_POSTMAN, "openid");
    await expectInactive(code);
    const response = await exchangeCode(base, { ...DEMO_POSTMAN, code, verifier: pkce.verifier });
    expect(response.status).toBe(200);
    await expectInactive(code);
  });

  test("IR-02: another client's token (the spa's) is inactive for postman", async () => {
    const spaTokens = await userTokens(DEMO_SPA, "openid profile");
    await expectInactive(spaTokens.access_token);
    // It is live all the same.
    await expectClaims(await userinfoGet(bearer(spaTokens.access_token)));
  });

  test("IR-02 / IR-03: a public client (the spa) cannot introspect at all: 401 invalid_client", async () => {
    const spaTokens = await userTokens(DEMO_SPA, "openid");
    const response = await clientPost(endpoints.introspection, { token: spaTokens.access_token }, SPA_AUTH);
    const error = await expectOAuthError(response, { status: 401, error: "invalid_client" });
    expect(error.error_description).toMatch(/public client/);
  });

  test("IR-03: no client authentication gives 401 invalid_client", async () => {
    const { access_token } = await postmanToken(base);
    await expectOAuthError(await clientPost(endpoints.introspection, { token: access_token }, null), { status: 401, error: "invalid_client" });
  });

  test("IR-03: a wrong secret gives 401 invalid_client with a Basic challenge", async () => {
    const { access_token } = await postmanToken(base);
    const response = await clientPost(endpoints.introspection, { token: access_token }, { basic: [DEMO_POSTMAN.clientId, "wrong-secret"] });
    await expectOAuthError(response, { status: 401, error: "invalid_client", wwwAuthenticate: /^Basic/ });
  });

  test("IR-03: a missing token parameter gives 400 invalid_request", async () => {
    await expectOAuthError(await clientPost(endpoints.introspection, {}), { status: 400, error: "invalid_request", description: /token/ });
  });

  test.each(["access_token", "refresh_token", "id_token", "something_else"])(
    "IR-04: token_type_hint=%s still finds the access token",
    async (hint) => {
      const { access_token } = await postmanToken(base);
      const { body } = await introspect(access_token, { token_type_hint: hint });
      expect(body).toMatchObject({ active: true, jti: decodeJwt(access_token).jti });
    },
  );
});

const revokedJtis: string[] = [];

describe("revocation (RV-01..RV-05)", () => {
  test.each([
    ["no hint", {}],
    ["the right hint", { token_type_hint: "access_token" }],
    ["the wrong hint", { token_type_hint: "refresh_token" }],
  ])("RV-01: revoking alice's access token with %s: 200 empty, then introspection inactive and userinfo 401", async (_label, hint) => {
    const tokens = await userTokens(DEMO_POSTMAN, "openid profile");
    await expectClaims(await userinfoGet(bearer(tokens.access_token)));
    expect((await introspect(tokens.access_token)).body.active).toBe(true);

    await revoke(tokens.access_token, hint);
    revokedJtis.push(decodeJwt(tokens.access_token).jti!);

    await expectInactive(tokens.access_token);
    const after = await expectBearerError(await userinfoGet(bearer(tokens.access_token)), 401, "invalid_token");
    expect(after.error_description).toMatch(/revoked/);
  });

  test("RV-01: the public spa revokes its own token with client_id alone", async () => {
    const tokens = await userTokens(DEMO_SPA, "openid");
    await expectClaims(await userinfoGet(bearer(tokens.access_token)));
    await revoke(tokens.access_token, {}, SPA_AUTH);
    await expectBearerError(await userinfoGet(bearer(tokens.access_token)), 401, "invalid_token");
  });

  test("RV-01: revoking twice answers 200 both times", async () => {
    const { access_token } = await postmanToken(base);
    await revoke(access_token);
    await revoke(access_token);
    await expectInactive(access_token);
  });

  test.each([
    ["postman", DEMO_POSTMAN, POSTMAN_AUTH],
    ["spa", DEMO_SPA, SPA_AUTH],
  ] as const)("RV-02: %s revokes its refresh token: 200, then the refresh grant is invalid_grant and the grant's access tokens are inactive", async (_label, client, as) => {
    const tokens = await userTokens(client, "openid profile offline_access");
    expect(tokens.refresh_token).toBeTruthy();
    await expectClaims(await userinfoGet(bearer(tokens.access_token)));

    await revoke(tokens.refresh_token!, { token_type_hint: "refresh_token" }, as);

    const refresh = await clientPost(base + "/connect/token", { grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, as);
    await expectOAuthError(refresh, { status: 400, error: "invalid_grant" });
    await expectBearerError(await userinfoGet(bearer(tokens.access_token)), 401, "invalid_token");
    await expectInactive(tokens.access_token);
  });

  test("RV-03: a garbage token gives 200", async () => {
    await revoke("garbage");
    await revoke("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln");
    await revoke(randomBytes(32).toString("base64url"), { token_type_hint: "refresh_token" });
  });

  test("RV-04: postman revoking the spa's token: 200, and the token stays active", async () => {
    const spaTokens = await userTokens(DEMO_SPA, "openid");
    await revoke(spaTokens.access_token);
    await expectClaims(await userinfoGet(bearer(spaTokens.access_token)));
  });

  test("RV-04: the spa revoking postman's token: 200, and the token stays active", async () => {
    const { access_token } = await postmanToken(base);
    await revoke(access_token, {}, SPA_AUTH);
    expect((await introspect(access_token)).body.active).toBe(true);
  });

  test("RV-05: a missing token gives 400 invalid_request", async () => {
    await expectOAuthError(await clientPost(endpoints.revocation, {}), { status: 400, error: "invalid_request", description: /token/ });
  });

  test("RV-05: bad client authentication gives 401 invalid_client and revokes nothing", async () => {
    const { access_token } = await postmanToken(base);
    const response = await clientPost(endpoints.revocation, { token: access_token }, { basic: [DEMO_POSTMAN.clientId, "wrong-secret"] });
    await expectOAuthError(response, { status: 401, error: "invalid_client", wwwAuthenticate: /^Basic/ });
    await expectOAuthError(await clientPost(endpoints.revocation, { token: access_token }, null), { status: 401, error: "invalid_client" });
    expect((await introspect(access_token)).body.active).toBe(true);
  });

  test("RV-05: an authorization code (a type that cannot be revoked) gives 400 unsupported_token_type; the code still works", async () => {
    const { code, pkce } = await issueCode(DEMO_POSTMAN, "openid");
    await expectOAuthError(await clientPost(endpoints.revocation, { token: code }), { status: 400, error: "unsupported_token_type" });
    const response = await exchangeCode(base, { ...DEMO_POSTMAN, code, verifier: pkce.verifier });
    expect(response.status).toBe(200);
  });

  test("a browser app can revoke: preflight 204 with Access-Control-Allow-Origin", async () => {
    const preflight = await fetch(endpoints.revocation, {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
  });

  test("GET on revocation and introspection is a JSON 405, never a 404 or 5xx", async () => {
    // Revocation also answers browser apps' CORS preflights (decision 0012).
    for (const [url, allow] of [[endpoints.revocation, "POST, OPTIONS"], [endpoints.introspection, "POST"]] as const) {
      const response = await fetch(url);
      expect(response.status, url).toBe(405);
      expect(response.headers.get("allow")).toBe(allow);
      await expectOAuthError(response, { status: 405, error: "invalid_request" });
    }
  });
});

describe("a replayed code (TK-04, userinfo part)", () => {
  test("TK-04: after the code is redeemed again, the first access token is refused at userinfo and inactive at introspection", async () => {
    const { code, pkce } = await issueCode(DEMO_POSTMAN, "openid profile");
    const first = await exchangeCode(base, { ...DEMO_POSTMAN, code, verifier: pkce.verifier });
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as TokenSuccess;
    await expectClaims(await userinfoGet(bearer(tokens.access_token)));
    expect((await introspect(tokens.access_token)).body.active).toBe(true);

    const replay = await exchangeCode(base, { ...DEMO_POSTMAN, code, verifier: pkce.verifier });
    await expectOAuthError(replay, { status: 400, error: "invalid_grant" });

    await expectBearerError(await userinfoGet(bearer(tokens.access_token)), 401, "invalid_token");
    await expectInactive(tokens.access_token);
    revokedJtis.push(decodeJwt(tokens.access_token).jti!);
  });
});

describe.runIf(testBackend() === "postgres")("on PostgreSQL: what the database recorded", () => {
  test("RV-01 / TK-04: the revoked access tokens' rows say revoked", async () => {
    expect(revokedJtis.length).toBeGreaterThanOrEqual(4);
    const rows = await queryStore<{ jti: string; status: string; kind: string }>(
      suite.store,
      `SELECT "jti", "status", "kind" FROM "tokens" WHERE "jti" = ANY($1::text[])`,
      [revokedJtis],
    );
    expect(rows).toHaveLength(revokedJtis.length);
    for (const row of rows) expect(row).toMatchObject({ status: "revoked", kind: "access_token" });
  });

  test("TK-04: a token whose grant root alone was revoked (the replay race) is refused although its own row says valid", async () => {
    const tokens = await userTokens(DEMO_POSTMAN, "openid");
    const jti = decodeJwt(tokens.access_token).jti!;
    await expectClaims(await userinfoGet(bearer(tokens.access_token)));
    // What a replay that ran before this token's row existed leaves behind: the code revoked, the token not.
    await queryStore(suite.store, `UPDATE "tokens" SET "status" = 'revoked' WHERE "id" = (SELECT "grant_id" FROM "tokens" WHERE "jti" = $1)`, [jti]);
    const rows = await queryStore<{ status: string }>(suite.store, `SELECT "status" FROM "tokens" WHERE "jti" = $1`, [jti]);
    expect(rows).toEqual([{ status: "valid" }]);
    await expectBearerError(await userinfoGet(bearer(tokens.access_token)), 401, "invalid_token");
    await expectInactive(tokens.access_token);
  });
});

test("the fast lane serves the three endpoints (security headers of lib/server/webBridge.ts)", async () => {
  for (const response of [await userinfoGet(), await fetch(endpoints.revocation), await fetch(endpoints.introspection)]) {
    await response.arrayBuffer();
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  }
  const response = await postForm(endpoints.introspection, { headers: { Authorization: postmanBasic() }, body: { token: "x" } });
  expect(await response.text()).toBe('{"active":false}');
});
