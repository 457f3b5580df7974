// Issue #12 item 4: clients, scopes and signing keys are cached in each
// process (lib/db/catalogCache.ts, decision 0015), and an administrator's
// change still applies on the NEXT request at every instance. Two built
// servers, A and B, on one PostgreSQL database: B's caches are warmed, the
// change is made through A's dashboard actions, and the very next request at
// B must see it (no polling, no waiting for an interval). The first test is
// the control: a change that sends no notification (triggers off for that one
// session) is NOT seen by B, so B really answers from its cache and the other
// tests would fail without the notifications. PostgreSQL only: on the embedded
// PGlite (one process per data directory) there is one instance, whose cache is
// fed by PGlite's in-process notifications; that, and the cache behind the
// client, scope and key stores on both backends, is tests/unit/catalogCache.test.ts.
import { decodeJwt, decodeProtectedHeader } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NEW_CLIENT_DEFAULTS } from "@/lib/forms/clientForm";
import { createClient, createScope, createUser, type CreatedClient, type CreatedScope, type CreatedUser } from "../helpers/adminRecords";
import { DEMO_POSTMAN, authorizeUrl, newPkce } from "../helpers/codeFlow";
import { startTwoInstances } from "../helpers/faults";
import { basicAuthorization, fetchKids } from "../helpers/oauth";
import { signedInCookie } from "../helpers/portal";
import { createSeededStore, TEST_ADMIN_PASSWORD, type RunningServer, type TestStore } from "../helpers/server";
import { callServerAction } from "../helpers/serverActions";
import { refreshOutcome, userinfoStatus, userTokensForPostman } from "../helpers/userTokens";

const REDIRECT_KEPT = "https://kept.example/callback";
const REDIRECT_REMOVED = "https://removed.example/callback";

interface TokenAnswer {
  status: number;
  body: { access_token?: string; error?: string };
}

async function clientCredentials(base: string, clientId: string, secret: string, scope: string): Promise<TokenAnswer> {
  const response = await fetch(`${base}/connect/token`, {
    method: "POST",
    headers: { Authorization: basicAuthorization(clientId, secret), "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", scope }),
  });
  return { status: response.status, body: (await response.json()) as TokenAnswer["body"] };
}

/** The authorization endpoint's first answer for `clientId` with `redirectUri`, nobody signed in: a 303 to sign-in when the request is valid. */
async function authorizeAnswer(base: string, clientId: string, redirectUri: string): Promise<{ status: number; location: string | null }> {
  const url = authorizeUrl(base, { clientId, redirectUri, scope: "openid", state: "s", pkce: newPkce() });
  const response = await fetch(url, { redirect: "manual" });
  await response.arrayBuffer();
  return { status: response.status, location: response.headers.get("location") };
}

describe("the catalog cache across two instances on one PostgreSQL database", () => {
  let store: TestStore;
  let a: RunningServer;
  let b: RunningServer;
  let admin: string;
  let scope: CreatedScope;
  let client: CreatedClient;
  let secret: string;

  /** A dashboard action on A, signed in as the administrator; fails the test unless it answers ok. */
  async function actionOnA<T = unknown>(filename: string, exportedName: string, page: string, input: unknown): Promise<T> {
    const call = await callServerAction(a.url, { page, filename, exportedName, input, cookie: admin });
    const result = call.result as { ok: boolean; data?: T };
    expect(result.ok, JSON.stringify(result)).toBe(true);
    return result.data as T;
  }

  /** The client form's values for our client, as the dashboard's edit page would post them. */
  function clientForm(overrides: { redirectUris?: string[]; scopes?: string[] } = {}) {
    return {
      ...NEW_CLIENT_DEFAULTS,
      id: client.id,
      clientId: client.clientId,
      displayName: client.displayName,
      clientType: "confidential",
      consentType: "explicit",
      redirectUris: (overrides.redirectUris ?? [REDIRECT_KEPT, REDIRECT_REMOVED]).join("\n"),
      grantTypes: ["authorization_code", "client_credentials"],
      scopes: overrides.scopes ?? [scope.name, "api"],
    };
  }

  /** Runs SQL on the shared database in a session whose writes fire no trigger, hence send no notification. */
  async function withoutNotifications(sql: string, params: unknown[]): Promise<void> {
    const connection = new pg.Client({ connectionString: store.env.DATABASE_URL });
    await connection.connect();
    try {
      await connection.query("SET session_replication_role = replica");
      await connection.query(sql, params);
    } finally {
      await connection.end();
    }
  }

  beforeAll(async () => {
    store = await createSeededStore("postgres");
    [a, b] = await startTwoInstances(store);
    admin = await signedInCookie(a.url, "admin", TEST_ADMIN_PASSWORD);
    scope = await createScope(a.url, admin, "cached", { displayName: "Cached scope", description: "Before", resources: ["https://before.example"] });
    client = await createClient(a.url, admin, "cached-app", {
      displayName: "Cached App",
      clientType: "confidential",
      redirectUris: [REDIRECT_KEPT, REDIRECT_REMOVED],
      grantTypes: ["authorization_code", "client_credentials"],
      scopes: [scope.name, "api"],
    });
    secret = client.secret!;
  });

  afterAll(async () => {
    await Promise.all([a, b].map((server) => server?.stop()));
    await store?.cleanup();
  });

  test("control: B answers from its cache, so a change that sends no notification is not seen there", async () => {
    expect((await clientCredentials(b.url, client.clientId, secret, "api")).status).toBe(200); // warms B
    await withoutNotifications(`UPDATE "applications" SET "enabled" = false WHERE "client_id" = $1`, [client.clientId]);
    try {
      // Stale on purpose: the row says disabled, B's cached record still says enabled.
      expect((await clientCredentials(b.url, client.clientId, secret, "api")).status).toBe(200);
    } finally {
      await withoutNotifications(`UPDATE "applications" SET "enabled" = true WHERE "client_id" = $1`, [client.clientId]);
    }
  });

  test("AZ-07 a client disabled on A is refused by B on the next request (token and authorization endpoints), and enabling it on A restores it there", async () => {
    expect((await clientCredentials(b.url, client.clientId, secret, "api")).status).toBe(200);
    expect((await authorizeAnswer(b.url, client.clientId, REDIRECT_KEPT)).status).toBe(303);

    await actionOnA("app/dashboard/clients/actions.ts", "setClientEnabled", `/dashboard/clients/${client.id}`, { id: client.id, enabled: false });
    const refused = await clientCredentials(b.url, client.clientId, secret, "api");
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe("invalid_client");
    const page = await authorizeAnswer(b.url, client.clientId, REDIRECT_KEPT);
    expect(page.status).toBe(400); // an error page, never a redirect
    expect(page.location).toBeNull();

    await actionOnA("app/dashboard/clients/actions.ts", "setClientEnabled", `/dashboard/clients/${client.id}`, { id: client.id, enabled: true });
    expect((await clientCredentials(b.url, client.clientId, secret, "api")).status).toBe(200);
  });

  test("CA-02 a secret rotated on A: B refuses the old secret with invalid_client and takes the new one, each on the next request", async () => {
    expect((await clientCredentials(b.url, client.clientId, secret, "api")).status).toBe(200);
    const rotated = await actionOnA<{ secret: string }>("app/dashboard/clients/actions.ts", "rotateClientSecret", `/dashboard/clients/${client.id}`, { id: client.id });
    const old = await clientCredentials(b.url, client.clientId, secret, "api");
    expect(old.status).toBe(401);
    expect(old.body.error).toBe("invalid_client");
    expect((await clientCredentials(b.url, client.clientId, rotated.secret, "api")).status).toBe(200);
    secret = rotated.secret;
  });

  test("AZ-04 a redirect URI removed on A: B shows an error page for it on the next request and still accepts the one kept", async () => {
    expect((await authorizeAnswer(b.url, client.clientId, REDIRECT_REMOVED)).status).toBe(303);
    await actionOnA("app/dashboard/clients/actions.ts", "updateClient", `/dashboard/clients/${client.id}`, clientForm({ redirectUris: [REDIRECT_KEPT] }));
    const removed = await authorizeAnswer(b.url, client.clientId, REDIRECT_REMOVED);
    expect(removed.status).toBe(400);
    expect(removed.location).toBeNull();
    expect((await authorizeAnswer(b.url, client.clientId, REDIRECT_KEPT)).status).toBe(303);
  });

  test("a scope edited on A (its resources): B's next token carries the new audience", async () => {
    const before = await clientCredentials(b.url, client.clientId, secret, scope.name);
    expect(before.status).toBe(200);
    expect(decodeJwt(before.body.access_token!).aud).toContain("https://before.example");

    await actionOnA("app/dashboard/scopes/actions.ts", "updateScopeAction", `/dashboard/scopes/${scope.id}`, {
      id: scope.id,
      displayName: "Cached scope",
      description: "After",
      resources: "https://after.example",
      claims: [],
      accessTokenClaims: [],
    });
    const after = await clientCredentials(b.url, client.clientId, secret, scope.name);
    expect(after.status).toBe(200);
    const audience = decodeJwt(after.body.access_token!).aud;
    expect(audience).toContain("https://after.example");
    expect(audience).not.toContain("https://before.example");
  });

  test("a scope taken from the client on A: B refuses it with invalid_scope on the next request", async () => {
    expect((await clientCredentials(b.url, client.clientId, secret, scope.name)).status).toBe(200);
    await actionOnA("app/dashboard/clients/actions.ts", "updateClient", `/dashboard/clients/${client.id}`, clientForm({ redirectUris: [REDIRECT_KEPT], scopes: ["api"] }));
    const refused = await clientCredentials(b.url, client.clientId, secret, scope.name);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_scope");
    expect((await clientCredentials(b.url, client.clientId, secret, "api")).status).toBe(200);
  });

  test("RT-05 a user disabled on A: at B their access token is refused at userinfo and their refresh token gives invalid_grant, on the next request", async () => {
    const user: CreatedUser = await createUser(a.url, admin, "cached-user");
    // Signed in and consenting on A (the issuer's origin, which the portal's forms check); B serves the tokens from then on.
    const cookie = await signedInCookie(a.url, user.username, user.password);
    const tokens = await userTokensForPostman(a.url, cookie, "openid offline_access api");
    expect(await userinfoStatus(b.url, tokens.access_token)).toBe(200);
    const refreshed = await refreshOutcome(b.url, tokens.refresh_token);
    expect(refreshed.status).toBe(200);

    await actionOnA("app/dashboard/users/actions.ts", "disableUserAction", `/dashboard/users/${user.id}`, { id: user.id });
    expect(await userinfoStatus(b.url, tokens.access_token)).toBe(401);
    expect(await refreshOutcome(b.url, refreshed.tokens.refresh_token!)).toMatchObject({ status: 400, error: "invalid_grant" });
    // Nor is the user signed in at B any more: the authorization endpoint sends the browser to sign in.
    const url = authorizeUrl(b.url, { clientId: DEMO_POSTMAN.clientId, redirectUri: DEMO_POSTMAN.redirectUri, scope: "openid", state: "s", pkce: newPkce() });
    const again = await fetch(url, { redirect: "manual", headers: { cookie } });
    expect(new URL(again.headers.get("location")!, b.url).pathname).toBe("/login");
  });

  test("DISC-06 keys rotated on A: B's next JWKS lists the new keys and B's next token is signed with one", async () => {
    const oldKids = await fetchKids(b.url);
    expect((await clientCredentials(b.url, client.clientId, secret, "api")).status).toBe(200); // B's ring is loaded
    const rotated = await actionOnA<{ created: string[] }>("app/dashboard/keys/actions.ts", "rotateSigningKeysAction", "/dashboard/keys", { alg: "all" });
    expect(rotated.created).toHaveLength(2);

    const kids = await fetchKids(b.url);
    for (const kid of rotated.created) expect(kids).toContain(kid);
    for (const kid of oldKids) expect(kids).toContain(kid); // the old keys stay published while retiring
    const token = await clientCredentials(b.url, client.clientId, secret, "api");
    expect(rotated.created).toContain(String(decodeProtectedHeader(token.body.access_token!).kid));
  });
});
