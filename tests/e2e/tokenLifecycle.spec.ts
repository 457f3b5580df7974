// The whole life of a sign-in in Chromium: sign in, consent, tokens (with an
// ID token and a refresh token), userinfo, refresh, then RP-initiated logout
// back to the app, after which a silent request finds no session. A user of
// its own, on the worker's shared server.
import { createRemoteJWKSet, jwtVerify } from "jose";
import { expect, test, appNavigationAfter } from "../helpers/browser";
import { DEMO_SPA, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";

const POST_LOGOUT_URI = "http://localhost:5173/";

test("sign in, tokens, userinfo, refresh, RP-initiated logout, then prompt=none finds no session (RT-01, UI-01, LO-01)", async ({ page, gatehouse }) => {
  const base = gatehouse.url;
  const user = await gatehouse.createUser("lifecycle");
  const pkce = newPkce();
  const nonce = `n-${Date.now()}`;
  const url = authorizeUrl(base, {
    clientId: DEMO_SPA.clientId,
    redirectUri: DEMO_SPA.redirectUri,
    scope: "openid profile offline_access api",
    state: "lifecycle",
    pkce,
    extra: { nonce },
  });
  await page.goto(url);
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/consent\?interaction=/);
  await expect(page.getByText("Stay connected")).toBeVisible();
  const callback = await appNavigationAfter(page, DEMO_SPA.redirectUri, () => page.getByRole("button", { name: "Allow" }).click());
  expect(callback.searchParams.get("state")).toBe("lifecycle");

  const exchanged = await exchangeCode(base, {
    clientId: DEMO_SPA.clientId,
    code: callback.searchParams.get("code")!,
    verifier: pkce.verifier,
    redirectUri: DEMO_SPA.redirectUri,
  });
  expect(exchanged.status).toBe(200);
  const tokens = (await exchanged.json()) as { access_token: string; id_token: string; refresh_token: string };
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
  const { payload: idToken } = await jwtVerify(tokens.id_token, jwks, { issuer: base, audience: DEMO_SPA.clientId });
  expect(idToken.nonce).toBe(nonce);
  expect(idToken.preferred_username).toBe(user.username);

  const userinfo = await fetch(`${base}/connect/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  expect(userinfo.status).toBe(200);
  expect((await userinfo.json()).sub).toBe(idToken.sub);

  const refreshed = await fetch(`${base}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: DEMO_SPA.clientId, refresh_token: tokens.refresh_token }),
  });
  expect(refreshed.status).toBe(200);
  const renewed = (await refreshed.json()) as { access_token: string; id_token: string; refresh_token: string };
  expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
  const { payload: renewedId } = await jwtVerify(renewed.id_token, jwks, { issuer: base, audience: DEMO_SPA.clientId });
  expect(renewedId.sub).toBe(idToken.sub);
  expect(renewedId.auth_time).toBe(idToken.auth_time);

  // RP-initiated logout: the app sends the browser to /connect/logout with its ID token.
  const logoutUrl = new URL(`${base}/connect/logout`);
  logoutUrl.search = new URLSearchParams({ id_token_hint: renewed.id_token, post_logout_redirect_uri: POST_LOGOUT_URI, state: "bye" }).toString();
  const back = await appNavigationAfter(page, POST_LOGOUT_URI, () => page.goto(logoutUrl.toString()).catch(() => undefined));
  expect(back.searchParams.get("state")).toBe("bye");

  // The portal session is over: a silent request comes back with login_required.
  const silent = authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid", state: "after", pkce: newPkce(), extra: { prompt: "none" } });
  const after = await appNavigationAfter(page, DEMO_SPA.redirectUri, () => page.goto(silent).catch(() => undefined));
  expect(after.searchParams.get("error")).toBe("login_required");
  expect(after.searchParams.get("state")).toBe("after");
});
