// Sign-in and sign-out in Chromium with JavaScript, and framing refused by
// the browser. CONFORMANCE.md BCP-08 (303 after the credential POST, never 307)
// and BCP-09 (no framing). What a browser without JavaScript does is plain
// HTTP: tests/integration/signin.test.ts posts the same forms (303s, a foreign
// returnTo ignored, the refusal re-rendered, sign-out), and
// contentSecurityPolicy.spec.ts signs in with JavaScript disabled.
import type { Page, Response } from "@playwright/test";
import { expect, expectCspViolation, test } from "../helpers/browser";

const REFUSED = "Incorrect username or password.";
const THROTTLED = /Too many failed sign-ins\. Try again in (\d+) (?:second|seconds|minutes)\./;
const SESSION_COOKIE = "authjs.session-token";

let base: string;

test.beforeAll(({ gatehouse }) => {
  base = gatehouse.url;
});

async function fillAndSubmit(page: Page, username: string, password: string) {
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function sessionCookie(page: Page) {
  return (await page.context().cookies()).find((cookie) => cookie.name === SESSION_COOKIE);
}

/** GET /api/auth/session with exactly this cookie (not the browser's jar). */
async function sessionWith(page: Page, value: string) {
  const response = await page.request.get(`${base}/api/auth/session`, { headers: { cookie: `${SESSION_COOKIE}=${value}` } });
  return response.json();
}

function recordStatuses(page: Page): number[] {
  const statuses: number[] = [];
  page.on("response", (response: Response) => statuses.push(response.status()));
  return statuses;
}

test.describe("with JavaScript", () => {
  test("signs in with the username and lands on the home page, signed in", async ({ page }) => {
    const statuses = recordStatuses(page);
    await page.goto(`${base}/login`);
    await fillAndSubmit(page, "alice", "alice-password");
    await page.waitForURL(`${base}/`);
    await expect(page.getByText("Signed in as alice")).toBeVisible();
    const cookie = await sessionCookie(page);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(statuses).not.toContain(307);
    expect(await sessionWith(page, cookie!.value)).toMatchObject({ user: { name: "alice" } });
  });

  test("signs in with the email address and honours returnTo", async ({ page }) => {
    await page.goto(`${base}/login?returnTo=${encodeURIComponent("/logout?from=login")}`);
    await fillAndSubmit(page, "alice@example.com", "alice-password");
    await page.waitForURL(`${base}/logout?from=login`);
    await expect(page.getByText("You are signed in as alice")).toBeVisible();
  });

  test("prefills the username from login_hint", async ({ page }) => {
    await page.goto(`${base}/login?login_hint=alice%40example.com`);
    await expect(page.getByLabel("Username or email")).toHaveValue("alice@example.com");
    await expect(page.getByLabel("Username or email")).toHaveAttribute("autocomplete", "username");
    await expect(page.getByLabel("Password")).toHaveAttribute("autocomplete", "current-password");
  });

  test("checks empty fields in the browser with the shared schema, before any request", async ({ page }) => {
    await page.goto(`${base}/login`);
    let posted = false;
    page.on("request", (request) => {
      if (request.method() === "POST") posted = true;
    });
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText("Enter your username or email address.")).toBeVisible();
    await expect(page.getByText("Enter your password.")).toBeVisible();
    expect(posted).toBe(false);
  });

  test("a wrong password shows the one generic message and keeps the username", async ({ page }) => {
    await page.goto(`${base}/login`);
    await fillAndSubmit(page, "alice", "not-the-password");
    await expect(page.getByText(REFUSED)).toBeVisible();
    await expect(page.getByLabel("Username or email")).toHaveValue("alice");
    await expect(page.getByLabel("Password")).toHaveValue("");
    expect(await sessionCookie(page)).toBeUndefined();
  });

  test("an unknown user gets exactly the same message", async ({ page }) => {
    await page.goto(`${base}/login`);
    await fillAndSubmit(page, "nobody-here", "alice-password");
    await expect(page.getByText(REFUSED)).toBeVisible();
  });

  test("sign-out ends the session: the old cookie is no longer valid anywhere", async ({ page }) => {
    await page.goto(`${base}/login`);
    await fillAndSubmit(page, "alice", "alice-password");
    await page.waitForURL(`${base}/`);
    const cookie = (await sessionCookie(page))!;
    await page.goto(`${base}/logout`);
    await expect(page.getByText("You are signed in as alice")).toBeVisible();
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "You are signed out" })).toBeVisible();
    expect(await sessionCookie(page)).toBeUndefined();
    // Replaying the cookie a browser might have kept: the session row is ended.
    expect(await sessionWith(page, cookie.value)).toBeNull();
    await page.goto(`${base}/`);
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  });

  test("the home page's Sign out button signs out too", async ({ page }) => {
    await page.goto(`${base}/login`);
    await fillAndSubmit(page, "alice", "alice-password");
    await page.waitForURL(`${base}/`);
    const cookie = (await sessionCookie(page))!;
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "You are signed out" })).toBeVisible();
    expect(await sessionWith(page, cookie.value)).toBeNull();
  });

  test("throttles the account after five failures: the page says when to try again, even for the right password", async ({ page, gatehouse }) => {
    // An account of its own: the shared server's other tests sign in as admin and alice.
    const user = await gatehouse.createUser("throttled");
    await page.goto(`${base}/login`);
    for (let i = 0; i < 5; i++) {
      await fillAndSubmit(page, user.username, `wrong-${i}`);
      await expect(page.getByText(REFUSED)).toBeVisible();
      await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
    }
    // Grow the wait to a few seconds (sleeping out the shorter ones), so the next attempt is well inside it.
    let retryAfter = 0;
    for (let i = 0; i < 10 && retryAfter < 4; i++) {
      if (retryAfter > 0) await page.waitForTimeout(retryAfter * 1000);
      const answered = page.waitForResponse((response) => response.request().method() === "POST");
      await fillAndSubmit(page, user.username, `wrong-again-${i}`);
      await answered;
      await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
      const message = page.getByText(THROTTLED).or(page.getByText(REFUSED));
      await expect(message).toBeVisible();
      retryAfter = Number(((await message.textContent()) ?? "").match(THROTTLED)?.[1] ?? 0);
    }
    expect(retryAfter).toBeGreaterThanOrEqual(4);
    await page.getByLabel("Password").fill(user.password);
    const answered = page.waitForResponse((response) => response.request().method() === "POST");
    await page.getByRole("button", { name: "Sign in" }).click();
    await answered;
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
    await expect(page.getByText(THROTTLED)).toBeVisible();
    await expect(page.getByText(REFUSED)).toHaveCount(0);
    expect(page.url()).toContain("/login");
    expect(await sessionCookie(page)).toBeUndefined();
  });
});

test.describe("BCP-09: the login page cannot be framed", () => {
  test("BCP-09: /login sends frame-ancestors 'none' and X-Frame-Options DENY, and Chromium refuses to frame it", async ({ page }) => {
    const response = await page.goto(`${base}/login`);
    expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(response?.headers()["x-frame-options"]).toBe("DENY");
    expect(response?.headers()["referrer-policy"]).toBe("no-referrer");

    // A page on another origin (127.0.0.1 instead of localhost) tries to frame it: Chromium reports that refusal.
    expectCspViolation(/frame-ancestors 'none'/);
    const other = base.replace("localhost", "127.0.0.1");
    await page.goto(`${other}/.well-known/openid-configuration`);
    await page.setContent(
      `<iframe id="control" src="${base}/.well-known/openid-configuration"></iframe>` +
        `<iframe id="victim" src="${base}/login" width="600" height="400"></iframe>`,
    );
    // The control (a JSON document without frame-ancestors) does load in a frame…
    const control = await (await page.waitForSelector("#control")).contentFrame();
    await expect(control!.locator("body")).toContainText('"issuer"');
    // …the login page does not.
    const victim = await (await page.waitForSelector("#victim")).contentFrame();
    await page.waitForTimeout(300);
    expect(await victim?.locator("input[name=password]").count()).toBe(0);
  });
});
