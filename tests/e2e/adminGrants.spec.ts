// The dashboard's grants pages in Chromium (issue #5 item 7): an
// administrator revokes one of alice's refresh tokens from Postman's grants
// page, then alice's whole authorization from her own grants page; the
// tokens stop working at the token, introspection and userinfo endpoints.
// alice herself gets a 403 there. Every page passes axe-core.
import { decodeJwt } from "jose";
import { expect, test, expectAccessible, signInThroughForm } from "../helpers/browser";
import { DEMO_POSTMAN, DEMO_USER, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { TEST_ADMIN_PASSWORD, startSeededServer } from "../helpers/server";

let env: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;

test.beforeAll(async () => {
  env = await startSeededServer();
  base = env.server.url;
});
test.afterAll(async () => {
  await env?.stop();
});

interface Tokens {
  access_token: string;
  refresh_token: string;
}

const postmanBasic = `Basic ${Buffer.from(`${DEMO_POSTMAN.clientId}:${DEMO_POSTMAN.secret}`).toString("base64")}`;

/** Alice's tokens for Postman through the code flow, over HTTP with her session cookie. */
async function postmanTokensFor(cookie: string, scope: string): Promise<Tokens> {
  const pkce = newPkce();
  const callback = await completeAuthorization(
    base,
    cookie,
    authorizeUrl(base, { clientId: DEMO_POSTMAN.clientId, redirectUri: DEMO_POSTMAN.redirectUri, scope, state: "s", pkce }),
  );
  const response = await exchangeCode(base, { ...DEMO_POSTMAN, code: callback.searchParams.get("code")!, verifier: pkce.verifier });
  expect(response.status).toBe(200);
  return (await response.json()) as Tokens;
}

async function refreshStatus(refreshToken: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${base}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: postmanBasic },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }),
  });
  const json = (await response.json()) as { error?: string };
  return { status: response.status, error: json.error };
}

async function introspectActive(token: string): Promise<boolean> {
  const response = await fetch(`${base}/connect/introspect`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: postmanBasic },
    body: new URLSearchParams({ token }),
  });
  return ((await response.json()) as { active: boolean }).active;
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${base}/connect/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

test("an administrator revokes a refresh token and then alice's authorization from the grants pages; the tokens stop working (RV-02, RT-05, IR-02)", async ({ page, browser }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  const alice = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
  // The pages tell the two grants apart by their scopes: only target's carry "email".
  const kept = await postmanTokensFor(alice.cookie, "openid offline_access api");
  const target = await postmanTokensFor(alice.cookie, "openid email offline_access api");
  const aliceId = decodeJwt(kept.access_token).sub!;
  const userGrants = `/dashboard/users/${aliceId}/grants`;

  // alice is not an administrator: 403, on an accessible page.
  const aliceContext = await browser.newContext();
  const alicePage = await aliceContext.newPage();
  await signInThroughForm(alicePage, base, DEMO_USER.username, DEMO_USER.password, "/account");
  const forbidden = await alicePage.goto(`${base}${userGrants}`);
  expect(forbidden?.status()).toBe(403);
  await expectAccessible(alicePage, "the 403 page");
  await aliceContext.close();

  // The admin's view of alice's grants: one authorization, four live tokens.
  await signInThroughForm(page, base, "admin", TEST_ADMIN_PASSWORD, userGrants);
  await expect(page.getByRole("heading", { level: 1, name: "Grants of alice" })).toBeVisible();
  const authorizations = page.getByRole("table", { name: "Authorizations" });
  const tokens = page.getByRole("table", { name: "Live tokens" });
  await expect(authorizations.getByRole("row")).toHaveCount(2);
  await expect(authorizations.getByRole("link", { name: "Postman" })).toBeVisible();
  await expect(authorizations.getByText("Stay connected")).toBeVisible();
  await expect(tokens.getByRole("row")).toHaveCount(5);
  await expect(page.getByText(target.refresh_token)).toHaveCount(0);
  await expectAccessible(page, "the user's grants page");
  if (process.env.GATEHOUSE_SCREENSHOTS) await page.screenshot({ path: "docs/screenshots/grants.png", fullPage: true });

  // Postman's grants page: revoke the newest refresh token; its grant goes with it, the older grant stays.
  await authorizations.getByRole("link", { name: "Postman" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Grants of Postman" })).toBeVisible();
  await expectAccessible(page, "the client's grants page");
  const clientTokens = page.getByRole("table", { name: "Live tokens" });
  await clientTokens
    .getByRole("row")
    .filter({ hasText: "Refresh token" })
    .filter({ hasText: "Your email address" })
    .getByRole("button", { name: /^Revoke refresh token of alice/ })
    .click();
  await expect(clientTokens.getByRole("row")).toHaveCount(3); // the header and kept's two tokens
  expect(await refreshStatus(target.refresh_token)).toEqual({ status: 400, error: "invalid_grant" });
  expect(await introspectActive(target.access_token)).toBe(false);
  expect(await introspectActive(kept.access_token)).toBe(true);

  // Back on alice's page, revoke her authorization: everything under it stops working.
  await page.getByRole("table", { name: "Authorizations" }).getByRole("link", { name: "alice" }).click();
  await expect(page).toHaveURL(`${base}${userGrants}`);
  await page.getByRole("button", { name: "Revoke authorization of Postman" }).click();
  await expect(page.getByText("No valid authorizations.")).toBeVisible();
  await expect(page.getByText("No live access or refresh tokens.")).toBeVisible();
  expect(await refreshStatus(kept.refresh_token)).toEqual({ status: 400, error: "invalid_grant" });
  expect(await introspectActive(kept.access_token)).toBe(false);
  expect(await userinfoStatus(kept.access_token)).toBe(401);
  await expectAccessible(page, "the user's grants page, emptied");

  // Not found: a malformed or unknown id.
  const missing = await page.goto(`${base}/dashboard/clients/not-a-client/grants`);
  expect(missing?.status()).toBe(404);
  await expectAccessible(page, "the 404 page");

  await env.server.stop();
  const events = await queryStore<{ kind: string; actor: string; user_id: string; client_id: string; details: Record<string, unknown> }>(
    env.store,
    `SELECT "kind", "actor", "user_id", "client_id", "details" FROM "audit_events" WHERE "kind" LIKE 'admin.%' ORDER BY "at"`,
  );
  expect(events.map((event) => event.kind)).toEqual(["admin.token.revoked", "admin.authorization.revoked"]);
  const [adminRow] = await queryStore<{ id: string }>(env.store, `SELECT "id" FROM "users" WHERE "username" = 'admin'`);
  for (const event of events) expect(event).toMatchObject({ actor: adminRow!.id, user_id: aliceId, client_id: DEMO_POSTMAN.clientId });
  expect(events[0]!.details).toMatchObject({ tokenKind: "refresh_token", extent: "grant" });
});
