// /account and the dashboard's grants pages over real HTTP against the built
// server: the pages as a browser GETs them, and their server actions called
// the way React's client calls them (tests/helpers/serverActions.ts), so each
// action's guard, ownership check and lib/db/grants.ts's revocation semantics
// are seen from the outside — through the token, introspection and userinfo
// endpoints. Runs on PGlite and PostgreSQL (GATEHOUSE_TEST_BACKEND).
// CONFORMANCE.md rows: RT-05 (revoked refresh token), IR-02 (revoked token
// inactive), RV-01 / RV-02 (what revoking one token takes along), UI-04.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeJwt } from "jose";
import { DEMO_POSTMAN, DEMO_USER, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { OPENID_CONFIGURATION_PATH, TOKEN_PATH, basicAuthorization, expectOAuthError, getJson, postForm, type TokenSuccess } from "../helpers/oauth";
import { completeAuthorization, signedInCookie, signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { callServerAction } from "../helpers/serverActions";
import { TEST_ADMIN_PASSWORD, startSeededServer, testBackend } from "../helpers/server";

let suite: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;
let endpoints: { userinfo: string; introspection: string };
let alice: string;
let admin: string;
let aliceId: string;
let adminId: string;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NEW_PASSWORD = "a-new-passphrase-for-alice";

const signIn = (username: string, password: string) => signedInCookie(base, username, password);

beforeAll(async () => {
  suite = await startSeededServer();
  base = suite.server.url;
  const { body } = await getJson<Record<string, string>>(base + OPENID_CONFIGURATION_PATH);
  endpoints = { userinfo: body.userinfo_endpoint!, introspection: body.introspection_endpoint! };
  alice = await signIn(DEMO_USER.username, DEMO_USER.password);
  admin = await signIn("admin", TEST_ADMIN_PASSWORD);
  aliceId = decodeJwt((await postmanTokens(alice)).access_token).sub!;
  adminId = decodeJwt((await postmanTokens(admin)).access_token).sub!;
});
afterAll(async () => {
  await suite?.stop();
});

/** The code flow with the confidential demo client (it may introspect its own tokens), for the user behind `cookie`. */
async function postmanTokens(cookie: string, scope = "openid profile api offline_access"): Promise<TokenSuccess> {
  const pkce = newPkce();
  const url = authorizeUrl(base, { clientId: DEMO_POSTMAN.clientId, redirectUri: DEMO_POSTMAN.redirectUri, scope, state: randomBytes(8).toString("hex"), pkce });
  const callback = await completeAuthorization(base, cookie, url);
  const code = callback.searchParams.get("code");
  expect(code, callback.toString()).toBeTruthy();
  const response = await exchangeCode(base, { ...DEMO_POSTMAN, code: code!, verifier: pkce.verifier });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as TokenSuccess;
}

const postmanAuth = () => basicAuthorization(DEMO_POSTMAN.clientId, DEMO_POSTMAN.secret);

function refresh(refreshToken: string): Promise<Response> {
  return postForm(base + TOKEN_PATH, { headers: { Authorization: postmanAuth() }, body: { grant_type: "refresh_token", refresh_token: refreshToken } });
}

async function introspectActive(token: string): Promise<boolean> {
  const response = await postForm(endpoints.introspection, { headers: { Authorization: postmanAuth() }, body: { token } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { active: boolean }).active;
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(endpoints.userinfo, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

/** Whether the pair still works: the access token at introspection and the refresh token at the token endpoint. */
async function expectWorking(tokens: TokenSuccess): Promise<TokenSuccess> {
  expect(await introspectActive(tokens.access_token)).toBe(true);
  const response = await refresh(tokens.refresh_token!);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as TokenSuccess;
}

async function expectRevoked(tokens: TokenSuccess) {
  expect(await introspectActive(tokens.access_token)).toBe(false);
  expect(await userinfoStatus(tokens.access_token)).toBe(401);
  await expectOAuthError(await refresh(tokens.refresh_token!), { status: 400, error: "invalid_grant" });
}

const ACCOUNT_ACTIONS = "app/account/actions.ts";
const GRANT_ACTIONS = "app/dashboard/grants/actions.ts";

type Result = { ok: true; data: Record<string, unknown> } | { ok: false; status: number; message: string; fieldErrors?: Record<string, string[]> };

/** The data of a successful action; fails the test with the refusal otherwise. */
function okData<T>(result: Result): T {
  expect(result.ok, JSON.stringify(result)).toBe(true);
  return (result as { data: unknown }).data as T;
}

async function accountAction(cookie: string | undefined, exportedName: string, input: unknown): Promise<Result> {
  return (await callServerAction(base, { page: "/account", filename: ACCOUNT_ACTIONS, exportedName, input, cookie })).result as Result;
}

async function grantAction(cookie: string | undefined, exportedName: string, input: unknown): Promise<Result> {
  const page = `/dashboard/users/${aliceId}/grants`;
  return (await callServerAction(base, { page, filename: GRANT_ACTIONS, exportedName, input, cookie })).result as Result;
}

async function page(path: string, cookie?: string): Promise<{ status: number; location: string | null; html: string }> {
  const response = await fetch(base + path, { redirect: "manual", headers: cookie ? { cookie } : {} });
  return { status: response.status, location: response.headers.get("location"), html: await response.text() };
}

/** Ids the page hands to its buttons (they travel in the page's RSC payload). */
function idsOnPage(html: string, field: string): string[] {
  return [...new Set([...html.matchAll(new RegExp(`${field}\\\\?"\\s*:\\s*\\\\?"([0-9a-f-]{36})`, "g"))].map((match) => match[1]!))];
}

/** The authorization ids the page's Revoke buttons carry. */
const authorizationIdsOn = (html: string) => idsOnPage(html, "authorizationId");

describe("/account (signed-in users)", () => {
  test("signed out, the page sends the browser to sign in and the actions answer 401", async () => {
    const signedOut = await page("/account");
    expect([303, 307]).toContain(signedOut.status);
    expect(signedOut.location).toMatch(/^\/login\?returnTo=%2Faccount$/);
    const result = await accountAction(undefined, "withdrawConsent", { authorizationId: "7d0b5f4e-2b1a-4c3d-9e8f-0a1b2c3d4e5f" });
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  test("the home page links to My account, and to the dashboard for administrators only", async () => {
    const forAlice = (await page("/", alice)).html;
    expect(forAlice).toMatch(/href="\/account"/);
    expect(forAlice).not.toMatch(/href="\/dashboard"/);
    expect((await page("/", admin)).html).toMatch(/href="\/dashboard"/);
  });

  test("lists the apps alice authorized with the scopes' display names, and never a token value", async () => {
    const tokens = await postmanTokens(alice);
    const { status, html } = await page("/account", alice);
    expect(status).toBe(200);
    expect(html).toContain("Postman");
    for (const label of ["Sign you in", "Your profile", "Demo API", "Stay connected"]) expect(html).toContain(label);
    expect(html).not.toContain(tokens.access_token);
    expect(html).not.toContain(tokens.refresh_token!);
    expect(html).not.toContain(decodeJwt(tokens.access_token).jti!);
    expect(authorizationIdsOn(html)).toHaveLength(1);
  });

  test("RT-05 / IR-02: Revoke withdraws consent: every token under it stops working, and a second Revoke is a clear 404", async () => {
    const first = await postmanTokens(alice);
    const second = await postmanTokens(alice);
    await expectWorking(second);
    const [authorizationId] = authorizationIdsOn((await page("/account", alice)).html);
    expect(authorizationId).toMatch(UUID);

    const result = okData<{ revokedTokens: number }>(await accountAction(alice, "withdrawConsent", { authorizationId }));
    expect(result.revokedTokens).toBeGreaterThanOrEqual(6); // two grants: code, refresh and access token each
    await expectRevoked(first);
    await expectRevoked(second);
    expect(authorizationIdsOn((await page("/account", alice)).html)).toEqual([]);

    expect(await accountAction(alice, "withdrawConsent", { authorizationId })).toMatchObject({ ok: false, status: 404 });
    // Consent is asked again: the next authorization request shows the consent page.
    const again = await fetch(authorizeUrl(base, { clientId: DEMO_POSTMAN.clientId, redirectUri: DEMO_POSTMAN.redirectUri, scope: "api", pkce: newPkce() }), {
      redirect: "manual",
      headers: { cookie: alice },
    });
    expect(again.headers.get("location")).toMatch(/\/consent\?interaction=/);
  });

  test("alice cannot withdraw someone else's authorization or end someone else's session, whatever id she sends", async () => {
    const adminTokens = await postmanTokens(admin);
    const adminPage = (await page("/account", admin)).html;
    const [adminAuthorization] = authorizationIdsOn(adminPage);
    const [adminSession] = idsOnPage(adminPage, "sessionId");
    expect(adminAuthorization).toMatch(UUID);
    expect(adminSession).toMatch(UUID);

    expect(await accountAction(alice, "withdrawConsent", { authorizationId: adminAuthorization })).toMatchObject({ ok: false, status: 404 });
    expect(await accountAction(alice, "endSession", { sessionId: adminSession })).toMatchObject({ ok: false, status: 404 });
    expect(await accountAction(alice, "withdrawConsent", { authorizationId: "'; DELETE FROM tokens; --" })).toMatchObject({
      ok: false,
      status: 400,
      fieldErrors: { authorizationId: [expect.stringMatching(/not a valid authorization id/)] },
    });
    await expectWorking(adminTokens);
    expect((await page("/account", admin)).status).toBe(200);
  });

  test("profile: a bad address is a field error; a new address needs the current password; a taken one is a 409 on the field; a new one is unverified", async () => {
    expect(await accountAction(alice, "updateProfile", { name: "Alice", email: "nope", currentPassword: "" })).toMatchObject({
      ok: false,
      status: 400,
      fieldErrors: { email: [expect.stringMatching(/email address like/)] },
    });
    // Without the password an address change is refused before anything else: a session cannot probe taken addresses.
    expect(await accountAction(admin, "updateProfile", { name: "Administrator", email: DEMO_USER.email, currentPassword: "" })).toMatchObject({
      ok: false,
      status: 400,
      fieldErrors: { currentPassword: ["Enter your current password to change your email address."] },
    });
    for (const email of [DEMO_USER.email, DEMO_USER.email.toUpperCase()]) {
      expect(await accountAction(admin, "updateProfile", { name: "Administrator", email, currentPassword: TEST_ADMIN_PASSWORD })).toMatchObject({
        ok: false,
        status: 409,
        fieldErrors: { email: ["Another account already uses this email address."] },
      });
    }
    expect(await accountAction(alice, "updateProfile", { name: "Alice Liddell", email: "alice.liddell@example.org", currentPassword: "not-it" })).toMatchObject({
      ok: false,
      status: 400,
      fieldErrors: { currentPassword: [expect.stringMatching(/not your current password/)] },
    });
    // The name alone needs no password; the address is unchanged.
    expect(await accountAction(alice, "updateProfile", { name: " Alice L. ", email: DEMO_USER.email, currentPassword: "" })).toEqual({
      ok: true,
      data: { changed: ["name"], emailUnverified: false },
    });
    expect(
      await accountAction(alice, "updateProfile", { name: " Alice Liddell ", email: "alice.liddell@example.org", currentPassword: DEMO_USER.password }),
    ).toEqual({
      ok: true,
      data: { changed: ["name", "email"], emailUnverified: true },
    });
    const html = (await page("/account", alice)).html;
    expect(html).toContain("Alice Liddell");
    expect(html).toContain("Not verified.");
    // Sign-in by the new address works; the old one no longer names anybody.
    expect((await signInOverHttp(base, "alice.liddell@example.org", DEMO_USER.password)).response.status).toBe(303);
    expect((await signInOverHttp(base, DEMO_USER.email, DEMO_USER.password)).cookie).toBe("");
  });

  test("password: a wrong current password is a field error; the change ends alice's other sessions; the old password stops working", async () => {
    const other = await signIn(DEMO_USER.username, DEMO_USER.password);
    expect((await page("/account", other)).status).toBe(200);
    expect(await accountAction(alice, "changePassword", { currentPassword: "not-it", newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD })).toMatchObject({
      ok: false,
      status: 400,
      fieldErrors: { currentPassword: [expect.stringMatching(/not your current password/)] },
    });
    expect(await accountAction(alice, "changePassword", { currentPassword: DEMO_USER.password, newPassword: "short", confirmPassword: "short" })).toMatchObject({
      ok: false,
      status: 400,
      fieldErrors: { newPassword: [expect.stringMatching(/at least 12/)] },
    });

    const changed = okData<{ endedSessions: number }>(
      await accountAction(alice, "changePassword", { currentPassword: DEMO_USER.password, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }),
    );
    expect(changed.endedSessions).toBeGreaterThanOrEqual(2); // `other` and the sign-in by email above
    expect((await page("/account", other)).status).not.toBe(200);
    expect((await page("/account", alice)).status).toBe(200);
    expect((await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password)).cookie).toBe("");
    alice = await signIn(DEMO_USER.username, NEW_PASSWORD);
  });

  test("sessions: alice ends one of her other sessions (its cookie stops working); ending her own signs her out", async () => {
    const other = await signIn(DEMO_USER.username, NEW_PASSWORD);
    const ids = idsOnPage((await page("/account", alice)).html, "sessionId");
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const otherIds = idsOnPage((await page("/account", other)).html, "sessionId");
    expect(new Set(otherIds)).toEqual(new Set(ids));
    // Which row is which: each browser sees its own as "This session".
    const current = (await sessionIdOf(alice))!;
    const theirs = (await sessionIdOf(other))!;
    expect(current).not.toBe(theirs);

    expect(await accountAction(alice, "endSession", { sessionId: theirs })).toEqual({ ok: true, data: { signedOut: false } });
    expect((await page("/account", other)).status).not.toBe(200);
    expect(await accountAction(alice, "endSession", { sessionId: theirs })).toMatchObject({ ok: false, status: 404 });

    const own = await callServerAction(base, { page: "/account", filename: ACCOUNT_ACTIONS, exportedName: "endSession", input: { sessionId: current }, cookie: alice });
    expect(own.result).toEqual({ ok: true, data: { signedOut: true } });
    expect(own.setCookies.some((cookie) => /authjs\.session-token=;/.test(cookie))).toBe(true);
    expect((await page("/account", alice)).status).not.toBe(200);
    alice = await signIn(DEMO_USER.username, NEW_PASSWORD);
  });
});

/** The session id of `cookie`: the row its own /account page marks "This session" (aria-current). */
async function sessionIdOf(cookie: string): Promise<string | undefined> {
  const html = (await page("/account", cookie)).html;
  // The rows' buttons carry the ids in the page's RSC payload, in the order of the rows.
  const rows = [...html.matchAll(/<tr\b[^>]*>[\s\S]*?<\/tr>/g)].map((match) => match[0]).filter((row) => row.includes("Sign out"));
  const index = rows.findIndex((row) => row.startsWith('<tr aria-current="true"'));
  return index < 0 ? undefined : idsOnPage(html, "sessionId")[index];
}

/** The live tokens a grants page lists: their row ids (from the Revoke buttons, in row order), kinds and row markup. */
function liveTokenRows(html: string): { id: string; kind: string; row: string }[] {
  const ids = idsOnPage(html, "tokenId");
  const rows = [...html.matchAll(/<tr\b[^>]*>[\s\S]*?<\/tr>/g)]
    .map((match) => ({ row: match[0], kind: match[0].match(/<td[^>]*>(Access token|Refresh token)<\/td>/)?.[1] }))
    .filter((row): row is { row: string; kind: string } => row.kind !== undefined);
  expect(rows).toHaveLength(ids.length);
  return rows.map((row, index) => ({ id: ids[index]!, ...row }));
}

describe("dashboard grants pages (administrators)", () => {
  test("who may see them: signed out → sign in, alice → 403, a malformed or unknown id → 404", async () => {
    const path = `/dashboard/users/${aliceId}/grants`;
    const signedOut = await page(path);
    expect([303, 307]).toContain(signedOut.status);
    expect(signedOut.location).toBe(`/login?returnTo=${encodeURIComponent(path)}`);
    expect((await page(path, alice)).status).toBe(403);
    expect((await page(`/dashboard/clients/${aliceId}/grants`, alice)).status).toBe(403);
    for (const bad of ["/dashboard/users/not-a-uuid/grants", `/dashboard/users/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}/grants`, "/dashboard/clients/1/grants"]) {
      expect((await page(bad, admin)).status, bad).toBe(404);
    }
    expect((await page(path, admin)).status).toBe(200);
  });

  test("alice may not run the admin actions, whatever she sends", async () => {
    const tokens = await postmanTokens(alice);
    const [authorizationId] = authorizationIdsOn((await page("/account", alice)).html);
    const owner = { ownerType: "user", ownerId: aliceId };
    expect(await grantAction(alice, "revokeAuthorizationAsAdmin", { authorizationId, owner })).toMatchObject({ ok: false, status: 403 });
    expect(await grantAction(undefined, "revokeAuthorizationAsAdmin", { authorizationId, owner })).toMatchObject({ ok: false, status: 401 });
    await expectWorking(tokens);
  });

  test("RV-01 / RV-02: the admin revokes one access token (alone), one refresh token (its grant), then the authorization (everything)", async () => {
    // Told apart on the page by their scopes: only target's tokens carry "email" (times are in whole seconds).
    const kept = await postmanTokens(alice, "openid offline_access api");
    const target = await postmanTokens(alice, "openid email offline_access");
    const userPath = `/dashboard/users/${aliceId}/grants`;
    const userPage = (await page(userPath, admin)).html;
    expect(userPage).toContain("Postman");
    expect(userPage).not.toContain(target.access_token);
    expect(userPage).not.toContain(target.refresh_token!);
    const applicationId = userPage.match(/href="\/dashboard\/clients\/([0-9a-f-]{36})\/grants"/)?.[1];
    expect(applicationId).toMatch(UUID);
    const [aliceAuthorization] = authorizationIdsOn(userPage);
    expect(aliceAuthorization).toMatch(UUID);

    const targets = liveTokenRows(userPage).filter((row) => row.row.includes("Your email address"));
    expect(targets.map((row) => row.kind).sort()).toEqual(["Access token", "Refresh token"]);
    const targetAccess = targets.find((row) => row.kind === "Access token")!.id;
    const targetRefresh = targets.find((row) => row.kind === "Refresh token")!.id;

    // A token cannot be revoked through an owner it does not belong to.
    expect(await grantAction(admin, "revokeTokenAsAdmin", { tokenId: targetAccess, owner: { ownerType: "user", ownerId: adminId } })).toMatchObject({ ok: false, status: 404 });

    expect(await grantAction(admin, "revokeTokenAsAdmin", { tokenId: targetAccess, owner: { ownerType: "user", ownerId: aliceId } })).toEqual({
      ok: true,
      data: { extent: "token", revokedTokens: 1 },
    });
    expect(await introspectActive(target.access_token)).toBe(false);
    expect(await userinfoStatus(target.access_token)).toBe(401);
    expect(await introspectActive(kept.access_token)).toBe(true);

    const grant = await grantAction(admin, "revokeTokenAsAdmin", { tokenId: targetRefresh, owner: { ownerType: "client", ownerId: applicationId } });
    expect(grant).toMatchObject({ ok: true, data: { extent: "grant" } });
    await expectOAuthError(await refresh(target.refresh_token!), { status: 400, error: "invalid_grant" });
    const clientPage = (await page(`/dashboard/clients/${applicationId}/grants`, admin)).html;
    expect(liveTokenRows(clientPage).map((row) => row.id)).not.toContain(targetRefresh);

    const renewed = await expectWorking(kept);
    okData(await grantAction(admin, "revokeAuthorizationAsAdmin", { authorizationId: aliceAuthorization, owner: { ownerType: "client", ownerId: applicationId } }));
    await expectRevoked(renewed);
    expect(await grantAction(admin, "revokeAuthorizationAsAdmin", { authorizationId: aliceAuthorization, owner: { ownerType: "user", ownerId: aliceId } })).toMatchObject({
      ok: false,
      status: 404,
    });
    expect(authorizationIdsOn((await page(userPath, admin)).html)).not.toContain(aliceAuthorization);
  });
});

// Rows go in beside the running server, which only PostgreSQL allows (PGlite has one opener).
describe.runIf(testBackend() === "postgres")("the grants page pages a client's authorizations (PostgreSQL)", () => {
  test("55 authorizations: 50 on the first page, the rest on the second; each list's links keep the other's page", async () => {
    const appId = randomUUID();
    await queryStore(suite.store, `INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1, 'paging-app', 'Paging App', 'public', now())`, [appId]);
    const expected = new Set<string>();
    for (let index = 0; index < 55; index++) {
      const userId = randomUUID();
      await queryStore(suite.store, `INSERT INTO "users" ("id", "username", "name", "updated_at") VALUES ($1, $2, 'Paged User', now())`, [userId, `paged-user-${index}`]);
      const authorizationId = randomUUID();
      await queryStore(
        suite.store,
        `INSERT INTO "authorizations" ("id", "application_id", "user_id", "scopes", "type", "created_at", "updated_at") VALUES ($1, $2, $3, ARRAY['api'], 'permanent', now() - make_interval(secs => $4::int), now())`,
        [authorizationId, appId, userId, index],
      );
      expected.add(authorizationId);
    }
    const path = `/dashboard/clients/${appId}/grants`;
    const first = await page(path, admin);
    expect(first.status).toBe(200);
    const firstIds = authorizationIdsOn(first.html);
    expect(firstIds).toHaveLength(50);
    expect(first.html).toContain(`href="${path}?authorizationsPage=2"`);
    expect(first.html).toContain('aria-label="Authorization pages"');

    const second = await page(`${path}?authorizationsPage=2&page=3`, admin);
    const secondIds = authorizationIdsOn(second.html);
    expect(secondIds).toHaveLength(5);
    expect(new Set([...firstIds, ...secondIds])).toEqual(expected);
    // Back to the first page of authorizations, still on the third page of tokens; and the other way round.
    expect(second.html).toContain(`href="${path}?page=3"`);
    expect(second.html).toContain(`href="${path}?authorizationsPage=2&amp;page=2"`);
    expect(second.html).not.toContain(`authorizationsPage=3`);
  });
});

test("the audit log records every change, with the actor and no secrets (read once the server has stopped)", async () => {
  await suite.server.stop(); // PGlite has one opener; PostgreSQL would not mind
  const events = await queryStore<{ kind: string; actor: string | null; user_id: string | null; client_id: string | null; details: unknown }>(
    suite.store,
    `SELECT "kind", "actor", "user_id", "client_id", "details" FROM "audit_events" WHERE "kind" LIKE 'account.%' OR "kind" LIKE 'consent.%' OR "kind" LIKE 'admin.%' ORDER BY "at"`,
  );
  const kinds = events.map((event) => event.kind);
  for (const kind of [
    "consent.withdrawn",
    "account.profile_updated",
    "account.profile_update_refused",
    "account.password_change_refused",
    "account.password_changed",
    "account.session.ended",
    "admin.token.revoked",
    "admin.authorization.revoked",
  ]) {
    expect(kinds, kind).toContain(kind);
  }
  for (const event of events.filter((event) => event.kind.startsWith("account.") || event.kind === "consent.withdrawn")) {
    expect(event.actor).toBe(aliceId);
    expect(event.user_id).toBe(aliceId);
  }
  // Consents given on the consent screen (by alice, and by the admin for the admin's own grants): the user acts for themself.
  const granted = events.filter((event) => event.kind === "consent.granted");
  expect(granted.length).toBeGreaterThan(0);
  for (const event of granted) expect(event.actor).toBe(event.user_id);
  for (const event of events.filter((event) => event.kind.startsWith("admin."))) {
    expect(event.actor).toBe(adminId);
    expect(event.user_id).toBe(aliceId);
    expect(event.client_id).toBe(DEMO_POSTMAN.clientId);
  }
  expect(events.find((event) => event.kind === "consent.withdrawn")!.client_id).toBe(DEMO_POSTMAN.clientId);
  const text = JSON.stringify(events);
  expect(text).not.toContain(NEW_PASSWORD);
  expect(text).not.toContain(DEMO_USER.password);
  expect(text).not.toMatch(/argon2/);
  const [user] = await queryStore<{ name: string; email: string; email_verified: boolean }>(suite.store, `SELECT "name", "email", "email_verified" FROM "users" WHERE "id" = $1::uuid`, [aliceId]);
  expect(user).toEqual({ name: "Alice Liddell", email: "alice.liddell@example.org", email_verified: false });
});
