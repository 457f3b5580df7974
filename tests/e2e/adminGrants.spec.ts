// The dashboard's grants pages in Chromium (issue #5 item 7): an
// administrator revokes one of a user's refresh tokens from the client's
// grants page, then the user's whole authorization from her own grants page;
// the tokens stop working at the token, introspection and userinfo endpoints.
// Every page passes axe-core, checked once per page. The user and the client are this test's own
// (the worker's server is shared, and the client's page lists every user's
// tokens); that a non-admin gets 403 on these pages is dashboardAccess.spec.ts's.
import { expect, test, auditLogRows, expectAccessible, addAdminSession } from "../helpers/browser";
import { authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import type { CreatedClient } from "../helpers/adminRecords";

const REDIRECT_URI = "https://grants.example.com/callback";

let base: string;
let client: CreatedClient;

test.beforeAll(async ({ gatehouse }) => {
  base = gatehouse.url;
  client = await gatehouse.createClient("grants-app", {
    displayName: "Grants App",
    clientType: "confidential",
    redirectUris: [REDIRECT_URI],
    grantTypes: ["authorization_code", "refresh_token"],
    scopes: ["email", "offline_access", "api"],
  });
});

interface Tokens {
  access_token: string;
  refresh_token: string;
}

const clientBasic = () => `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString("base64")}`;

/** The user's tokens for the client through the code flow, over HTTP with her session cookie. */
async function clientTokensFor(cookie: string, scope: string): Promise<Tokens> {
  const pkce = newPkce();
  const callback = await completeAuthorization(base, cookie, authorizeUrl(base, { clientId: client.clientId, redirectUri: REDIRECT_URI, scope, state: "s", pkce }));
  const response = await exchangeCode(base, { clientId: client.clientId, secret: client.secret!, redirectUri: REDIRECT_URI, code: callback.searchParams.get("code")!, verifier: pkce.verifier });
  expect(response.status).toBe(200);
  return (await response.json()) as Tokens;
}

async function refreshStatus(refreshToken: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${base}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: clientBasic() },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }),
  });
  const json = (await response.json()) as { error?: string };
  return { status: response.status, error: json.error };
}

async function introspectActive(token: string): Promise<boolean> {
  const response = await fetch(`${base}/connect/introspect`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: clientBasic() },
    body: new URLSearchParams({ token }),
  });
  return ((await response.json()) as { active: boolean }).active;
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${base}/connect/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

test("an administrator revokes a refresh token and then a user's authorization from the grants pages; the tokens stop working (RV-02, RT-05, IR-02)", async ({ page, browser, gatehouse }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  const user = await gatehouse.createUser("granted");
  const session = await signInOverHttp(base, user.username, user.password);
  // The pages tell the two grants apart by their scopes: only target's carry "email".
  const kept = await clientTokensFor(session.cookie, "openid offline_access api");
  const target = await clientTokensFor(session.cookie, "openid email offline_access api");
  const userGrants = `/dashboard/users/${user.id}/grants`;

  // The admin's view of the user's grants: one authorization, four live tokens.
  await addAdminSession(page.context(), gatehouse);
  await page.goto(`${base}${userGrants}`);
  await expect(page.getByRole("heading", { level: 1, name: `Grants of ${user.username}` })).toBeVisible();
  const authorizations = page.getByRole("table", { name: "Authorizations" });
  const tokens = page.getByRole("table", { name: "Live tokens" });
  await expect(authorizations.getByRole("row")).toHaveCount(2);
  await expect(authorizations.getByRole("link", { name: client.displayName })).toBeVisible();
  await expect(authorizations.getByText("Stay connected")).toBeVisible();
  await expect(tokens.getByRole("row")).toHaveCount(5);
  await expect(page.getByText(target.refresh_token)).toHaveCount(0);
  await expectAccessible(page, "the user's grants page");
  if (process.env.GATEHOUSE_SCREENSHOTS) await page.screenshot({ path: "docs/screenshots/grants.png", fullPage: true });

  // The client's grants page: revoke the newest refresh token; its grant goes with it, the older grant stays.
  await authorizations.getByRole("link", { name: client.displayName }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Grants of ${client.displayName}` })).toBeVisible();
  await expectAccessible(page, "the client's grants page");
  const clientTokens = page.getByRole("table", { name: "Live tokens" });
  await clientTokens
    .getByRole("row")
    .filter({ hasText: "Refresh token" })
    .filter({ hasText: "Your email address" })
    .getByRole("button", { name: new RegExp(`^Revoke refresh token of ${user.username}`) })
    .click();
  await expect(clientTokens.getByRole("row")).toHaveCount(3); // the header and kept's two tokens
  expect(await refreshStatus(target.refresh_token)).toEqual({ status: 400, error: "invalid_grant" });
  expect(await introspectActive(target.access_token)).toBe(false);
  expect(await introspectActive(kept.access_token)).toBe(true);

  // Back on the user's page, revoke her authorization: everything under it stops working.
  await page.getByRole("table", { name: "Authorizations" }).getByRole("link", { name: user.username }).click();
  await expect(page).toHaveURL(`${base}${userGrants}`);
  await page.getByRole("button", { name: `Revoke authorization of ${client.displayName}` }).click();
  await expect(page.getByText("No valid authorizations.")).toBeVisible();
  await expect(page.getByText("No live access or refresh tokens.")).toBeVisible();
  expect(await refreshStatus(kept.refresh_token)).toEqual({ status: 400, error: "invalid_grant" });
  expect(await introspectActive(kept.access_token)).toBe(false);
  expect(await userinfoStatus(kept.access_token)).toBe(401);

  // Not found: a malformed or unknown id.
  const missing = await page.goto(`${base}/dashboard/clients/not-a-client/grants`);
  expect(missing?.status()).toBe(404);
  await expectAccessible(page, "the 404 page");

  const events = await auditLogRows(browser, gatehouse, { user: user.username, client: client.clientId, prefix: "admin." });
  expect(events.map((event) => event.kind)).toEqual(["admin.token.revoked", "admin.authorization.revoked"]);
  for (const event of events) expect(event).toMatchObject({ actor: "admin", userId: user.id, client: client.clientId });
  expect(events[0]!.details).toMatchObject({ tokenKind: "refresh_token", extent: "grant" });
});
