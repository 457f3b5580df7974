// RP-initiated logout (/connect/logout) over real HTTP against the built
// server: alice signs in through the portal, gets an ID token for the demo
// SPA by the code flow, and signs out. CONFORMANCE.md section 9 (LO-01..LO-09)
// and DISC-04.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SignJWT, decodeProtectedHeader, generateKeyPair } from "jose";
import { DEMO_SPA, DEMO_USER, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { OPENID_CONFIGURATION_PATH, getJson } from "../helpers/oauth";
import { completeAuthorization, findForm, signInOverHttp } from "../helpers/portal";
import { sharedSeededServer } from "../helpers/sharedServer";

const POST_LOGOUT = "http://localhost:5173/";
const LOGOUT_PATH = "/connect/logout";

let suite: Awaited<ReturnType<typeof sharedSeededServer>>;
let base: string;

beforeAll(async () => {
  suite = await sharedSeededServer();
  base = suite.server.url;
});
afterAll(async () => {
  await suite?.stop();
});

async function signIn(): Promise<string> {
  const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
  expect(response.status).toBe(303);
  expect(cookie).not.toBe("");
  return cookie;
}

/** The code flow for the SPA with scope openid; returns the ID token. */
async function idTokenFor(cookie: string): Promise<string> {
  const pkce = newPkce();
  const state = randomBytes(8).toString("hex");
  const callback = await completeAuthorization(base, cookie, authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid", state, pkce }));
  const code = callback.searchParams.get("code");
  expect(code, callback.toString()).toBeTruthy();
  const response = await exchangeCode(base, { clientId: DEMO_SPA.clientId, code: code!, verifier: pkce.verifier, redirectUri: DEMO_SPA.redirectUri });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { id_token?: string };
  expect(body.id_token).toBeTruthy();
  return body.id_token!;
}

/** The error of a prompt=none authorization request with the cookie (null: a code came back). */
async function promptNoneError(cookie: string): Promise<string | null> {
  const url = authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid", state: "pn", pkce: newPkce(), extra: { prompt: "none" } });
  const response = await fetch(url, { redirect: "manual", headers: { cookie } });
  await response.arrayBuffer();
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get("location")!);
  expect(location.origin + location.pathname).toBe(DEMO_SPA.redirectUri);
  return location.searchParams.get("error");
}

function logout(cookie: string, params: Record<string, string>): Promise<Response> {
  const query = new URLSearchParams(params).toString();
  return fetch(`${base}${LOGOUT_PATH}${query ? `?${query}` : ""}`, { redirect: "manual", headers: { cookie } });
}

async function expectNoRedirect(response: Response, status = 400): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("location")).toBeNull();
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  return response.text();
}

function expectClearedCookie(response: Response) {
  const cookies = response.headers.getSetCookie();
  expect(cookies.length).toBeGreaterThan(0);
  expect(cookies.some((cookie) => /session-token=;/.test(cookie) && /Max-Age=0/.test(cookie))).toBe(true);
}

test("DISC-04: end_session_endpoint is advertised and answers", async () => {
  const { body } = await getJson<{ end_session_endpoint?: string }>(base + OPENID_CONFIGURATION_PATH);
  expect(body.end_session_endpoint).toBe(`${base}${LOGOUT_PATH}`);
  const probe = await fetch(body.end_session_endpoint!, { redirect: "manual" });
  expect(probe.status).toBe(200);
  expect(await probe.text()).toContain("You are signed out");
});

describe("LO-01 / LO-02: a valid hint and the registered post_logout_redirect_uri", () => {
  test("LO-01: redirect with state echoed exactly and nothing else; then prompt=none gives login_required", async () => {
    const cookie = await signIn();
    const hint = await idTokenFor(cookie);
    expect(await promptNoneError(cookie)).not.toBe("login_required");
    const state = `st-${randomBytes(6).toString("hex")} /+&`;
    const response = await logout(cookie, { id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT, state });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(POST_LOGOUT);
    expect([...location.searchParams.keys()]).toEqual(["state"]);
    expect(location.searchParams.get("state")).toBe(state);
    expectClearedCookie(response);
    expect(await promptNoneError(cookie)).toBe("login_required");
  });

  test("LO-02: without state the Location is the registered URI exactly", async () => {
    const cookie = await signIn();
    const hint = await idTokenFor(cookie);
    const response = await logout(cookie, { id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(POST_LOGOUT);
    expect(await promptNoneError(cookie)).toBe("login_required");
  });

  test("the same by POST with client_id", async () => {
    const cookie = await signIn();
    const hint = await idTokenFor(cookie);
    const response = await fetch(base + LOGOUT_PATH, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT, client_id: DEMO_SPA.clientId, state: "p" }),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${POST_LOGOUT}?state=p`);
    expect(await promptNoneError(cookie)).toBe("login_required");
  });
});

describe("refused requests: no redirect, and the session survives", () => {
  let cookie: string;
  let hint: string;
  beforeAll(async () => {
    cookie = await signIn();
    hint = await idTokenFor(cookie);
  });

  test.each([
    ["LO-03: unregistered", "https://evil.example.test/"],
    ["LO-04: query added", `${POST_LOGOUT}?foo=bar`],
    ["LO-04: upper-case host", "http://LOCALHOST:5173/"],
    ["LO-04: no trailing slash", "http://localhost:5173"],
    ["LO-04: registered for the SPA as a redirect_uri only", DEMO_SPA.redirectUri],
  ])("%s (%s)", async (_label, uri) => {
    await expectNoRedirect(await logout(cookie, { id_token_hint: hint, post_logout_redirect_uri: uri, state: "s" }));
  });

  test("LO-05: the hint re-encoded with alg none", async () => {
    const [, payload] = hint.split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    await expectNoRedirect(await logout(cookie, { id_token_hint: none, post_logout_redirect_uri: POST_LOGOUT, state: "s" }));
  });

  test("LO-06: the hint's claims signed with a foreign key (our kid, and another kid)", async () => {
    const claims = JSON.parse(Buffer.from(hint.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    const { privateKey } = await generateKeyPair("RS256");
    for (const kid of [decodeProtectedHeader(hint).kid!, "foreign-kid"]) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" }).sign(privateKey);
      await expectNoRedirect(await logout(cookie, { id_token_hint: forged, post_logout_redirect_uri: POST_LOGOUT, state: "s" }));
    }
  });

  test("LO-07: post_logout_redirect_uri without id_token_hint: no redirect", async () => {
    const response = await logout(cookie, { post_logout_redirect_uri: POST_LOGOUT, state: "s" });
    expect(response.headers.get("location")).toBeNull();
    expect([200, 400]).toContain(response.status);
    await response.arrayBuffer();
    // With client_id: a confirmation page, nothing ended yet.
    const confirm = await logout(cookie, { post_logout_redirect_uri: POST_LOGOUT, client_id: DEMO_SPA.clientId });
    expect(await expectNoRedirect(confirm, 200)).toContain("Sign out of Gatehouse?");
  });

  test("LO-09: client_id not matching the hint's aud, and an unknown client_id: error pages", async () => {
    await expectNoRedirect(await logout(cookie, { id_token_hint: hint, client_id: "postman", post_logout_redirect_uri: POST_LOGOUT }));
    await expectNoRedirect(await logout(cookie, { client_id: "no-such-client", post_logout_redirect_uri: POST_LOGOUT }));
  });

  test("after all of these the session is still alive", async () => {
    expect(await promptNoneError(cookie)).not.toBe("login_required");
  });
});

describe("LO-08: the user is signed out and sees a page, never a redirect", () => {
  /** GETs the confirmation page, then POSTs its form same-origin; returns the final answer. */
  async function confirmOverHttp(cookie: string, params: Record<string, string>): Promise<Response> {
    const page = await logout(cookie, params);
    const html = await expectNoRedirect(page, 200);
    expect(html).toContain("Sign out of Gatehouse?");
    expect(await promptNoneError(cookie)).not.toBe("login_required"); // a GET alone signs nobody out
    const form = findForm(html, "gatehouse_logout_confirm");
    return fetch(new URL(form.action!, base), {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: base, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form.fields),
    });
  }

  test("no parameters: confirmation, then the signed-out page", async () => {
    const cookie = await signIn();
    const response = await confirmOverHttp(cookie, {});
    expect(await expectNoRedirect(response, 200)).toContain("You are signed out");
    expectClearedCookie(response);
    expect(await promptNoneError(cookie)).toBe("login_required");
  });

  test("only state: confirmation, then the signed-out page", async () => {
    const cookie = await signIn();
    const response = await confirmOverHttp(cookie, { state: "only-state" });
    expect(await expectNoRedirect(response, 200)).toContain("You are signed out");
    expect(await promptNoneError(cookie)).toBe("login_required");
  });

  test("id_token_hint + state (no post_logout_redirect_uri): signed out at once", async () => {
    const cookie = await signIn();
    const hint = await idTokenFor(cookie);
    const response = await logout(cookie, { id_token_hint: hint, state: "s" });
    expect(await expectNoRedirect(response, 200)).toContain("You are signed out");
    expectClearedCookie(response);
    expect(await promptNoneError(cookie)).toBe("login_required");
  });

  test("a confirmation posted from another origin is refused", async () => {
    const cookie = await signIn();
    const response = await fetch(base + LOGOUT_PATH, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: "https://evil.example.test", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ gatehouse_logout_confirm: "yes" }),
    });
    await expectNoRedirect(response, 403);
    expect(await promptNoneError(cookie)).not.toBe("login_required");
  });

  test("a hint from an earlier session asks for confirmation, then redirects", async () => {
    const earlier = await signIn();
    const hint = await idTokenFor(earlier);
    const cookie = await signIn();
    const response = await confirmOverHttp(cookie, { id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT, state: "later" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${POST_LOGOUT}?state=later`);
    expect(await promptNoneError(cookie)).toBe("login_required");
  });
});
