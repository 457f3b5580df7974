// grant_type=refresh_token over real HTTP against the built server, with codes
// obtained through the code flow (alice signed in through the portal pages).
// Runs on PostgreSQL (tests/helpers/integrationBackends.ts): rotation, reuse and
// concurrent use of the refresh token store are unit-tested on both backends.
// CONFORMANCE.md section 3 "Refresh token" (RT-01..RT-05) and BCP-05.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { DEMO_POSTMAN, DEMO_SPA, DEMO_USER, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { JWKS_PATH, OPENID_CONFIGURATION_PATH, TOKEN_PATH, basicAuthorization, expectOAuthError, getJson, postForm, type TokenSuccess } from "../helpers/oauth";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { testBackend } from "../helpers/server";
import { sharedSeededServer } from "../helpers/sharedServer";

let suite: Awaited<ReturnType<typeof sharedSeededServer>>;
let base: string;
let alice: string;
let userinfoUrl: string;
let introspectionUrl: string;

beforeAll(async () => {
  suite = await sharedSeededServer();
  base = suite.server.url;
  const { body } = await getJson<Record<string, string>>(base + OPENID_CONFIGURATION_PATH);
  userinfoUrl = body.userinfo_endpoint!;
  introspectionUrl = body.introspection_endpoint!;
  const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
  expect(response.status).toBe(303);
  alice = cookie;
});
afterAll(async () => {
  await suite?.stop();
});

type Client = { clientId: string; redirectUri: string; secret?: string };
const CLIENTS: Array<[string, Client]> = [
  ["spa (public)", DEMO_SPA],
  ["postman (confidential)", DEMO_POSTMAN],
];

/** The code flow to the end: alice's tokens for `client` (prompt=consent, as RT-01 asks). */
async function userTokens(client: Client, scope = "openid profile api offline_access", nonce = randomBytes(8).toString("hex")): Promise<TokenSuccess> {
  const pkce = newPkce();
  const url = authorizeUrl(base, {
    clientId: client.clientId,
    redirectUri: client.redirectUri,
    scope,
    state: randomBytes(8).toString("hex"),
    pkce,
    extra: { nonce, prompt: "consent" },
  });
  const callback = await completeAuthorization(base, alice, url);
  const code = callback.searchParams.get("code");
  expect(code, callback.toString()).toBeTruthy();
  const response = await exchangeCode(base, { ...client, code: code!, verifier: pkce.verifier });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as TokenSuccess;
}

/** POST grant_type=refresh_token as `client` (Basic for postman, client_id alone for the spa). */
function refresh(client: Client, refreshToken: string, extra: Record<string, string> = {}): Promise<Response> {
  const body: Record<string, string> = { grant_type: "refresh_token", refresh_token: refreshToken, ...extra };
  const headers: Record<string, string> = {};
  if (client.secret) headers.Authorization = basicAuthorization(client.clientId, client.secret);
  else body.client_id = client.clientId;
  return postForm(base + TOKEN_PATH, { headers, body });
}

async function expectRefreshed(response: Response): Promise<TokenSuccess> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
  expect(response.headers.get("cache-control")).toMatch(/\bno-store\b/);
  const body = JSON.parse(text) as TokenSuccess;
  expect(body.token_type).toBe("Bearer");
  expect(body.refresh_token).toMatch(/^[\x20-\x7E]+$/);
  return body;
}

const verifyIdToken = (idToken: string, clientId: string) =>
  jwtVerify(idToken, createRemoteJWKSet(new URL(base + JWKS_PATH)), { issuer: base, audience: clientId });

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(userinfoUrl, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

async function introspectActive(token: string): Promise<boolean> {
  const response = await postForm(introspectionUrl, {
    headers: { Authorization: basicAuthorization(DEMO_POSTMAN.clientId, DEMO_POSTMAN.secret) },
    body: { token },
  });
  const body = (await response.json()) as { active: boolean };
  return body.active;
}

test("discovery lists refresh_token in grant_types_supported", async () => {
  const { body } = await getJson<{ grant_types_supported: string[] }>(base + OPENID_CONFIGURATION_PATH);
  expect(body.grant_types_supported).toContain("refresh_token");
});

describe.each(CLIENTS)("%s", (_label, client) => {
  test("without offline_access the code gives no refresh token", async () => {
    const tokens = await userTokens(client, "openid profile");
    expect(tokens).not.toHaveProperty("refresh_token");
  });

  test("RT-01: refresh sending scope, 1 s later: a new ID token with the same iss/sub/aud/auth_time, newer iat, no nonce", async () => {
    const nonce = randomBytes(8).toString("hex");
    const first = await userTokens(client, "openid profile api offline_access", nonce);
    expect(first.refresh_token).toMatch(/^[\x20-\x7E]+$/);
    const original = (await verifyIdToken(first.id_token!, client.clientId)).payload;
    expect(original.nonce).toBe(nonce);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const second = await expectRefreshed(await refresh(client, first.refresh_token!, { scope: "openid profile api offline_access" }));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe("openid profile api offline_access");
    const renewed = (await verifyIdToken(second.id_token!, client.clientId)).payload;
    expect(renewed.iss).toBe(original.iss);
    expect(renewed.sub).toBe(original.sub);
    expect(renewed.aud).toBe(original.aud);
    expect(renewed.azp).toBe(original.azp);
    expect(renewed.auth_time).toBe(original.auth_time);
    expect(renewed.iat).toBeGreaterThan(original.iat!);
    expect(renewed).not.toHaveProperty("nonce");
    expect(decodeJwt(second.access_token).sub).toBe(original.sub);
    expect(await userinfoStatus(second.access_token)).toBe(200);
  });

  test("RT-02: another client's refresh token is invalid_grant", async () => {
    const other = client === DEMO_SPA ? DEMO_POSTMAN : DEMO_SPA;
    const tokens = await userTokens(other);
    await expectOAuthError(await refresh(client, tokens.refresh_token!), { status: 400, error: "invalid_grant" });
    // The owner can still use it.
    await expectRefreshed(await refresh(other, tokens.refresh_token!));
  });

  test("RT-03: wider scope is invalid_scope; narrower is fine; without openid there is no id_token", async () => {
    const tokens = await userTokens(client, "openid profile api offline_access");
    await expectOAuthError(await refresh(client, tokens.refresh_token!, { scope: "openid profile api offline_access email" }), {
      status: 400,
      error: "invalid_scope",
    });
    // The refused request left the token usable.
    const narrowed = await expectRefreshed(await refresh(client, tokens.refresh_token!, { scope: "api" }));
    expect(narrowed.scope).toBe("api");
    expect(narrowed).not.toHaveProperty("id_token");
    expect(decodeJwt(narrowed.access_token).scope).toBe("api");
    const withOpenid = await expectRefreshed(await refresh(client, narrowed.refresh_token!, { scope: "openid" }));
    expect(withOpenid.id_token).toBeDefined();
  });

  test("RT-04 / BCP-05: replaying the old token is invalid_grant and revokes the grant (new refresh token and its access tokens too)", async () => {
    const first = await userTokens(client);
    const second = await expectRefreshed(await refresh(client, first.refresh_token!));
    const third = await expectRefreshed(await refresh(client, second.refresh_token!));
    expect(await userinfoStatus(third.access_token)).toBe(200);

    await expectOAuthError(await refresh(client, first.refresh_token!), { status: 400, error: "invalid_grant" });

    await expectOAuthError(await refresh(client, third.refresh_token!), { status: 400, error: "invalid_grant" });
    for (const accessToken of [first.access_token, second.access_token, third.access_token]) {
      expect(await userinfoStatus(accessToken)).toBe(401);
      expect(await introspectActive(accessToken)).toBe(false);
    }
  });

  test("RT-05: an unknown or revoked refresh token is invalid_grant", async () => {
    await expectOAuthError(await refresh(client, randomBytes(32).toString("base64url")), { status: 400, error: "invalid_grant" });
    const tokens = await userTokens(client);
    const revocation = new URLSearchParams({ token: tokens.refresh_token! });
    const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
    if (client.secret) headers.Authorization = basicAuthorization(client.clientId, client.secret);
    else revocation.set("client_id", client.clientId);
    const revoked = await fetch(base + "/connect/revoke", { method: "POST", headers, body: revocation });
    expect(revoked.status).toBe(200);
    await expectOAuthError(await refresh(client, tokens.refresh_token!), { status: 400, error: "invalid_grant" });
  });

  test("five concurrent uses of one refresh token: exactly one 200, the rest invalid_grant", async () => {
    const tokens = await userTokens(client);
    const responses = await Promise.all(Array.from({ length: 5 }, () => refresh(client, tokens.refresh_token!)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200), statuses.join()).toHaveLength(1);
    for (const response of responses) {
      if (response.status === 200) await response.arrayBuffer();
      else await expectOAuthError(response, { status: 400, error: "invalid_grant" });
    }
  });
});

describe.runIf(testBackend() === "postgres")("on PostgreSQL: what the database recorded", () => {
  test("the refresh token is stored only as its SHA-256, with the code's grant, and rotation leaves the old row redeemed", async () => {
    const first = await userTokens(DEMO_POSTMAN);
    const hash = (value: string) => import("node:crypto").then(({ createHash }) => createHash("sha256").update(value).digest("base64url"));
    const rows = await queryStore<{ kind: string; status: string; grant_id: string; payload: Record<string, unknown>; code_kind: string; expires_at: Date; created_at: Date }>(
      suite.store,
      `SELECT t."kind", t."status", t."grant_id", t."payload", g."kind" AS "code_kind", t."expires_at", t."created_at"
         FROM "tokens" t JOIN "tokens" g ON g."id" = t."grant_id" WHERE t."value_hash" = $1`,
      [await hash(first.refresh_token!)],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "refresh_token", status: "valid", code_kind: "authorization_code" });
    expect(JSON.stringify(rows[0]!.payload)).not.toContain("nonce");
    expect(rows[0]!.payload).toHaveProperty("authTime");
    const days = (rows[0]!.expires_at.getTime() - rows[0]!.created_at.getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(14);
    const leaked = await queryStore(suite.store, `SELECT 1 FROM "tokens" WHERE "payload"::text LIKE $1 OR "value_hash" = $2`, [
      `%${first.refresh_token}%`,
      first.refresh_token,
    ]);
    expect(leaked).toHaveLength(0);

    const second = await expectRefreshed(await refresh(DEMO_POSTMAN, first.refresh_token!));
    const after = await queryStore<{ status: string; grant_id: string }>(
      suite.store,
      `SELECT "status", "grant_id" FROM "tokens" WHERE "value_hash" = ANY($1::text[]) ORDER BY "created_at"`,
      [[await hash(first.refresh_token!), await hash(second.refresh_token!)]],
    );
    expect(after.map((row) => row.status)).toEqual(["redeemed", "valid"]);
    expect(after[1]!.grant_id).toBe(rows[0]!.grant_id);
  });

  test("RT-05: an expired refresh token is invalid_grant", async () => {
    const tokens = await userTokens(DEMO_SPA);
    const hash = (await import("node:crypto")).createHash("sha256").update(tokens.refresh_token!).digest("base64url");
    await queryStore(suite.store, `UPDATE "tokens" SET "expires_at" = now() - interval '1 second' WHERE "value_hash" = $1`, [hash]);
    await expectOAuthError(await refresh(DEMO_SPA, tokens.refresh_token!), { status: 400, error: "invalid_grant" });
  });

  test("withdrawn consent is invalid_grant", async () => {
    const tokens = await userTokens(DEMO_SPA);
    const hash = (await import("node:crypto")).createHash("sha256").update(tokens.refresh_token!).digest("base64url");
    await queryStore(suite.store, `UPDATE "authorizations" SET "status" = 'revoked' WHERE "id" = (SELECT "authorization_id" FROM "tokens" WHERE "value_hash" = $1)`, [hash]);
    await expectOAuthError(await refresh(DEMO_SPA, tokens.refresh_token!), { status: 400, error: "invalid_grant" });
  });
});
