// The page policy in Chromium (issue #10 item 8): scripts run only with the
// response's nonce, and without JavaScript the sign-in and consent forms'
// posts still reach the client, because form-action names the client's
// redirect origin (Chromium applies form-action to the redirects that follow
// a form post: login → 303 /connect/authorize → 302 redirect_uri). Every spec
// also fails on any violation (tests/helpers/browser.ts).
import type { Browser, Page } from "@playwright/test";
import { appNavigationAfter, expect, expectCspViolation, test } from "../helpers/browser";
import { DEMO_SPA, authorizeUrl, newPkce } from "../helpers/codeFlow";

let base: string;

test.beforeAll(({ gatehouse }) => {
  base = gatehouse.url;
});

const SPA_ORIGIN = new URL(DEMO_SPA.redirectUri).origin;

function formAction(policy: string | undefined): string[] {
  const found = (policy ?? "").split(";").map((part) => part.trim().split(/\s+/)).find(([name]) => name === "form-action");
  return found?.slice(1) ?? [];
}

function spaAuthorization(state: string) {
  return authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "profile api", state, pkce: newPkce() });
}

async function signIn(page: Page, user: { username: string; password: string }) {
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function withoutJavaScript(browser: Browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  return { context, page: await context.newPage() };
}

test("every script of a page carries that response's nonce, and the page works under the policy", async ({ page }) => {
  const response = await page.goto(`${base}/login`);
  const policy = response!.headers()["content-security-policy"]!;
  const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
  expect(nonce).toBeTruthy();
  expect(policy).not.toMatch(/unsafe-inline|unsafe-eval/);
  const scriptNonces = await page.evaluate(() => Array.from(document.scripts, (script) => script.nonce));
  expect(scriptNonces.length).toBeGreaterThan(0);
  expect(new Set(scriptNonces)).toEqual(new Set([nonce]));
  // Hydrated: the browser-side check (react-hook-form with the shared schema) answers an empty submit.
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#username-error")).toBeVisible();
});

test("control: Chromium applies form-action to the redirect that follows a form post, so the client's origin must be listed", async ({ browser }) => {
  const { context, page } = await withoutJavaScript(browser);
  try {
    // A page on this origin whose form posts a prompt=none authorization request: without a session the
    // endpoint answers 302 to the client's redirect URI (login_required), like a sign-in or consent post ends.
    const request = new URL(spaAuthorization("control"));
    request.searchParams.set("prompt", "none");
    const inputs = [...request.searchParams].map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join("");
    const servePolicy = (policy: string) =>
      page.route(`${base}/csp-control`, (route) =>
        route.fulfill({
          status: 200,
          headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": policy },
          body: `<!doctype html><title>control</title><form method="post" action="/connect/authorize">${inputs}<button>Send</button></form>`,
        }),
      );
    const toClient: string[] = [];
    page.on("request", (sent) => {
      if (sent.url().startsWith(SPA_ORIGIN)) toClient.push(sent.url());
    });

    await servePolicy("form-action 'self'");
    await page.goto(`${base}/csp-control`);
    expectCspViolation(/form-action/);
    const refused = page.waitForEvent("console", { predicate: (message) => /form-action/.test(message.text()) });
    await page.getByRole("button", { name: "Send" }).click();
    await refused;
    expect(toClient).toEqual([]);

    await page.unroute(`${base}/csp-control`);
    await servePolicy(`form-action 'self' ${SPA_ORIGIN}`);
    await page.goto(`${base}/csp-control`);
    const reached = await appNavigationAfter(page, DEMO_SPA.redirectUri, () => page.getByRole("button", { name: "Send" }).click());
    expect(reached.searchParams.get("error")).toBe("login_required");
  } finally {
    await context.close();
  }
});

test("without JavaScript, sign-in and consent posts end at the client: both pages' form-action names its origin", async ({ browser, gatehouse }) => {
  // A user of its own: the consent this test gives is remembered, and the shared server's other tests must not see it.
  const user = await gatehouse.createUser("no-js");
  const { context, page } = await withoutJavaScript(browser);
  try {
    const login = page.waitForResponse((candidate) => candidate.url().startsWith(`${base}/login?`));
    await page.goto(spaAuthorization("no-js-consent"));
    expect(formAction((await login).headers()["content-security-policy"])).toEqual(["'self'", SPA_ORIGIN]);

    const consent = page.waitForResponse((candidate) => candidate.url().startsWith(`${base}/consent?`) && candidate.request().method() === "GET");
    await signIn(page, user);
    expect(formAction((await consent).headers()["content-security-policy"])).toEqual(["'self'", SPA_ORIGIN]);
    await expect(page.getByRole("button", { name: "Allow" })).toBeVisible();

    const callback = await appNavigationAfter(page, DEMO_SPA.redirectUri, () => page.getByRole("button", { name: "Allow" }).click());
    expect(callback.searchParams.get("state")).toBe("no-js-consent");
    expect(callback.searchParams.get("code")).toBeTruthy();

    // Consent is remembered now: in a new browser, the sign-in post itself ends at the client.
    const fresh = await withoutJavaScript(browser);
    try {
      await fresh.page.goto(spaAuthorization("no-js-remembered"));
      await expect(fresh.page).toHaveURL(/\/login\?interaction=/);
      const direct = await appNavigationAfter(fresh.page, DEMO_SPA.redirectUri, () => signIn(fresh.page, user));
      expect(direct.searchParams.get("state")).toBe("no-js-remembered");
      expect(direct.searchParams.get("code")).toBeTruthy();
    } finally {
      await fresh.context.close();
    }
  } finally {
    await context.close();
  }
});
