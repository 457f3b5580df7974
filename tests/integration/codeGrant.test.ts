// grant_type=authorization_code over real HTTP: codes obtained through the
// authorization endpoint with alice signed in (portal pages driven without
// JavaScript), redeemed at the token endpoint.
// CONFORMANCE.md sections 3 (TK-01..03, TK-06, TK-07, TK-09), 4 (PK-01..03, PK-07) and 11 (BCP-03).
// Runs on PostgreSQL (tests/helpers/integrationBackends.ts): the code store's single use,
// concurrent redemptions included, is unit-tested on both backends.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeJwt } from "jose";
import { DEMO_POSTMAN, DEMO_SPA, DEMO_USER, authorizeUrl, exchangeCode, newPkce, type Pkce } from "../helpers/codeFlow";
import {
  API_SCOPE,
  JWKS_PATH,
  TOKEN_PATH,
  basicAuthorization,
  expectOAuthError,
  postForm,
  verifyAccessToken,
  type TokenSuccess,
} from "../helpers/oauth";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { testBackend } from "../helpers/server";
import { sharedSeededServer } from "../helpers/sharedServer";

let suite: Awaited<ReturnType<typeof sharedSeededServer>>;
let base: string;
let tokenUrl: string;
let alice: string;

beforeAll(async () => {
  suite = await sharedSeededServer();
  base = suite.server.url;
  tokenUrl = base + TOKEN_PATH;
  const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
  expect(response.status).toBe(303);
  alice = cookie;
});
afterAll(async () => {
  await suite?.stop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ONE_YEAR = 365 * 24 * 3600;

type Client = { clientId: string; redirectUri: string; secret?: string };

interface Issued {
  code: string;
  pkce: Pkce;
  state: string;
}

/** A fresh code for alice and `client` (consent given on the way if needed). */
async function issueCode(client: Client = DEMO_SPA, scope = "profile api", { sendRedirectUri = true } = {}): Promise<Issued> {
  const pkce = newPkce();
  const state = randomBytes(8).toString("hex");
  const url = authorizeUrl(base, { clientId: client.clientId, redirectUri: sendRedirectUri ? client.redirectUri : undefined, scope, state, pkce });
  const callback = await completeAuthorization(base, alice, url);
  expect(`${callback.origin}${callback.pathname}`).toBe(client.redirectUri);
  expect(callback.searchParams.get("state")).toBe(state);
  const code = callback.searchParams.get("code");
  expect(code, callback.toString()).toBeTruthy();
  return { code: code!, pkce, state };
}

/** Checks a 200 token response (TK-01) and returns it with the verified access token claims. */
async function expectTokens(response: Response, scope: string) {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
  expect(response.headers.get("cache-control")).toMatch(/\bno-store\b/);
  const body = JSON.parse(text) as TokenSuccess;
  expect(body.token_type).toBe("Bearer");
  expect(body.access_token).toMatch(/^[\x20-\x7E]+$/);
  expect(Number.isInteger(body.expires_in)).toBe(true);
  expect(body.expires_in).toBeGreaterThan(0);
  expect(body.expires_in).toBeLessThan(ONE_YEAR);
  expect(body.scope).toBe(scope);
  const { payload } = await verifyAccessToken(body.access_token, base + JWKS_PATH, { issuer: base });
  expect(payload.scope).toBe(scope);
  return { body, claims: payload };
}

const subjects = new Set<string>();

describe("redeeming a code (TK-01, TK-02, PK-01)", () => {
  test("TK-01: postman with client_secret_basic gets an access token for alice: sub, scope, aud and preferred_username", async () => {
    const { code, pkce } = await issueCode(DEMO_POSTMAN, "profile api");
    const response = await exchangeCode(base, { ...DEMO_POSTMAN, code, verifier: pkce.verifier });
    const { claims } = await expectTokens(response, "profile api");
    expect(claims.sub).toMatch(UUID);
    expect(claims).toMatchObject({ client_id: "postman", aud: API_SCOPE.resource, preferred_username: DEMO_USER.username, iss: base });
    subjects.add(claims.sub!);
  });

  test("TK-02: postman with client_secret_post gets the same", async () => {
    const { code, pkce } = await issueCode(DEMO_POSTMAN, "api");
    const response = await postForm(tokenUrl, {
      body: {
        grant_type: "authorization_code",
        code,
        redirect_uri: DEMO_POSTMAN.redirectUri,
        code_verifier: pkce.verifier,
        client_id: DEMO_POSTMAN.clientId,
        client_secret: DEMO_POSTMAN.secret,
      },
    });
    const { claims } = await expectTokens(response, "api");
    expect(claims.sub).toMatch(UUID);
    expect(claims).toMatchObject({ client_id: "postman", aud: API_SCOPE.resource, preferred_username: DEMO_USER.username });
    subjects.add(claims.sub!);
  });

  test("PK-01: the public spa redeems with client_id alone and the right verifier", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "profile api");
    const response = await exchangeCode(base, { clientId: DEMO_SPA.clientId, code, verifier: pkce.verifier, redirectUri: DEMO_SPA.redirectUri });
    const { claims } = await expectTokens(response, "profile api");
    expect(claims).toMatchObject({ client_id: "spa", aud: API_SCOPE.resource, preferred_username: DEMO_USER.username });
    subjects.add(claims.sub!);
    // The same user behind every client.
    expect(subjects.size).toBe(1);
  });

  test("a scope without a resource gives a token without preferred_username", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "profile");
    const { claims } = await expectTokens(await exchangeCode(base, { ...DEMO_SPA, code, verifier: pkce.verifier }), "profile");
    expect(claims.preferred_username).toBeUndefined();
  });

  test("TK-06: without redirect_uri in the authorization request, the token request may omit it too", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "api", { sendRedirectUri: false });
    await expectTokens(await exchangeCode(base, { clientId: DEMO_SPA.clientId, code, verifier: pkce.verifier }), "api");
  });
});

const firstJtis: string[] = [];

describe("refusals (TK-03, TK-06, TK-07, PK-02, PK-03, PK-07)", () => {
  test("TK-03 / BCP-03: redeeming a code a second time gives invalid_grant", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "api");
    const first = await expectTokens(await exchangeCode(base, { ...DEMO_SPA, code, verifier: pkce.verifier }), "api");
    firstJtis.push(first.claims.jti!);
    const replay = await exchangeCode(base, { ...DEMO_SPA, code, verifier: pkce.verifier });
    await expectOAuthError(replay, { status: 400, error: "invalid_grant" });
  });

  test("an unknown code gives invalid_grant", async () => {
    const response = await exchangeCode(base, { ...DEMO_SPA, code: randomBytes(32).toString("base64url"), verifier: newPkce().verifier });
    await expectOAuthError(response, { status: 400, error: "invalid_grant" });
  });

  test("TK-06: a redirect_uri different from the authorization request's gives invalid_grant", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "api");
    const response = await exchangeCode(base, { clientId: DEMO_SPA.clientId, code, verifier: pkce.verifier, redirectUri: `${DEMO_SPA.redirectUri}/other` });
    await expectOAuthError(response, { status: 400, error: "invalid_grant", description: /redirect_uri/ });
  });

  test("TK-06: a missing redirect_uri (it was in the authorization request) gives invalid_grant or invalid_request", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "api");
    const response = await exchangeCode(base, { clientId: DEMO_SPA.clientId, code, verifier: pkce.verifier });
    await expectOAuthError(response, { status: 400, error: ["invalid_grant", "invalid_request"], description: /redirect_uri/ });
  });

  test("TK-07: a code issued to spa, redeemed by postman, gives invalid_grant", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "api");
    const response = await exchangeCode(base, { ...DEMO_POSTMAN, code, verifier: pkce.verifier });
    await expectOAuthError(response, { status: 400, error: "invalid_grant" });
  });

  test("PK-02: no code_verifier gives invalid_grant", async () => {
    const { code } = await issueCode(DEMO_SPA, "api");
    const response = await exchangeCode(base, { ...DEMO_SPA, code });
    await expectOAuthError(response, { status: 400, error: "invalid_grant", description: /code_verifier/ });
  });

  test("PK-03: a wrong code_verifier gives invalid_grant", async () => {
    const { code } = await issueCode(DEMO_SPA, "api");
    const response = await exchangeCode(base, { ...DEMO_SPA, code, verifier: newPkce().verifier });
    await expectOAuthError(response, { status: 400, error: "invalid_grant", description: /code_verifier/ });
  });

  test.each([
    ["42 characters", "a".repeat(42)],
    ["129 characters", "a".repeat(129)],
    ["a character outside the unreserved set", `${"a".repeat(42)}+`],
  ])("PK-07: a malformed code_verifier (%s) gives invalid_grant", async (_label, verifier) => {
    const { code } = await issueCode(DEMO_SPA, "api");
    const response = await exchangeCode(base, { ...DEMO_SPA, code, verifier });
    await expectOAuthError(response, { status: 400, error: "invalid_grant" });
  });

  test("PK-03: after a failed verifier the code is spent; the right verifier no longer works", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "api");
    await expectOAuthError(await exchangeCode(base, { ...DEMO_SPA, code, verifier: newPkce().verifier }), { status: 400, error: "invalid_grant" });
    await expectOAuthError(await exchangeCode(base, { ...DEMO_SPA, code, verifier: pkce.verifier }), { status: 400, error: "invalid_grant" });
  });

  test("CA: postman without its secret gives 401 invalid_client explaining public clients and PKCE", async () => {
    const { code, pkce } = await issueCode(DEMO_POSTMAN, "api");
    const response = await exchangeCode(base, { clientId: DEMO_POSTMAN.clientId, code, verifier: pkce.verifier, redirectUri: DEMO_POSTMAN.redirectUri });
    const body = await expectOAuthError(response, { status: 401, error: "invalid_client" });
    expect(body.error_description).toMatch(/public client/);
    expect(body.error_description).toMatch(/PKCE/);
    // The refusal did not spend the code: with the secret it still works.
    await expectTokens(await exchangeCode(base, { ...DEMO_POSTMAN, code, verifier: pkce.verifier }), "api");
  });

  test("CA: postman with a wrong secret gives 401 invalid_client with a Basic challenge", async () => {
    const { code, pkce } = await issueCode(DEMO_POSTMAN, "api");
    const response = await postForm(tokenUrl, {
      headers: { Authorization: basicAuthorization(DEMO_POSTMAN.clientId, "wrong-secret") },
      body: { grant_type: "authorization_code", code, redirect_uri: DEMO_POSTMAN.redirectUri, code_verifier: pkce.verifier },
    });
    await expectOAuthError(response, { status: 401, error: "invalid_client", wwwAuthenticate: /^Basic/ });
  });
});

describe.runIf(testBackend() === "postgres")("on PostgreSQL: what the database recorded", () => {
  test("TK-03 / BCP-03: the replay revoked the access token issued from the code", async () => {
    expect(firstJtis).toHaveLength(1);
    const rows = await queryStore<{ status: string; kind: string }>(suite.store, `SELECT "status", "kind" FROM "tokens" WHERE "jti" = $1`, [firstJtis[0]]);
    expect(rows).toEqual([{ status: "revoked", kind: "access_token" }]);
  });

  test("the sub of alice's access tokens is her user id", async () => {
    const rows = await queryStore<{ id: string }>(suite.store, `SELECT "id" FROM "users" WHERE "username" = $1`, [DEMO_USER.username]);
    expect(rows).toHaveLength(1);
    expect([...subjects]).toEqual([rows[0]!.id]);
  });
});

describe("concurrency and CORS", () => {
  test("TK-03: 20 concurrent redemptions of one code: exactly one 200, the rest 400 invalid_grant, no 5xx", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "api");
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => exchangeCode(base, { ...DEMO_SPA, code, verifier: pkce.verifier })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(19);
    for (const response of responses) {
      if (response.status === 400) await expectOAuthError(response, { status: 400, error: "invalid_grant" });
      else await expectTokens(response, "api");
    }
  });

  test("the token endpoint answers a CORS preflight from the SPA's redirect URI origin with 204 and that origin (never *)", async () => {
    const preflight = await fetch(tokenUrl, {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(preflight.headers.get("access-control-allow-methods")).toMatch(/POST/);
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
  });

  test("a cross-origin code redemption (the SPA) carries Access-Control-Allow-Origin, on success and on error", async () => {
    const { code, pkce } = await issueCode(DEMO_SPA, "api");
    const body = { grant_type: "authorization_code", code, code_verifier: pkce.verifier, redirect_uri: DEMO_SPA.redirectUri, client_id: DEMO_SPA.clientId };
    const headers = { Origin: "http://localhost:5173" };
    const ok = await postForm(tokenUrl, { headers, body });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    const replay = await postForm(tokenUrl, { headers, body });
    expect(replay.status).toBe(400);
    expect(replay.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(decodeJwt(((await ok.json()) as TokenSuccess).access_token).client_id).toBe("spa");
  });
});
