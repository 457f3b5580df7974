// The authorization endpoint over real HTTP against the built server, with
// the sign-in and consent pages driven like a browser without JavaScript.
// CONFORMANCE.md sections 2 (AZ-*), 4 (PK-05..07), 8 (SE-*) and 11 (BCP-*).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeJwt } from "jose";
import { DEMO_POSTMAN, DEMO_SPA, DEMO_USER, exchangeCode, newPkce, type Pkce } from "../helpers/codeFlow";
import { ERROR_CHARACTERS } from "../helpers/oauth";
import { completeAuthorization, findForm, signInOverHttp, submitConsentOverHttp } from "../helpers/portal";
import { startSeededServer, TEST_ADMIN_PASSWORD } from "../helpers/server";

let suite: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;
let authorizeEndpoint: string;
/** alice's session. */
let alice: string;

beforeAll(async () => {
  suite = await startSeededServer();
  base = suite.server.url;
  authorizeEndpoint = `${base}/connect/authorize`;
  alice = await signIn(DEMO_USER.username, DEMO_USER.password);
});
afterAll(async () => {
  await suite?.stop();
});

async function signIn(username: string, password: string, query = ""): Promise<string> {
  const { cookie, response } = await signInOverHttp(base, username, password, query);
  expect(response.status, `sign-in of ${username}`).toBe(303);
  expect(cookie).toContain("authjs.session-token=");
  return cookie;
}

type Pairs = [string, string][];

/** A valid request for `client` as ordered pairs; `changes` replaces (string) or drops (null) parameters. */
function request(
  changes: Record<string, string | null> = {},
  { client = DEMO_SPA as { clientId: string; redirectUri: string }, pkce = newPkce() as Pkce } = {},
): Pairs {
  const values: Record<string, string | null> = {
    client_id: client.clientId,
    response_type: "code",
    redirect_uri: client.redirectUri,
    scope: "api",
    state: `state-${randomBytes(8).toString("hex")}`,
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
    ...changes,
  };
  return Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== null);
}

// biome-ignore lint/suspicious/noShadowRestrictedNames: a module-level helper; nothing here calls Object.prototype.valueOf
const valueOf = (pairs: Pairs, name: string) => pairs.find(([key]) => key === name)?.[1] ?? null;

function urlOf(pairs: Pairs): string {
  return `${authorizeEndpoint}?${new URLSearchParams(pairs)}`;
}

function authorize(pairs: Pairs, { cookie, headers = {} }: { cookie?: string; headers?: Record<string, string> } = {}) {
  return fetch(urlOf(pairs), { redirect: "manual", headers: { ...headers, ...(cookie ? { cookie } : {}) } });
}

/** BCP-09 / AZ-04 / AZ-07: a 400 HTML page that cannot be framed, and no redirect anywhere. */
async function expectErrorPage(response: Response, title?: RegExp) {
  const html = await response.text();
  expect(response.status, html.slice(0, 300)).toBe(400);
  expect(response.headers.get("location")).toBeNull();
  expect(response.headers.get("content-type")).toMatch(/^text\/html\b/);
  expect(response.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("cache-control")).toMatch(/no-store/);
  expect(response.headers.get("referrer-policy")).toBe("no-referrer"); // BCP-15
  expect(html).toContain("You have not been redirected");
  if (title) expect(html).toMatch(title);
  return html;
}

/** %x20-21 / %x23-5B / %x5D-7E, plus tab, CR and LF for error_description (CONFORMANCE AZ-03). */
const DESCRIPTION_CHARACTERS = /^[\t\n\r\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * AZ-03 / AZ-21 / BCP-11: a 303 to the redirect_uri whose only parameters are
 * error, error_description, state (when the request had exactly one) and iss.
 */
function expectErrorRedirect(response: Response, redirectUri: string, error: string | string[], state: string | null): URLSearchParams {
  const location = response.headers.get("location");
  expect(response.status, `Location: ${location}`).toBe(303);
  expect(location).toBeTruthy();
  expect(location!.startsWith(`${redirectUri}?`), location!).toBe(true);
  const params = new URL(location!).searchParams;
  const names = [...params.keys()];
  expect(new Set(names).size, location!).toBe(names.length);
  for (const name of names) expect(["error", "error_description", "state", "iss"], location!).toContain(name);
  expect(Array.isArray(error) ? error : [error], location!).toContain(params.get("error"));
  expect(params.get("error")).toMatch(ERROR_CHARACTERS);
  if (params.has("error_description")) expect(params.get("error_description")).toMatch(DESCRIPTION_CHARACTERS);
  expect(params.get("iss")).toBe(base);
  expect(params.get("state")).toBe(state);
  expect(params.has("code")).toBe(false);
  return params;
}

/** A success redirect straight to the client (no page in between). */
function expectCodeRedirect(response: Response, redirectUri: string, state: string | null): string {
  const location = response.headers.get("location");
  expect(response.status, `Location: ${location}`).toBe(303);
  expect(location!.startsWith(`${redirectUri}?`), location!).toBe(true);
  return expectCodeCallback(new URL(location!), redirectUri, state);
}

/** AZ-01 / AZ-21: the callback has code, the state unchanged and iss. Returns the code. */
function expectCodeCallback(callback: URL, redirectUri: string, state: string | null): string {
  expect(`${callback.origin}${callback.pathname}`, callback.toString()).toBe(redirectUri);
  expect(callback.searchParams.get("error"), callback.toString()).toBeNull();
  expect(callback.searchParams.get("state")).toBe(state);
  expect(callback.searchParams.get("iss")).toBe(base);
  const code = callback.searchParams.get("code");
  expect(code).toMatch(/^[A-Za-z0-9_-]+$/);
  return code!;
}

/** Runs a request with alice's session through consent; returns the code. */
async function codeFor(pairs: Pairs, cookie = alice): Promise<string> {
  const callback = await completeAuthorization(base, cookie, urlOf(pairs));
  return expectCodeCallback(callback, valueOf(pairs, "redirect_uri") ?? DEMO_SPA.redirectUri, valueOf(pairs, "state"));
}

async function redeemedScope(code: string, pkce: Pkce, client: { clientId: string; redirectUri: string; secret?: string } = DEMO_SPA) {
  const response = await exchangeCode(base, { clientId: client.clientId, secret: client.secret, code, verifier: pkce.verifier, redirectUri: client.redirectUri });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return (JSON.parse(text) as { scope?: string }).scope;
}

function pathOf(location: string | null): string {
  return new URL(location!, base).pathname;
}

describe("error page, never a redirect, while the client or redirect_uri is in doubt", () => {
  test("AZ-07 / BCP-09: unknown client_id gives a 400 HTML page that cannot be framed", async () => {
    const html = await expectErrorPage(await authorize(request({ client_id: "no-such-client" })), /Unknown application/);
    expect(html).not.toContain(DEMO_SPA.redirectUri);
  });

  test("AZ-07: missing client_id gives the error page", async () => {
    await expectErrorPage(await authorize(request({ client_id: null })));
  });

  test("AZ-07: a client_id with control characters gives the error page", async () => {
    await expectErrorPage(await authorize(request({ client_id: "spa\u0000" })));
  });

  test("AZ-19 / AZ-07: client_id sent twice gives the error page", async () => {
    await expectErrorPage(await authorize([["client_id", "spa"], ...request()]));
  });

  test("AZ-19: redirect_uri sent twice gives the error page", async () => {
    await expectErrorPage(await authorize([...request(), ["redirect_uri", DEMO_SPA.redirectUri]]));
  });

  const suffix = randomBytes(6).toString("hex");
  test.each([
    ["AZ-04: registered URI plus a random suffix", DEMO_SPA, `${DEMO_SPA.redirectUri}${suffix}`],
    ["AZ-04: registered URI plus an extra path segment", DEMO_SPA, `${DEMO_SPA.redirectUri}/${suffix}`],
    ["AZ-05: trailing slash", DEMO_SPA, `${DEMO_SPA.redirectUri}/`],
    ["AZ-05: upper-case host", DEMO_SPA, "http://LOCALHOST:5173/callback"],
    ["AZ-05: fragment", DEMO_SPA, `${DEMO_SPA.redirectUri}#fragment`],
    ["AZ-05: added query", DEMO_SPA, `${DEMO_SPA.redirectUri}?extra=1`],
    ["AZ-05: another port on the loopback host", DEMO_SPA, "http://localhost:5174/callback"],
    ["AZ-05: :443 added to the https URI", DEMO_POSTMAN, "https://oauth.pstmn.io:443/v1/callback"],
    ["AZ-05: upper-case host of the https URI", DEMO_POSTMAN, "https://OAUTH.PSTMN.IO/v1/callback"],
    ["AZ-05: http instead of https", DEMO_POSTMAN, "http://oauth.pstmn.io/v1/callback"],
    ["AZ-05 / BCP-01: another client's registered URI", DEMO_POSTMAN, DEMO_SPA.redirectUri],
  ])("%s gives the error page (BCP-02: no open redirector)", async (_label, client, redirectUri) => {
    const response = await authorize(request({ redirect_uri: redirectUri }, { client }));
    const html = await expectErrorPage(response, /Unregistered redirect URI/);
    expect(html).not.toContain(redirectUri.replace(/&/g, "&amp;"));
  });

  test("AZ-06: an unregistered redirect_uri wins over any other error (response_type missing, prompt=none)", async () => {
    await expectErrorPage(await authorize(request({ redirect_uri: `${DEMO_SPA.redirectUri}/x`, response_type: null, prompt: "none" })));
  });

  test("an unknown interaction id gives the expired-request page", async () => {
    await expectErrorPage(await authorize([["interaction", randomBytes(32).toString("base64url")]]), /expired/);
  });
});

describe("errors go back to the client with only error, error_description, state and iss", () => {
  test("AZ-02: response_type missing gives invalid_request (or unsupported_response_type), state echoed, no code", async () => {
    const pairs = request({ response_type: null });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, ["invalid_request", "unsupported_response_type"], valueOf(pairs, "state"));
  });

  test.each(["token", "id_token", "code id_token", "code token"])("BCP-14: response_type=%s gives unsupported_response_type", async (responseType) => {
    const pairs = request({ response_type: responseType });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "unsupported_response_type", valueOf(pairs, "state"));
  });

  test("AZ-19: state sent twice gives invalid_request and neither state is echoed", async () => {
    const pairs: Pairs = [...request({ state: "first-state" }), ["state", "second-state"]];
    const response = await authorize(pairs);
    const params = expectErrorRedirect(response, DEMO_SPA.redirectUri, "invalid_request", null);
    expect(response.headers.get("location")).not.toMatch(/first-state|second-state/);
    expect(params.get("error_description")).toMatch(/state/);
  });

  test("AZ-19: any other parameter sent twice (scope) gives invalid_request with the state", async () => {
    const pairs: Pairs = [...request(), ["scope", "profile"]];
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "invalid_request", valueOf(pairs, "state"));
  });

  test("AZ-14: a request object is refused with request_not_supported, not ignored", async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ client_id: "spa", redirect_uri: DEMO_SPA.redirectUri })).toString("base64url")}.`;
    const pairs = request({ request: unsigned });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "request_not_supported", valueOf(pairs, "state"));
  });

  test("AZ-14: request_uri is refused with request_uri_not_supported", async () => {
    const pairs = request({ request_uri: "https://client.example/request.jwt" });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "request_uri_not_supported", valueOf(pairs, "state"));
  });

  test.each([
    ["public client (spa)", DEMO_SPA],
    ["confidential client (postman)", DEMO_POSTMAN],
  ])("PK-06: no code_challenge from a %s gives invalid_request", async (_label, client) => {
    const pairs = request({ code_challenge: null, code_challenge_method: null }, { client });
    const params = expectErrorRedirect(await authorize(pairs), client.redirectUri, "invalid_request", valueOf(pairs, "state"));
    expect(params.get("error_description")).toMatch(/PKCE/);
  });

  test("PK-05: code_challenge_method=plain gives invalid_request", async () => {
    const pkce = newPkce();
    const pairs = request({ code_challenge: pkce.verifier, code_challenge_method: "plain" });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "invalid_request", valueOf(pairs, "state"));
  });

  test("PK-05: no code_challenge_method (default plain) and an unknown method give invalid_request", async () => {
    for (const method of [null, "S512"]) {
      const pairs = request({ code_challenge_method: method });
      expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "invalid_request", valueOf(pairs, "state"));
    }
  });

  test("PK-07: code_challenge_method without code_challenge gives invalid_request", async () => {
    const pairs = request({ code_challenge: null });
    const params = expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "invalid_request", valueOf(pairs, "state"));
    expect(params.get("error_description")).toMatch(/code_challenge/);
  });

  test.each([
    ["42 characters", "a".repeat(42)],
    ["44 characters", "a".repeat(44)],
    ["129 characters", "a".repeat(129)],
    ["base64 (not base64url) characters", `${"a".repeat(41)}+/`],
    ["a character outside the alphabet", `${"a".repeat(42)}.`],
  ])("PK-07: a malformed S256 challenge (%s) gives invalid_request", async (_label, challenge) => {
    const pairs = request({ code_challenge: challenge });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "invalid_request", valueOf(pairs, "state"));
  });

  test.each([
    ["an unknown scope", "api no-such-scope"],
    ["a scope with a control character", "api\u0007"],
  ])("invalid_scope for %s", async (_label, scope) => {
    const pairs = request({ scope });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "invalid_scope", valueOf(pairs, "state"));
  });

  test.each([
    ["an unsupported prompt value", { prompt: "bogus" }],
    ["prompt=none combined with login", { prompt: "none login" }],
    ["a negative max_age", { max_age: "-1" }],
    ["a huge max_age", { max_age: "99999999999" }],
    ["a max_age over ten years", { max_age: String(11 * 365 * 24 * 3600) }],
    ["a non-numeric max_age", { max_age: "1e3" }],
    ["response_mode=fragment", { response_mode: "fragment" }],
  ])("AZ-20: %s gives invalid_request", async (_label, changes) => {
    const pairs = request(changes);
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "invalid_request", valueOf(pairs, "state"));
  });

  test.each([
    ["response_type", 'tök"én\\\u0001'],
    ["code_challenge_method", 'pla"in\u00e9'],
    ["prompt", 'bad"\u00a7'],
  ])("AZ-03: an error about a strange %s still has an error_description of allowed characters only", async (name, value) => {
    const pairs = request({ [name]: value });
    const params = expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, ["invalid_request", "unsupported_response_type"], valueOf(pairs, "state"));
    expect(params.get("error_description")).toBeTruthy();
  });

  test("BCP-12: a 128-character state is echoed byte for byte on an error", async () => {
    const state = `${randomBytes(90).toString("base64url")}+/= &%~.`.slice(0, 128);
    expect(state).toHaveLength(128);
    const pairs = request({ state, response_type: "token" });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "unsupported_response_type", state);
  });

  test("without state, the error redirect has no state parameter", async () => {
    const pairs = request({ state: null, response_type: "token" });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "unsupported_response_type", null);
  });

  test("RFC 6749 §3.1.2.3: redirect_uri may be omitted when the client has exactly one registered; errors still go there", async () => {
    const pairs = request({ redirect_uri: null, response_type: "token" });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "unsupported_response_type", valueOf(pairs, "state"));
  });
});

describe("BCP-10: no CORS on the authorization endpoint", () => {
  const origin = "https://evil.example";
  const expectNoCors = (response: Response) => {
    const cors = [...response.headers.keys()].filter((name) => name.toLowerCase().startsWith("access-control-"));
    expect(cors).toEqual([]);
  };

  test("an error page, an error redirect, a login redirect and a success redirect carry no Access-Control-* header", async () => {
    expectNoCors(await authorize(request({ client_id: "no-such-client" }), { headers: { Origin: origin } }));
    expectNoCors(await authorize(request({ response_type: "token" }), { headers: { Origin: origin } }));
    expectNoCors(await authorize(request(), { headers: { Origin: origin } }));
    await codeFor(request({ scope: "api" })); // consent for the silent request below
    const pairs = request({ scope: "api", prompt: "none" });
    const silent = await authorize(pairs, { cookie: alice, headers: { Origin: origin } });
    expectCodeRedirect(silent, DEMO_SPA.redirectUri, valueOf(pairs, "state"));
    expectNoCors(silent);
  });

  test("a CORS preflight is not answered with CORS headers", async () => {
    const response = await fetch(authorizeEndpoint, {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "GET" },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toMatch(/GET/);
    expectNoCors(response);
  });
});

describe("success with alice signed in", () => {
  test("AZ-01 / AZ-21 / BCP-13: the code is at least 128 bits, unique, and comes back with state and iss", async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const pkce = newPkce();
      const pairs = request({ scope: "api", nonce: randomBytes(8).toString("hex") }, { pkce });
      const code = await codeFor(pairs);
      // base64url: 6 bits a character.
      expect(code.length * 6).toBeGreaterThanOrEqual(128);
      expect(new Set(code).size).toBeGreaterThan(16);
      codes.add(code);
      if (i === 0) expect(await redeemedScope(code, pkce)).toBe("api");
    }
    expect(codes.size).toBe(3);
  });

  test("BCP-12: a 128-character state is echoed byte for byte on success", async () => {
    const state = `${randomBytes(90).toString("base64url")}+/= &%~.`.slice(0, 128);
    await codeFor(request({ state }));
  });

  test("AZ-08: an unknown parameter (extra=foobar) is ignored", async () => {
    await codeFor(request({ extra: "foobar" }));
  });

  test("AZ-09: reordered query parameters and scope values in reverse order succeed", async () => {
    const pkce = newPkce();
    const forward = request({ scope: "profile api" }, { pkce });
    await codeFor(forward);
    const reversed = request({ scope: "api profile" }, { pkce }).reverse();
    expect(reversed[0]![0]).toBe("code_challenge_method");
    const code = await codeFor(reversed);
    expect((await redeemedScope(code, pkce))?.split(" ").sort()).toEqual(["api", "profile"]);
  });

  test("AZ-10: the authorization request sent as a form POST succeeds", async () => {
    const pkce = newPkce();
    const pairs = request({ scope: "api" }, { pkce });
    const post = (cookie?: string) =>
      fetch(authorizeEndpoint, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", Origin: "http://localhost:5173", ...(cookie ? { cookie } : {}) },
        body: new URLSearchParams(pairs).toString(),
      });
    const response = await post(alice);
    expect(response.status).toBe(303);
    const callback = await completeAuthorization(base, alice, response.headers.get("location")!);
    expect(await redeemedScope(expectCodeCallback(callback, DEMO_SPA.redirectUri, valueOf(pairs, "state")), pkce)).toBe("api");

    // Cross-site, a browser sends no SameSite=Lax cookie with the POST: the request waits for the sign-in.
    const anonymous = await post();
    expect(anonymous.status).toBe(303);
    const login = new URL(anonymous.headers.get("location")!);
    expect(login.pathname).toBe("/login");
    const { cookie, response: signedIn } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password, login.search);
    expect(signedIn.status).toBe(303);
    expectCodeCallback(await completeAuthorization(base, cookie, signedIn.headers.get("location")!), DEMO_SPA.redirectUri, valueOf(pairs, "state"));
  });

  test("AZ-10: a POST that is not form-encoded gives the error page", async () => {
    const response = await fetch(authorizeEndpoint, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(Object.fromEntries(request())),
    });
    await expectErrorPage(response);
  });

  test.each([
    ["display=page", { display: "page" }],
    ["display=popup", { display: "popup" }],
    ["ui_locales=se", { ui_locales: "se" }],
    ["claims_locales=se", { claims_locales: "se" }],
    ["login_hint", { login_hint: DEMO_USER.email }],
  ])("AZ-11: %s completes the flow", async (_label, changes) => {
    await codeFor(request(changes));
  });

  test("AZ-11: login_hint is passed on to the login page when there is no session", async () => {
    const response = await authorize(request({ login_hint: DEMO_USER.email }));
    const login = new URL(response.headers.get("location")!);
    expect(login.pathname).toBe("/login");
    expect(login.searchParams.get("login_hint")).toBe(DEMO_USER.email);
    // The request travels sealed (base64url), not stored (decision 0010).
    expect(login.searchParams.get("interaction")).toMatch(/^[A-Za-z0-9_-]{64,}$/);
  });

  test("AZ-12: acr_values completes the flow", async () => {
    await codeFor(request({ acr_values: "urn:mace:incommon:iap:silver 1" }));
  });

  test("AZ-13: a request without nonce is issued a code; so is one with openid and a nonce", async () => {
    await codeFor(request({ nonce: null }));
    await codeFor(request({ scope: "openid api", nonce: randomBytes(8).toString("hex") }));
  });
});

describe("prompt, max_age and the login session (SE-*)", () => {
  test("SE-01: prompt=none without a session gives login_required with a 128-character state intact and no code", async () => {
    const state = randomBytes(96).toString("base64url");
    expect(state).toHaveLength(128);
    const pairs = request({ prompt: "none", state });
    expectErrorRedirect(await authorize(pairs), DEMO_SPA.redirectUri, "login_required", state);
  });

  test("SE-01: prompt=none with a forged session cookie gives login_required", async () => {
    const pairs = request({ prompt: "none" });
    const response = await authorize(pairs, { cookie: "authjs.session-token=forged" });
    expectErrorRedirect(response, DEMO_SPA.redirectUri, "login_required", valueOf(pairs, "state"));
  });

  test("SE-02: prompt=none with a session and remembered consent gives a code without any page", async () => {
    await codeFor(request({ scope: "profile" }));
    const pkce = newPkce();
    const pairs = request({ scope: "profile", prompt: "none" }, { pkce });
    const code = expectCodeRedirect(await authorize(pairs, { cookie: alice }), DEMO_SPA.redirectUri, valueOf(pairs, "state"));
    expect(await redeemedScope(code, pkce)).toBe("profile");
  });

  test("prompt=none with a session but without consent gives consent_required", async () => {
    // admin has never consented to anything.
    const admin = await signIn("admin", TEST_ADMIN_PASSWORD);
    const pairs = request({ scope: "email", prompt: "none" }, { client: DEMO_POSTMAN });
    expectErrorRedirect(await authorize(pairs, { cookie: admin }), DEMO_POSTMAN.redirectUri, "consent_required", valueOf(pairs, "state"));
    // The same request without prompt=none shows the consent page.
    const shown = await authorize(request({ scope: "email" }, { client: DEMO_POSTMAN }), { cookie: admin });
    expect(pathOf(shown.headers.get("location"))).toBe("/consent");
  });

  test("SE-04: prompt=login with a session sends the user to /login; the old session cannot skip it, a new sign-in completes it", async () => {
    await codeFor(request({ scope: "email" })); // consent, so only the sign-in is in the way
    const pairs = request({ scope: "email", prompt: "login" });
    const first = await authorize(pairs, { cookie: alice });
    expect(first.status).toBe(303);
    const login = new URL(first.headers.get("location")!);
    expect(login.pathname).toBe("/login");
    const interaction = login.searchParams.get("interaction")!;

    // Coming back with the session that existed before the request: back to /login.
    const stale = await fetch(`${authorizeEndpoint}?interaction=${interaction}`, { redirect: "manual", headers: { cookie: alice } });
    expect(stale.status).toBe(303);
    expect(pathOf(stale.headers.get("location"))).toBe("/login");

    const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password, login.search);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/connect/authorize?interaction=${interaction}`);
    const callback = await completeAuthorization(base, cookie, response.headers.get("location")!);
    expectCodeCallback(callback, DEMO_SPA.redirectUri, valueOf(pairs, "state"));

    // The interaction is single-use.
    await expectErrorPage(await fetch(`${authorizeEndpoint}?interaction=${interaction}`, { redirect: "manual", headers: { cookie } }), /expired/);
  });

  test("SE-07: max_age=0 always sends the user to /login, and the sign-in then completes the request (no loop)", async () => {
    const pairs = request({ scope: "email", max_age: "0" });
    const first = await authorize(pairs, { cookie: alice });
    const login = new URL(first.headers.get("location")!);
    expect(login.pathname).toBe("/login");
    const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password, login.search);
    expect(response.status).toBe(303);
    expectCodeCallback(await completeAuthorization(base, cookie, response.headers.get("location")!), DEMO_SPA.redirectUri, valueOf(pairs, "state"));
  });

  test("SE-05: max_age=1 passes right after a sign-in, and sends the user to /login two seconds later", async () => {
    const cookie = await signIn(DEMO_USER.username, DEMO_USER.password);
    await codeFor(request({ scope: "profile", max_age: "1" }), cookie);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const later = await authorize(request({ scope: "profile", max_age: "1" }), { cookie });
    expect(pathOf(later.headers.get("location"))).toBe("/login");
    const pairs = request({ scope: "profile", max_age: "1", prompt: "none" });
    expectErrorRedirect(await authorize(pairs, { cookie }), DEMO_SPA.redirectUri, "login_required", valueOf(pairs, "state"));
  });

  test("SE-06: a large max_age with a fresh session needs no new sign-in", async () => {
    await codeFor(request({ scope: "email" }));
    const pairs = request({ scope: "email", max_age: "10000", prompt: "none" });
    expectCodeRedirect(await authorize(pairs, { cookie: alice }), DEMO_SPA.redirectUri, valueOf(pairs, "state"));
  });
});

describe("consent", () => {
  test("remembered consent skips the screen the second time", async () => {
    const first = await authorize(request({ scope: "offline_access" }, { client: DEMO_POSTMAN }), { cookie: alice });
    expect(pathOf(first.headers.get("location"))).toBe("/consent");
    await completeAuthorization(base, alice, first.headers.get("location")!);
    const pairs = request({ scope: "offline_access" }, { client: DEMO_POSTMAN });
    expectCodeRedirect(await authorize(pairs, { cookie: alice }), DEMO_POSTMAN.redirectUri, valueOf(pairs, "state"));
  });

  test("BCP-09 / BCP-15: the consent page cannot be framed, is not cached and sends no referrer", async () => {
    const consent = (await authorize(request({ scope: "email", prompt: "consent" }), { cookie: alice })).headers.get("location")!;
    const page = await fetch(new URL(consent, base), { headers: { cookie: alice } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("cache-control")).toMatch(/no-store/);
    expect(await page.text()).toMatch(/name="decision"/);
  });

  test("prompt=consent shows the screen again although consent is remembered", async () => {
    await codeFor(request({ scope: "api" }));
    const again = await authorize(request({ scope: "api", prompt: "consent" }), { cookie: alice });
    expect(pathOf(again.headers.get("location"))).toBe("/consent");
  });

  test("Deny sends access_denied back to the client, with state and iss and no code", async () => {
    const pairs = request({ scope: "api", prompt: "consent" });
    const consent = (await authorize(pairs, { cookie: alice })).headers.get("location")!;
    expect(pathOf(consent)).toBe("/consent");
    const decided = await submitConsentOverHttp(base, alice, consent, "deny");
    expect(decided.status).toBe(303);
    const resumed = await fetch(new URL(decided.headers.get("location")!, base), { redirect: "manual", headers: { cookie: alice } });
    expectErrorRedirect(resumed, DEMO_SPA.redirectUri, "access_denied", valueOf(pairs, "state"));
  });

  test("unticking a scope grants only the others: the token's scope shows it", async () => {
    const pkce = newPkce();
    const pairs = request({ scope: "profile email api", prompt: "consent" }, { pkce });
    const consent = (await authorize(pairs, { cookie: alice })).headers.get("location")!;
    expect(pathOf(consent)).toBe("/consent");
    const decided = await submitConsentOverHttp(base, alice, consent, "allow", ["profile", "api"]);
    expect(decided.status).toBe(303);
    const resumed = await fetch(new URL(decided.headers.get("location")!, base), { redirect: "manual", headers: { cookie: alice } });
    const code = expectCodeRedirect(resumed, DEMO_SPA.redirectUri, valueOf(pairs, "state"));
    const response = await exchangeCode(base, { clientId: DEMO_SPA.clientId, code, verifier: pkce.verifier, redirectUri: DEMO_SPA.redirectUri });
    const tokens = (await response.json()) as { scope?: string; access_token: string };
    expect(tokens.scope).toBe("profile api");
    expect(decodeJwt(tokens.access_token).scope).toBe("profile api");
  });

  /** The consent form of a fresh prompt=consent request, as rendered for alice. */
  async function consentForm(pairs: Pairs) {
    const consent = new URL((await authorize(pairs, { cookie: alice })).headers.get("location")!, base);
    expect(consent.pathname).toBe("/consent");
    const form = findForm(await (await fetch(consent, { headers: { cookie: alice } })).text(), "decision");
    const body = new FormData();
    for (const input of form.inputs) if (input.type === "hidden") body.append(input.name, input.value);
    return { consent, body };
  }

  test("a forged consent post cannot grant a scope that was not requested", async () => {
    const pkce = newPkce();
    const pairs = request({ scope: "api", prompt: "consent" }, { pkce });
    const { consent, body } = await consentForm(pairs);
    for (const scope of ["api", "email", "offline_access"]) body.append("scope", scope);
    body.append("decision", "allow");
    const decided = await fetch(consent, { method: "POST", body, redirect: "manual", headers: { Origin: base, cookie: alice } });
    expect(decided.status).toBe(303);
    const resumed = await fetch(new URL(decided.headers.get("location")!, base), { redirect: "manual", headers: { cookie: alice } });
    const code = expectCodeRedirect(resumed, DEMO_SPA.redirectUri, valueOf(pairs, "state"));
    expect(await redeemedScope(code, pkce)).toBe("api");
  });

  test("a consent form posted from another site is refused with 403 and decides nothing", async () => {
    const pairs = request({ scope: "api", prompt: "consent" });
    const { consent, body } = await consentForm(pairs);
    body.append("scope", "api");
    body.append("decision", "allow");
    const forged = await fetch(consent, { method: "POST", body, redirect: "manual", headers: { Origin: "https://evil.example", cookie: alice } });
    expect(forged.status).toBe(403);
    // The interaction still waits for alice's decision: resuming it shows the consent page again.
    const resumed = await fetch(`${authorizeEndpoint}?interaction=${consent.searchParams.get("interaction")}`, { redirect: "manual", headers: { cookie: alice } });
    expect(pathOf(resumed.headers.get("location"))).toBe("/consent");
  });

  test("the consent page of an interaction belongs to the user it was made for", async () => {
    const consent = (await authorize(request({ scope: "email", prompt: "consent" }), { cookie: alice })).headers.get("location")!;
    const admin = await signIn("admin", TEST_ADMIN_PASSWORD);
    const page = await fetch(new URL(consent, base), { headers: { cookie: admin } });
    const html = await page.text();
    expect(html).toContain("This request has expired");
    expect(html).not.toMatch(/name="decision"/);
  });
});
