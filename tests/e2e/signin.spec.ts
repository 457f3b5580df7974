// Sign-in and sign-out in Chromium with JavaScript, and framing refused by
// the browser. CONFORMANCE.md BCP-08 (303 after the credential POST, never 307)
// and BCP-09 (no framing). What a browser without JavaScript does is plain
// HTTP: tests/integration/signin.test.ts posts the same forms (303s, a foreign
// returnTo ignored, the refusal re-rendered, sign-out), and
// contentSecurityPolicy.spec.ts signs in with JavaScript disabled.
import type { Page, Response } from "@playwright/test";
import type { CreatedUser } from "../helpers/adminRecords";
import { cspViolationReported, expect, expectCspViolation, test } from "../helpers/browser";
import { signInOverHttp } from "../helpers/portal";

const REFUSED = "Incorrect username or password.";
const THROTTLED = /Too many failed sign-ins\. Try again in (\d+) (?:second|seconds|minutes)\./;
const SESSION_COOKIE = "authjs.session-token";

let base: string;
/** A user of this spec's own whose account is throttled (see throttleOverHttp), made while the other tests run. */
let throttled: Promise<CreatedUser>;

test.beforeAll(({ gatehouse }) => {
  base = gatehouse.url;
  // In the background: the throttle grows by waiting out its shorter delays, seconds the tests before
  // the throttle test spend doing something else. An account of its own: the others sign in as alice.
  throttled = gatehouse.createUser("throttled").then(async (user) => {
    await throttleOverHttp(user);
    return user;
  });
  throttled.catch(() => undefined); // awaited (and reported) by the throttle test
});

/**
 * Five failed sign-ins over HTTP, each answered with the generic refusal, then more until the page asks
 * for a wait of at least four seconds (sleeping out the shorter ones, which each attempt would only
 * lengthen): the state a user who keeps guessing reaches. tests/integration/signin.test.ts tests the
 * throttle itself; what the browser adds is the page's rendering of it.
 */
async function throttleOverHttp(user: CreatedUser): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const { response } = await signInOverHttp(base, user.username, `wrong-${i}`);
    expect(await response.text()).toContain(REFUSED);
  }
  let retryAfter = 0;
  for (let i = 0; i < 10 && retryAfter < 4; i++) {
    if (retryAfter > 0) await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    const { response } = await signInOverHttp(base, user.username, `wrong-again-${i}`);
    retryAfter = Number((await response.text()).match(THROTTLED)?.[1] ?? 0);
  }
  expect(retryAfter).toBeGreaterThanOrEqual(4);
}

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

  test("throttles the account after five failures: the page says when to try again, even for the right password", async ({ page }) => {
    // Five failures and more were sent over HTTP meanwhile (throttleOverHttp).
    const user = await throttled;
    await page.goto(`${base}/login`);
    // In the browser, a wrong password now gets the throttle's message. Should the wait have run out
    // since, each further failure lengthens it: go on until it is a few seconds, so the next attempt is well inside it.
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
    // Once Chromium has reported refusing it, the frame holds no sign-in form.
    await cspViolationReported(/frame-ancestors 'none'/);
    const victim = await (await page.waitForSelector("#victim")).contentFrame();
    expect(await victim?.locator("input[name=password]").count()).toBe(0);
  });
});
