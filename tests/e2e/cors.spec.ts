// CORS in a real browser (docs/decisions/0012-proxies-client-limits-cors.md):
// the demo SPA at http://localhost:5173 (its registered redirect URI's origin)
// redeems a code and calls userinfo with a Bearer header (a preflighted
// request); a page at another origin cannot read either endpoint. A user of
// its own, on the worker's shared server.
import type { Page } from "@playwright/test";
import { expect, test } from "../helpers/browser";
import { DEMO_SPA, authorizeUrl, newPkce } from "../helpers/codeFlow";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";

/** Opens an empty page served at `origin` (no server listens there: the browser's router answers). */
async function openPageAt(page: Page, origin: string) {
  // The page is served by the browser's router, not from a loopback socket: let it reach the server on
  // 127.0.0.1 (Chromium's Local Network Access), so that only CORS decides.
  await page.context().grantPermissions(["local-network-access"], { origin });
  await page.route(`${origin}/**`, (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>app</title>" }));
  await page.goto(`${origin}/app`);
}

/** fetch() inside the page: the status and body, or the TypeError a CORS refusal gives. */
function browserFetch(page: Page, url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, init);
        return { status: response.status, body: await response.text() };
      } catch (error) {
        return { error: String(error) };
      }
    },
    { url, init },
  );
}

test("the SPA's origin redeems a code and calls userinfo from the browser (preflight included); another origin cannot read them", async ({ page, gatehouse }) => {
  const base = gatehouse.url;
  const user = await gatehouse.createUser("cors");
  const { cookie } = await signInOverHttp(base, user.username, user.password);
  const pkce = newPkce();
  const callback = await completeAuthorization(
    base,
    cookie,
    authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid api", state: "cors", pkce }),
  );
  const code = callback.searchParams.get("code")!;

  await openPageAt(page, "http://localhost:5173");
  const redeemed = await browserFetch(page, `${base}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: DEMO_SPA.clientId,
      code,
      redirect_uri: DEMO_SPA.redirectUri,
      code_verifier: pkce.verifier,
    }).toString(),
  });
  expect(redeemed).toMatchObject({ status: 200 });
  const accessToken = (JSON.parse((redeemed as { body: string }).body) as { access_token: string }).access_token;
  // An Authorization header makes the browser send a preflight first.
  const claims = await browserFetch(page, `${base}/connect/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
  expect(claims).toMatchObject({ status: 200 });

  await openPageAt(page, "http://localhost:5174");
  const elsewhere = await browserFetch(page, `${base}/connect/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
  expect(elsewhere).toMatchObject({ error: expect.stringContaining("TypeError") });
  const tokenElsewhere = await browserFetch(page, `${base}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&client_id=postman&client_secret=postman-secret",
  });
  expect(tokenElsewhere).toMatchObject({ error: expect.stringContaining("TypeError") });
});
