// Sign-in and sign-out over real HTTP, the way a browser without JavaScript
// does it: GET /login, post the server action form (multipart, with the
// hidden fields React rendered), follow nothing automatically.
// CONFORMANCE.md BCP-08 (303 after the credential POST) and BCP-09 (framing).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cookieJar, findForm } from "../helpers/portal";
import { startSeededServer, TEST_ADMIN_PASSWORD } from "../helpers/server";

const REFUSED = "Incorrect username or password.";
const THROTTLED = /Too many failed sign-ins\. Try again in (\d+) (?:second|seconds|minutes)\./;
const SESSION_COOKIE = "authjs.session-token";

let suite: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;

beforeAll(async () => {
  suite = await startSeededServer();
  base = suite.server.url;
});
afterAll(async () => {
  await suite?.stop();
});

async function loginForm(query = "", init: RequestInit = {}) {
  const page = await fetch(`${base}/login${query}`, init);
  expect(page.status).toBe(200);
  return { page, form: findForm(await page.text(), "username") };
}

interface Submission {
  username: string;
  password: string;
  query?: string;
  /** Replace or add fields after the rendered ones (a forged post). */
  override?: Record<string, string>;
  headers?: Record<string, string>;
  cookie?: string;
}

/** Submits the sign-in form like a browser without JavaScript. */
async function submitLogin({ username, password, query = "", override = {}, headers = {}, cookie }: Submission) {
  const { form } = await loginForm(query, cookie ? { headers: { cookie } } : {});
  const body = new FormData();
  for (const [name, value] of form.fields) {
    if (name === "username" || name === "password" || name in override) continue;
    body.append(name, value);
  }
  body.append("username", username);
  body.append("password", password);
  for (const [name, value] of Object.entries(override)) body.append(name, value);
  return fetch(`${base}/login${query}`, {
    method: "POST",
    body,
    redirect: "manual",
    headers: { Origin: base, ...(cookie ? { cookie } : {}), ...headers },
  });
}

async function sessionOf(cookie: string) {
  const response = await fetch(`${base}/api/auth/session`, { headers: { cookie } });
  expect(response.status).toBe(200);
  return response.json() as Promise<{ user?: { name?: string } } | null>;
}

describe("the sign-in page", () => {
  test("BCP-09: /login cannot be framed and sends no referrer", async () => {
    const { page } = await loginForm();
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
  });

  test("renders a form that posts without JavaScript, with labelled autocomplete fields", async () => {
    const { form } = await loginForm();
    expect(form.method?.toUpperCase()).toBe("POST");
    expect(form.enctype).toBe("multipart/form-data");
    expect(form.fields.some(([name]) => name.startsWith("$ACTION_"))).toBe(true);
    expect(form.html).toMatch(/<label[^>]*for="username"/);
    expect(form.html).toMatch(/<label[^>]*for="password"/);
    expect(form.html).toMatch(/autoComplete="username"|autocomplete="username"/);
    expect(form.html).toMatch(/autoComplete="current-password"|autocomplete="current-password"/);
  });

  test("prefills the username from login_hint, keeps a valid interaction and returnTo as hidden fields", async () => {
    const interaction = randomBytes(32).toString("base64url");
    const { form } = await loginForm(`?login_hint=alice%40example.com&interaction=${interaction}&returnTo=%2Faccount`);
    expect(form.fields).toContainEqual(["username", "alice@example.com"]);
    expect(form.fields).toContainEqual(["interaction", interaction]);
    expect(form.fields).toContainEqual(["returnTo", "/account"]);
  });

  test("drops an invalid interaction and a foreign returnTo from the form", async () => {
    const { form } = await loginForm("?interaction=short&returnTo=%2F%2Fevil.example");
    expect(form.fields.map(([name]) => name)).not.toContain("interaction");
    expect(form.fields.map(([name]) => name)).not.toContain("returnTo");
  });
});

describe("signing in without JavaScript", () => {
  test("BCP-08: the credential POST is answered with 303 (not 307) and an HttpOnly, SameSite=Lax session cookie", async () => {
    const response = await submitLogin({ username: "alice", password: "alice-password" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(setCookie).toBeDefined();
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Lax/i);
    expect(setCookie).toMatch(/;\s*Path=\//i);
    expect(setCookie).not.toMatch(/;\s*Secure/i); // http://localhost issuer
    expect(await sessionOf(cookieJar(response))).toMatchObject({ user: { name: "alice" } });
  });

  test("signs in with the email address and honours a same-origin returnTo", async () => {
    const response = await submitLogin({ username: "Alice@Example.com", password: "alice-password", query: "?returnTo=%2Faccount%3Ftab%3D1" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/account?tab=1");
    expect(await sessionOf(cookieJar(response))).toMatchObject({ user: { name: "alice" } });
  });

  test("BCP-08: resumes the authorization request of an interaction with a 303", async () => {
    const interaction = randomBytes(32).toString("base64url");
    const response = await submitLogin({ username: "alice", password: "alice-password", query: `?interaction=${interaction}` });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/connect/authorize?interaction=${interaction}`);
  });

  test.each([
    ["an absolute URL", "https://evil.example/"],
    ["a scheme-relative URL", "//evil.example/"],
    ["a backslash trick", "/\\evil.example"],
  ])("ignores %s as returnTo, even when forged into the form, and lands on /", async (_label, evil) => {
    const response = await submitLogin({
      username: "alice",
      password: "alice-password",
      query: `?returnTo=${encodeURIComponent(evil)}`,
      override: { returnTo: evil },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
  });

  test("refuses a wrong password and an unknown user with the same single message, and sets no cookie", async () => {
    for (const [username, password] of [
      ["alice", "not-alice-password"],
      ["no-such-user", "alice-password"],
    ]) {
      const response = await submitLogin({ username: username!, password: password! });
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain(REFUSED);
      expect(html).not.toMatch(/unknown user|wrong password|no such/i);
      expect(response.headers.getSetCookie().filter((c) => c.startsWith(SESSION_COOKIE))).toEqual([]);
    }
  });

  test("the refused form comes back with the username kept and the password empty", async () => {
    const response = await submitLogin({ username: "alice", password: "wrong-password" });
    const form = findForm(await response.text(), "username");
    expect(form.fields).toContainEqual(["username", "alice"]);
    expect(form.inputs.find((input) => input.name === "password")?.value).toBe("");
  });

  test("answers an empty field with the schema's message, not a sign-in attempt", async () => {
    const response = await submitLogin({ username: "alice", password: "" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Enter your password.");
  });

  test("throttles an account after five failures from one address: the next attempt waits, told when to try again, whatever the password", async () => {
    for (let i = 0; i < 5; i++) {
      const failed = await submitLogin({ username: "admin", password: `wrong-${i}` });
      expect(await failed.text()).toContain(REFUSED);
    }
    // Grow the wait to a few seconds (sleeping out the shorter ones), so the next check is well inside it.
    let retryAfter = 0;
    for (let i = 0; i < 10 && retryAfter < 4; i++) {
      if (retryAfter > 0) await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      const html = await (await submitLogin({ username: "admin", password: `wrong-again-${i}` })).text();
      retryAfter = Number(html.match(THROTTLED)?.[1] ?? 0);
    }
    expect(retryAfter).toBeGreaterThanOrEqual(4);
    const throttled = await submitLogin({ username: "admin", password: TEST_ADMIN_PASSWORD });
    expect(throttled.status).toBe(200);
    const html = await throttled.text();
    expect(html).toMatch(THROTTLED);
    expect(html).not.toContain(REFUSED);
    expect(throttled.headers.getSetCookie().filter((c) => c.startsWith(SESSION_COOKIE))).toEqual([]);
    // Another account from the same address is not affected.
    expect((await submitLogin({ username: "alice", password: "alice-password" })).status).toBe(303);
  });
});

describe("signing out", () => {
  test("the /logout form ends the session row and clears the cookie", async () => {
    const signedIn = await submitLogin({ username: "alice", password: "alice-password" });
    const cookie = cookieJar(signedIn);
    const page = await fetch(`${base}/logout`, { headers: { cookie } });
    const html = await page.text();
    expect(html).toContain("alice");
    const form = findForm(html, "Sign out");
    const body = new FormData();
    for (const [name, value] of form.fields) body.append(name, value);
    const response = await fetch(`${base}/logout`, { method: "POST", body, redirect: "manual", headers: { Origin: base, cookie } });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/logout");
    expect(response.headers.getSetCookie().join("\n")).toMatch(new RegExp(`${SESSION_COOKIE}=;`));
    // The old cookie is dead everywhere, even if a browser kept it.
    expect(await sessionOf(cookie)).toBeNull();
    const after = await fetch(`${base}/logout`, { headers: { cookie } });
    expect(await after.text()).toContain("You are signed out");
  });

  test("the home page says who is signed in and offers sign-out; signed out it offers sign-in", async () => {
    const signedIn = await submitLogin({ username: "alice", password: "alice-password" });
    const home = await (await fetch(`${base}/`, { headers: { cookie: cookieJar(signedIn) } })).text();
    expect(home).toMatch(/Signed in as <strong[^>]*>alice<\/strong>/);
    const anonymous = await (await fetch(`${base}/`)).text();
    expect(anonymous).toMatch(/href="\/login"/);
  });
});

describe("the @auth/core endpoints under /api/auth", () => {
  test("session without a cookie is null; signin goes to /login; the credentials callback is closed", async () => {
    expect(await sessionOf("")).toBeNull();
    const signin = await fetch(`${base}/api/auth/signin`, { redirect: "manual" });
    expect(signin.status).toBe(303);
    expect(signin.headers.get("location")).toBe("/login");
    const callback = await fetch(`${base}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "username=alice&password=alice-password",
    });
    expect(callback.status).toBe(404);
  });

  test("csrf hands out a token; signout without it is refused and ends nothing", async () => {
    const signedIn = await submitLogin({ username: "alice", password: "alice-password" });
    const cookie = cookieJar(signedIn);
    const csrf = await fetch(`${base}/api/auth/csrf`, { headers: { cookie } });
    expect((await csrf.json()).csrfToken).toMatch(/^[0-9a-f]{64}$/);
    await fetch(`${base}/api/auth/signout`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: "csrfToken=forged",
    });
    expect(await sessionOf(cookie)).toMatchObject({ user: { name: "alice" } });
  });
});

describe("cross-origin server action posts", () => {
  test("a sign-in form posted from another site is refused with 403 and a page that says why", async () => {
    const response = await submitLogin({ username: "alice", password: "alice-password", headers: { Origin: "https://evil.example" } });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.text()).toContain("This form was sent from another site");
  });

  test("so is a fetch-style server action call (Next-Action header) and an opaque origin", async () => {
    for (const origin of ["https://evil.example", "null"]) {
      const response = await fetch(`${base}/login`, {
        method: "POST",
        headers: { Origin: origin, "Next-Action": "0".repeat(42), "content-type": "text/plain;charset=UTF-8" },
        body: "[]",
      });
      expect(response.status).toBe(403);
    }
  });

  test("a same-origin form post with Origin: null (what browsers send under Referrer-Policy: no-referrer) works when Sec-Fetch-Site says same-origin", async () => {
    const response = await submitLogin({
      username: "alice",
      password: "alice-password",
      headers: { Origin: "null", "Sec-Fetch-Site": "same-origin" },
    });
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(true);
  });

  test("Origin: null without Sec-Fetch-Site, or a cross-site Sec-Fetch-Site, is refused with 403", async () => {
    const cases: Record<string, string>[] = [{ Origin: "null" }, { "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site" }, { Origin: "null", "Sec-Fetch-Site": "cross-site" }];
    for (const headers of cases) {
      const response = await submitLogin({ username: "alice", password: "alice-password", headers });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  test("a post without an Origin header (not a browser form) is handled normally", async () => {
    const { form } = await loginForm();
    const body = new FormData();
    for (const [name, value] of form.fields) if (name !== "username" && name !== "password") body.append(name, value);
    body.append("username", "alice");
    body.append("password", "alice-password");
    const response = await fetch(`${base}/login`, { method: "POST", body, redirect: "manual" });
    expect(response.status).toBe(303);
  });
});

describe("the throttle's client address", () => {
  test("is the connection's, whatever x-gatehouse-client-ip or X-Forwarded-For the client sends (GATEHOUSE_TRUST_PROXY unset)", async () => {
    // Spoofed addresses would make each guess a new (account, address) pair, with ten free failures
    // per account; the real address keeps one pair, whose five free failures run out first.
    let admitted = 0;
    for (let i = 0; i < 12; i++) {
      const response = await submitLogin({
        username: "nobody-spoofing",
        password: "guess",
        headers: { "x-gatehouse-client-ip": `203.0.113.${i}`, "x-forwarded-for": `198.51.100.${i}` },
      });
      if (THROTTLED.test(await response.text())) break;
      admitted++;
    }
    expect(admitted).toBeGreaterThanOrEqual(5);
    expect(admitted).toBeLessThan(10);
  });
});
