// The authorization code flow with PKCE in Chromium, as a user meets it:
// sign in, consent, back to the app with a code, which the app exchanges.
// Tests that give consent do it as a user of their own: the worker's server is
// shared, and a consent alice gave elsewhere would skip the screen.
// prompt=none without a session (SE-01) and an unregistered redirect_uri
// (AZ-04 / BCP-02) are plain HTTP: tests/integration/authorize.test.ts checks
// them, and the browser meets them in tokenLifecycle.spec.ts and
// dashboardClients.spec.ts.
import { decodeJwt } from "jose";
import type { Page } from "@playwright/test";
import { expect, test, appNavigationAfter } from "../helpers/browser";
import { DEMO_POSTMAN, DEMO_SPA, DEMO_USER, authorizeUrl, exchangeCode, newPkce, type Pkce } from "../helpers/codeFlow";

let base: string;

test.beforeAll(({ gatehouse }) => {
  base = gatehouse.url;
});

async function signIn(page: Page, user: { username: string; password: string }) {
  await expect(page).toHaveURL(/\/login\?interaction=/);
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}


function start(clientId: string, redirectUri: string, scope: string, extra: Record<string, string> = {}) {
  const pkce = newPkce();
  const state = `state-${Math.random().toString(36).slice(2)}`;
  return { pkce, state, url: authorizeUrl(base, { clientId, redirectUri, scope, state, pkce, extra }) };
}

async function redeem(clientId: string, redirectUri: string, code: string, pkce: Pkce, secret?: string) {
  const response = await exchangeCode(base, { clientId, secret, code, verifier: pkce.verifier, redirectUri });
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return (await response.json()) as { access_token: string; token_type: string; expires_in: number; scope?: string };
}

test("AZ-01 / PK-01: the SPA (public client) signs alice in, asks consent, and redeems the code with PKCE", async ({ page, gatehouse }) => {
  const user = await gatehouse.createUser("spa-user");
  const flow = start(DEMO_SPA.clientId, DEMO_SPA.redirectUri, "profile api");
  await page.goto(flow.url);
  await signIn(page, user);

  await expect(page).toHaveURL(/\/consent\?interaction=/);
  await expect(page.getByRole("heading", { name: "Allow Demo single-page app to access your account?" })).toBeVisible();
  await expect(page.getByText("Your profile")).toBeVisible();
  await expect(page.getByText("Call the demo API on your behalf.")).toBeVisible();
  const callback = await appNavigationAfter(page, DEMO_SPA.redirectUri, () => page.getByRole("button", { name: "Allow" }).click());
  expect(callback.searchParams.get("state")).toBe(flow.state);
  expect(callback.searchParams.get("iss")).toBe(base);
  const code = callback.searchParams.get("code")!;
  expect(code.length).toBeGreaterThanOrEqual(43);

  const tokens = await redeem(DEMO_SPA.clientId, DEMO_SPA.redirectUri, code, flow.pkce);
  expect(tokens.token_type).toBe("Bearer");
  expect(tokens.scope).toBe("profile api");
  const claims = decodeJwt(tokens.access_token);
  // preferred_username reaches the access token because the api scope gives that claim the access-token destination.
  expect(claims).toMatchObject({ client_id: "spa", scope: "profile api", aud: "urn:gatehouse:api", iss: base, preferred_username: user.username });
  expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
  expect(claims.sub).toBe(user.id);

  // Remembered consent: the same request again goes straight back to the app.
  const again = start(DEMO_SPA.clientId, DEMO_SPA.redirectUri, "api");
  const second = await appNavigationAfter(page, DEMO_SPA.redirectUri, () => page.goto(again.url).catch(() => undefined));
  expect(second.searchParams.get("state")).toBe(again.state);
  const tokens2 = await redeem(DEMO_SPA.clientId, DEMO_SPA.redirectUri, second.searchParams.get("code")!, again.pkce);
  expect(decodeJwt(tokens2.access_token).sub).toBe(claims.sub);

  // SE-02: prompt=none with a session and consent succeeds silently.
  const silent = start(DEMO_SPA.clientId, DEMO_SPA.redirectUri, "api", { prompt: "none" });
  const third = await appNavigationAfter(page, DEMO_SPA.redirectUri, () => page.goto(silent.url).catch(() => undefined));
  expect(third.searchParams.get("code")).toBeTruthy();
  expect(third.searchParams.get("error")).toBeNull();
});

test("TK-01: Postman (confidential client) completes the flow and authenticates with its secret; a missing secret is explained", async ({ page, gatehouse }) => {
  const user = await gatehouse.createUser("postman-user");
  const flow = start(DEMO_POSTMAN.clientId, DEMO_POSTMAN.redirectUri, "api");
  await page.goto(flow.url);
  await signIn(page, user);
  const callback = await appNavigationAfter(page, DEMO_POSTMAN.redirectUri, () => page.getByRole("button", { name: "Allow" }).click());
  const code = callback.searchParams.get("code")!;

  const withoutSecret = await exchangeCode(base, { clientId: DEMO_POSTMAN.clientId, code, verifier: flow.pkce.verifier, redirectUri: DEMO_POSTMAN.redirectUri });
  expect(withoutSecret.status).toBe(401);
  const refusal = await withoutSecret.json();
  expect(refusal.error).toBe("invalid_client");
  expect(refusal.error_description).toMatch(/public client/);

  const tokens = await redeem(DEMO_POSTMAN.clientId, DEMO_POSTMAN.redirectUri, code, flow.pkce, DEMO_POSTMAN.secret);
  expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: "postman", scope: "api" });
});

test("deny sends access_denied back to the app, with state and iss", async ({ page }) => {
  const flow = start(DEMO_SPA.clientId, DEMO_SPA.redirectUri, "email", { prompt: "consent" });
  await page.goto(flow.url);
  await signIn(page, DEMO_USER); // denying changes nothing alice has
  const callback = await appNavigationAfter(page, DEMO_SPA.redirectUri, () => page.getByRole("button", { name: "Deny" }).click());
  expect(callback.searchParams.get("error")).toBe("access_denied");
  expect(callback.searchParams.get("state")).toBe(flow.state);
  expect(callback.searchParams.get("iss")).toBe(base);
  expect(callback.searchParams.get("code")).toBeNull();
});
