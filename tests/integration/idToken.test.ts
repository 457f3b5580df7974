// OpenID Connect ID tokens over real HTTP against the built server: the code
// flow with the openid scope, alice signed in through the portal pages, the
// id_token verified against the jwks_uri the discovery document names.
// CONFORMANCE.md sections 3 (TK-01), 7 (IT-01, IT-02, IT-04, IT-05), 8 (SE-02,
// SE-03, SE-04), AZ-13 and AZ-15; on PostgreSQL also the session row behind sid and auth_time.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import { DEMO_POSTMAN, DEMO_SPA, DEMO_USER, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { JWKS_PATH, OPENID_CONFIGURATION_PATH, fetchJwks, getJson, verifyAccessToken, type TokenSuccess } from "../helpers/oauth";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { startSeededServer, testBackend, TEST_ADMIN_PASSWORD } from "../helpers/server";

let suite: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;
let jwksUri: string;
let jwks: ReturnType<typeof createRemoteJWKSet>;
/** alice's first session, and the window (epoch seconds) in which she signed in. */
let alice: string;
let signedIn: { from: number; to: number };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const seconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  suite = await startSeededServer();
  base = suite.server.url;
  const { body: metadata } = await getJson<{ jwks_uri: string }>(base + OPENID_CONFIGURATION_PATH);
  jwksUri = metadata.jwks_uri;
  jwks = createRemoteJWKSet(new URL(jwksUri), { cacheMaxAge: 0, cooldownDuration: 0 });
  const from = seconds();
  const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
  expect(response.status).toBe(303);
  signedIn = { from, to: seconds() };
  alice = cookie;
});
afterAll(async () => {
  await suite?.stop();
});

type Client = { clientId: string; redirectUri: string; secret?: string };

interface Flow {
  body: TokenSuccess;
  nonce: string | null;
}

/** Runs the code flow for alice (consent given on the way if needed) and redeems the code. */
async function codeFlow(client: Client, scope: string, { cookie = alice, nonce = `nonce-${randomBytes(8).toString("hex")}` as string | null, extra = {} as Record<string, string> } = {}): Promise<Flow> {
  const pkce = newPkce();
  const state = randomBytes(8).toString("hex");
  const url = authorizeUrl(base, { clientId: client.clientId, redirectUri: client.redirectUri, scope, state, pkce, extra: { ...(nonce ? { nonce } : {}), ...extra } });
  const callback = await completeAuthorization(base, cookie, url);
  return { body: await redeem(client, callback, state, pkce.verifier), nonce };
}

async function redeem(client: Client, callback: URL, state: string, verifier: string): Promise<TokenSuccess> {
  expect(`${callback.origin}${callback.pathname}`, callback.toString()).toBe(client.redirectUri);
  expect(callback.searchParams.get("state")).toBe(state);
  const code = callback.searchParams.get("code");
  expect(code, callback.toString()).toBeTruthy();
  const response = await exchangeCode(base, { ...client, code: code!, verifier });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("cache-control")).toMatch(/\bno-store\b/);
  return JSON.parse(text) as TokenSuccess;
}

/** IT-01 / IT-02 / IT-04: every check a relying party makes on an ID token. Returns its claims. */
async function expectIdToken(flow: Flow, clientId: string): Promise<JWTPayload> {
  const { body, nonce } = flow;
  expect(body.id_token, "id_token in the token response (TK-01)").toBeTypeOf("string");
  const { payload, protectedHeader } = await jwtVerify(body.id_token!, jwks, { issuer: base, audience: clientId, algorithms: ["RS256", "ES256"] });
  // IT-02: RS256 by default, with the kid of a key jwks_uri publishes.
  expect(protectedHeader).toMatchObject({ alg: "RS256", typ: "JWT" });
  const published = (await fetchJwks(base)).keys.map((key) => key.kid);
  expect(published).toContain(protectedHeader.kid);
  // IT-01
  const now = seconds();
  expect(payload.iss).toBe(base);
  expect(payload.aud).toBe(clientId);
  expect(payload.sub).toMatch(UUID);
  expect(payload.exp!).toBeGreaterThan(now - 300);
  expect(payload.exp!).toBeLessThan(now + 50 * 365 * 24 * 3600);
  expect(Math.abs(payload.iat! - now)).toBeLessThanOrEqual(300);
  expect(payload.auth_time).toBeTypeOf("number");
  expect(payload.auth_time as number).toBeLessThanOrEqual(now);
  expect(payload.auth_time as number).toBeGreaterThan(now - 365 * 24 * 3600);
  if (nonce) expect(payload.nonce).toBe(nonce);
  else expect(payload).not.toHaveProperty("nonce");
  expect(payload.sid).toMatch(UUID);
  expect(payload.amr).toEqual(["pwd"]);
  // IT-04
  expect(payload.at_hash).toBe(createHash("sha256").update(body.access_token).digest().subarray(0, 16).toString("base64url"));
  // Same sub as the access token.
  const { payload: access } = await verifyAccessToken(body.access_token, base + JWKS_PATH, { issuer: base });
  expect(payload.sub).toBe(access.sub);
  return payload;
}

function expectProfileAndEmail(claims: JWTPayload) {
  expect(claims).toMatchObject({ name: "Alice Example", preferred_username: DEMO_USER.username, email: DEMO_USER.email, email_verified: true });
  expect(Number.isInteger(claims.updated_at)).toBe(true);
}

/** The first ID token of alice's first session (the spa), for SE-02 / SE-04. */
let first: JWTPayload;
/** That ID token as issued, for id_token_hint (SE-03). */
let firstIdToken: string;
/** The ID token after the prompt=login sign-in (SE-04). */
let second: JWTPayload | undefined;

describe("discovery advertises ID tokens", () => {
  test("DISC-02: claims_supported, claims_parameter_supported false, RS256 and ES256 for ID tokens", async () => {
    const { body } = await getJson<Record<string, unknown>>(base + OPENID_CONFIGURATION_PATH);
    expect(body.claims_supported).toEqual(
      expect.arrayContaining(["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "amr", "name", "preferred_username", "updated_at", "email", "email_verified"]),
    );
    expect(body.claims_parameter_supported).toBe(false);
    expect(body.id_token_signing_alg_values_supported).toEqual(["RS256", "ES256"]);
    expect(jwksUri).toBe(base + JWKS_PATH);
  });
});

describe("the code flow with openid profile email", () => {
  test("TK-01 / IT-01 / IT-02 / IT-04 / AZ-15: the public spa gets an id_token with alice's profile and email; auth_time is her sign-in", async () => {
    const flow = await codeFlow(DEMO_SPA, "openid profile email");
    expect(flow.body.scope).toBe("openid profile email");
    first = await expectIdToken(flow, DEMO_SPA.clientId);
    firstIdToken = flow.body.id_token!;
    expectProfileAndEmail(first);
    expect(first.auth_time).toBeGreaterThanOrEqual(signedIn.from);
    expect(first.auth_time).toBeLessThanOrEqual(signedIn.to);
  });

  test("TK-01: the confidential postman (client_secret_basic) gets the same user, with aud = postman", async () => {
    const claims = await expectIdToken(await codeFlow(DEMO_POSTMAN, "openid profile email"), DEMO_POSTMAN.clientId);
    expectProfileAndEmail(claims);
    expect(claims.sub).toBe(first.sub);
    expect(claims.auth_time).toBe(first.auth_time);
    expect(claims.sid).toBe(first.sid);
  });

  test("IT-05: openid alone releases no profile or email claims", async () => {
    const claims = await expectIdToken(await codeFlow(DEMO_SPA, "openid"), DEMO_SPA.clientId);
    for (const claim of ["name", "preferred_username", "updated_at", "email", "email_verified"]) expect(claims).not.toHaveProperty(claim);
  });

  test("IT-05 / AZ-15: openid email releases email and email_verified, and no profile claims", async () => {
    const claims = await expectIdToken(await codeFlow(DEMO_POSTMAN, "openid email"), DEMO_POSTMAN.clientId);
    expect(claims).toMatchObject({ email: DEMO_USER.email, email_verified: true });
    for (const claim of ["name", "updated_at"]) expect(claims).not.toHaveProperty(claim);
  });

  test("AZ-13: without a nonce the flow still succeeds and the ID token has no nonce", async () => {
    await expectIdToken(await codeFlow(DEMO_SPA, "openid profile", { nonce: null }), DEMO_SPA.clientId);
  });

  test("without the openid scope the token response has no id_token", async () => {
    const { body } = await codeFlow(DEMO_SPA, "profile api");
    expect(body.scope).toBe("profile api");
    expect(body).not.toHaveProperty("id_token");
  });
});

describe("the login session behind auth_time (SE-*)", () => {
  test("SE-02: a silent prompt=none flow gives the same sub and auth_time, without any page", async () => {
    expect(first, "the first spa flow ran").toBeDefined();
    const pkce = newPkce();
    const state = randomBytes(8).toString("hex");
    const nonce = randomBytes(8).toString("hex");
    const url = authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid profile email", state, pkce, extra: { nonce, prompt: "none" } });
    const response = await fetch(url, { redirect: "manual", headers: { cookie: alice } });
    expect(response.status).toBe(303);
    const callback = new URL(response.headers.get("location")!);
    const body = await redeem(DEMO_SPA, callback, state, pkce.verifier);
    const claims = await expectIdToken({ body, nonce }, DEMO_SPA.clientId);
    expect(claims.sub).toBe(first.sub);
    expect(claims.auth_time).toBe(first.auth_time);
    expect(claims.sid).toBe(first.sid);
  });

  test("SE-03: prompt=none with the first ID token as id_token_hint succeeds silently, with the same sub and auth_time", async () => {
    expect(firstIdToken, "the first spa flow ran").toBeDefined();
    const pkce = newPkce();
    const state = randomBytes(8).toString("hex");
    const url = authorizeUrl(base, {
      clientId: DEMO_SPA.clientId,
      redirectUri: DEMO_SPA.redirectUri,
      scope: "openid",
      state,
      pkce,
      extra: { prompt: "none", id_token_hint: firstIdToken },
    });
    const response = await fetch(url, { redirect: "manual", headers: { cookie: alice } });
    expect(response.status).toBe(303);
    const body = await redeem(DEMO_SPA, new URL(response.headers.get("location")!), state, pkce.verifier);
    const claims = await expectIdToken({ body, nonce: null }, DEMO_SPA.clientId);
    expect(claims.sub).toBe(first.sub);
    expect(claims.auth_time).toBe(first.auth_time);
  });

  test("SE-03: the hint names alice but admin is signed in → login_required; a hint issued to another client → invalid_request", async () => {
    const { cookie: admin } = await signInOverHttp(base, "admin", TEST_ADMIN_PASSWORD);
    const attempt = async (clientId: string, redirectUri: string, cookie: string, hint: string) => {
      const url = authorizeUrl(base, { clientId, redirectUri, scope: "openid", state: "st", pkce: newPkce(), extra: { prompt: "none", id_token_hint: hint } });
      const response = await fetch(url, { redirect: "manual", headers: { cookie } });
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get("location")!);
      expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
      expect(location.searchParams.get("code")).toBeNull();
      expect(location.searchParams.get("state")).toBe("st");
      return location.searchParams.get("error");
    };
    expect(await attempt(DEMO_SPA.clientId, DEMO_SPA.redirectUri, admin, firstIdToken)).toBe("login_required");
    expect(await attempt(DEMO_POSTMAN.clientId, DEMO_POSTMAN.redirectUri, alice, firstIdToken)).toBe("invalid_request");
  });

  test("SE-03: with admin signed in, alice's hint sends the browser to sign in; once alice has, the code is hers", async () => {
    const { cookie: admin } = await signInOverHttp(base, "admin", TEST_ADMIN_PASSWORD);
    const pkce = newPkce();
    const state = randomBytes(8).toString("hex");
    const url = authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid", state, pkce, extra: { id_token_hint: firstIdToken } });
    const start = await fetch(url, { redirect: "manual", headers: { cookie: admin } });
    expect(start.status).toBe(303);
    const login = new URL(start.headers.get("location")!);
    expect(login.pathname).toBe("/login");
    // The interaction (kept in the database) remembers whom the hint named, across the sign-in.
    const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password, login.search);
    expect(response.status).toBe(303);
    const callback = await completeAuthorization(base, cookie, response.headers.get("location")!);
    const claims = await expectIdToken({ body: await redeem(DEMO_SPA, callback, state, pkce.verifier), nonce: null }, DEMO_SPA.clientId);
    expect(claims.sub).toBe(first.sub);
  });

  test("SE-04: prompt=login asks for a new sign-in, and the ID token's auth_time is later; sub stays, sid is the new session's", async () => {
    expect(first, "the first spa flow ran").toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const pkce = newPkce();
    const state = randomBytes(8).toString("hex");
    const nonce = randomBytes(8).toString("hex");
    const url = authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid profile email", state, pkce, extra: { nonce, prompt: "login" } });
    const start = await fetch(url, { redirect: "manual", headers: { cookie: alice } });
    expect(start.status).toBe(303);
    const login = new URL(start.headers.get("location")!);
    expect(login.pathname).toBe("/login");
    const from = seconds();
    const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password, login.search);
    const to = seconds();
    expect(response.status).toBe(303);
    const callback = await completeAuthorization(base, cookie, response.headers.get("location")!);
    const claims = await expectIdToken({ body: await redeem(DEMO_SPA, callback, state, pkce.verifier), nonce }, DEMO_SPA.clientId);
    expect(claims.sub).toBe(first.sub);
    expect(claims.auth_time as number).toBeGreaterThan(first.auth_time as number);
    expect(claims.auth_time).toBeGreaterThanOrEqual(from);
    expect(claims.auth_time).toBeLessThanOrEqual(to);
    expect(claims.sid).not.toBe(first.sid);
    second = claims;
  });
});

describe.runIf(testBackend() === "postgres")("on PostgreSQL: the sessions behind sid and auth_time", () => {
  test("sid names alice's session row and auth_time is that row's auth_time, for both sign-ins", async () => {
    expect(second).toBeDefined();
    for (const claims of [first, second!]) {
      const rows = await queryStore<{ user_id: string; auth_time: Date }>(suite.store, `SELECT "user_id", "auth_time" FROM "sessions" WHERE "id" = $1`, [claims.sid]);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.user_id).toBe(claims.sub);
      expect(Math.floor(new Date(rows[0]!.auth_time).getTime() / 1000)).toBe(claims.auth_time);
    }
  });

  test("a client registered for ES256 gets an ES256 ID token that verifies against jwks_uri", async () => {
    await queryStore(suite.store, `UPDATE "applications" SET "id_token_signing_alg" = 'ES256' WHERE "client_id" = $1`, [DEMO_POSTMAN.clientId]);
    try {
      const { body, nonce } = await codeFlow(DEMO_POSTMAN, "openid profile");
      expect(decodeProtectedHeader(body.id_token!)).toMatchObject({ alg: "ES256", typ: "JWT" });
      const { payload } = await jwtVerify(body.id_token!, jwks, { issuer: base, audience: DEMO_POSTMAN.clientId, algorithms: ["ES256"] });
      expect(payload.nonce).toBe(nonce);
      expect(payload.at_hash).toBe(createHash("sha256").update(body.access_token).digest().subarray(0, 16).toString("base64url"));
      expect(decodeProtectedHeader(body.access_token).alg).toBe("RS256");
    } finally {
      await queryStore(suite.store, `UPDATE "applications" SET "id_token_signing_alg" = NULL WHERE "client_id" = $1`, [DEMO_POSTMAN.clientId]);
    }
  });
});
