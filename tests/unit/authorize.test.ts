// GET/POST /connect/authorize (lib/oauth/authorize.ts): the order of checks,
// error pages versus error redirects, sessions, consent types, interactions
// and the code itself. Row ids refer to shared/CONFORMANCE.md.
import { describe, expect, it } from "vitest";
import { AUTHORIZATION_CODE_MAX_LIFETIME, INTERACTION_LIFETIME } from "@/lib/oauth/authorize";
import { recordConsentDecision } from "@/lib/oauth/consent";
import { hashOpaqueValue } from "@/lib/oauth/secrets";
import {
  MULTI_CALLBACKS,
  PKCE,
  QUERY_CALLBACK,
  SPA_CALLBACK,
  WEB_CALLBACK,
  codeFrom,
  codeRequestParams,
  createAuthorizeFixture,
  redirectLocation,
  type AuthorizeFixture,
} from "./fakes";

const ISSUER = "https://id.example.test";
/** RFC 6749 §4.1.2.1 / §5.2: error and error_description characters. */
const ERROR_CHARS = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;
const DESCRIPTION_CHARS = /^[\x09\x0A\x0D\x20-\x21\x23-\x5B\x5D-\x7E]+$/;
const STATE_128 = "S".repeat(20) + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._~" + "x".repeat(128 - 20 - 66);

const web = (overrides: Record<string, string | null> = {}) => codeRequestParams("web-app", WEB_CALLBACK, overrides);
const spa = (overrides: Record<string, string | null> = {}) => codeRequestParams("spa", SPA_CALLBACK, overrides);
const forClient = (clientId: string, overrides: Record<string, string | null> = {}) =>
  codeRequestParams(clientId, `https://${clientId}.example.test/cb`, overrides);

/** BCP-09 / BCP-15: every interactive response carries these. */
function expectPageSecurityHeaders(response: Response) {
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  // BCP-10: never CORS on the authorization endpoint.
  expect(response.headers.get("access-control-allow-origin")).toBeNull();
}

/** An error the user sees: no redirect anywhere. */
async function expectErrorPage(response: Response, status = 400): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("location")).toBeNull();
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  expectPageSecurityHeaders(response);
  return response.text();
}

/** AZ-03 / AZ-21: an error sent back to the client, and nothing else. */
function expectErrorRedirect(response: Response, redirectUri: string, error: string, state: string | null): URL {
  const location = redirectLocation(response);
  expectPageSecurityHeaders(response);
  const registered = new URL(redirectUri);
  expect(location.origin + location.pathname).toBe(registered.origin + registered.pathname);
  const params = location.searchParams;
  const own = [...params.keys()].filter((name) => !registered.searchParams.has(name));
  expect(own.sort()).toEqual(["error", "error_description", "iss", ...(state === null ? [] : ["state"])].sort());
  expect(params.get("error")).toBe(error);
  expect(params.get("error")).toMatch(ERROR_CHARS);
  expect(params.get("error_description")).toMatch(DESCRIPTION_CHARS);
  expect(params.get("iss")).toBe(ISSUER);
  expect(params.get("state")).toBe(state);
  expect(params.has("code")).toBe(false);
  return location;
}

/** A successful authorization response: code, state, iss and nothing else (AZ-01, AZ-21). */
function expectCodeRedirect(response: Response, redirectUri: string, state: string | null): string {
  const location = redirectLocation(response);
  expectPageSecurityHeaders(response);
  const registered = new URL(redirectUri);
  expect(location.origin + location.pathname).toBe(registered.origin + registered.pathname);
  const own = [...location.searchParams.keys()].filter((name) => !registered.searchParams.has(name));
  expect(own.sort()).toEqual(["code", "iss", ...(state === null ? [] : ["state"])].sort());
  expect(location.searchParams.get("iss")).toBe(ISSUER);
  expect(location.searchParams.get("state")).toBe(state);
  return codeFrom(response);
}

/**
 * A redirect to one of our own pages: returns the interaction reference. The
 * consent page gets a stored interaction's id; the login page the sealed request
 * (decision 0010), or the id of a consent interaction the user must sign in again for.
 */
function expectPage(response: Response, page: "login" | "consent"): string {
  const location = redirectLocation(response);
  expectPageSecurityHeaders(response);
  expect(location.origin).toBe(ISSUER);
  expect(location.pathname).toBe(`/${page}`);
  const id = location.searchParams.get("interaction");
  expect(id).toMatch(page === "consent" ? /^[A-Za-z0-9_-]{43}$/ : /^[A-Za-z0-9_-]{43}$|^[A-Za-z0-9_-]{64,}$/);
  return id!;
}

function storedCode(fx: AuthorizeFixture, code: string) {
  const row = fx.codes.codes.get(hashOpaqueValue(code));
  if (!row) throw new Error("code not stored");
  return row;
}

/** Signs in, asks for consent with `web-app`, and returns the consent interaction id. */
async function reachConsentScreen(fx: AuthorizeFixture, overrides: Record<string, string | null> = {}) {
  fx.signIn();
  const params = web(overrides);
  const id = expectPage(await fx.get(params), "consent");
  return { id, params };
}

// ---------------------------------------------------------------------------

describe("authorize: client and redirect_uri are checked before any redirect", () => {
  it("AZ-07 a missing client_id gives an error page", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await expectErrorPage(await fx.get(web({ client_id: null })));
  });

  it("AZ-07 an unknown client_id gives an error page that does not reflect it", async () => {
    const fx = createAuthorizeFixture();
    const html = await expectErrorPage(await fx.get(web({ client_id: "<script>alert(1)</script>" })));
    expect(html).not.toContain("<script>alert");
  });

  it("AZ-07 an empty client_id counts as missing", async () => {
    const fx = createAuthorizeFixture();
    await expectErrorPage(await fx.get(web({ client_id: "" })));
  });

  it("AZ-07 a disabled client gives an error page", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await expectErrorPage(await fx.get(forClient("disabled-app")));
  });

  it("AZ-19 a duplicated client_id gives an error page", async () => {
    const fx = createAuthorizeFixture();
    const params = Object.entries(web()).filter((entry): entry is [string, string] => entry[1] !== null);
    await expectErrorPage(await fx.get([...params, ["client_id", "web-app"]]));
  });

  it("AZ-04 the registered redirect_uri plus a random suffix gives an error page", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await expectErrorPage(await fx.get(web({ redirect_uri: WEB_CALLBACK + "x7Gq" })));
  });

  it.each([
    ["explicit :443", "https://app.example.test:443/callback"],
    ["upper-case host", "https://APP.example.test/callback"],
    ["trailing slash", "https://app.example.test/callback/"],
    ["extra path", "https://app.example.test/callback/more"],
    ["extra query", "https://app.example.test/callback?x=1"],
    ["fragment", "https://app.example.test/callback#frag"],
    ["http scheme", "http://app.example.test/callback"],
    ["percent-encoded path", "https://app.example.test/%63allback"],
  ])("AZ-05 / BCP-01 a variant of the registered URI (%s) gives an error page", async (_name, variant) => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await expectErrorPage(await fx.get(web({ redirect_uri: variant })));
  });

  it("AZ-17 a registered query with a parameter added or changed gives an error page", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await expectErrorPage(await fx.get(codeRequestParams("query-app", QUERY_CALLBACK + "&dummy3=foo")));
    await expectErrorPage(await fx.get(codeRequestParams("query-app", QUERY_CALLBACK.replace("ipsum", "other"))));
    await expectErrorPage(await fx.get(codeRequestParams("query-app", "https://query.example.test/cb")));
  });

  it("AZ-19 a duplicated redirect_uri gives an error page, even with both values registered", async () => {
    const fx = createAuthorizeFixture();
    const params = Object.entries(codeRequestParams("multi-app", MULTI_CALLBACKS[0]!)).filter(
      (entry): entry is [string, string] => entry[1] !== null,
    );
    await expectErrorPage(await fx.get([...params, ["redirect_uri", MULTI_CALLBACKS[1]!]]));
  });

  it("AZ-18 no redirect_uri while the client has several registered gives an error page", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await expectErrorPage(await fx.get(codeRequestParams("multi-app", null)));
  });

  it("AZ-06 a bad redirect_uri wins over every other error", async () => {
    const fx = createAuthorizeFixture();
    const bad = "https://evil.example.test/cb";
    const cases: Array<Record<string, string | null>> = [
      { response_type: "token" },
      { response_type: null },
      { request: "eyJhbGciOiJub25lIn0.e30." },
      { scope: "openid admin" },
      { code_challenge: null },
      { prompt: "none" },
      { max_age: "-1" },
    ];
    for (const overrides of cases) {
      await expectErrorPage(await fx.get(web({ redirect_uri: bad, ...overrides })));
    }
  });

  it("BCP-02 prompt=none with an unknown client or redirect_uri never redirects", async () => {
    const fx = createAuthorizeFixture();
    await expectErrorPage(await fx.get(web({ client_id: "nobody", prompt: "none" })));
    await expectErrorPage(await fx.get(web({ redirect_uri: "https://evil.example.test/", prompt: "none" })));
  });

  it("a client store failure is a 500 error page, not a redirect", async () => {
    const fx = createAuthorizeFixture();
    fx.clients.failWith = new Error("database down");
    const html = await expectErrorPage(await fx.get(web()), 500);
    expect(html).not.toContain("database down");
  });

  it("PUT is 405 with Allow: GET, POST", async () => {
    const fx = createAuthorizeFixture();
    const response = await fx.authorize(new Request(`${ISSUER}/connect/authorize`, { method: "PUT" }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
  });

  it("a POST that is not form-encoded gives an error page", async () => {
    const fx = createAuthorizeFixture();
    await expectErrorPage(await fx.post(web(), "application/json"));
  });
});

describe("authorize: errors are redirected to a valid redirect_uri with state and iss", () => {
  it("AZ-19 a repeated state is invalid_request and the state is not echoed", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = Object.entries(web({ state: "first" })).filter((entry): entry is [string, string] => entry[1] !== null);
    expectErrorRedirect(await fx.get([...params, ["state", "second"]]), WEB_CALLBACK, "invalid_request", null);
  });

  it("AZ-19 a repeated scope is invalid_request with state echoed", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = Object.entries(web({ state: "s1" })).filter((entry): entry is [string, string] => entry[1] !== null);
    const location = expectErrorRedirect(await fx.get([...params, ["scope", "openid"]]), WEB_CALLBACK, "invalid_request", "s1");
    expect(location.searchParams.get("error_description")).toContain("scope");
  });

  it("AZ-14 a request object is request_not_supported", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(web({ state: "s", request: "eyJhbGciOiJub25lIn0.e30." })), WEB_CALLBACK, "request_not_supported", "s");
  });

  it("AZ-14 request_uri is request_uri_not_supported", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(
      await fx.get(web({ state: "s", request_uri: "https://app.example.test/request.jwt" })),
      WEB_CALLBACK,
      "request_uri_not_supported",
      "s",
    );
  });

  it("AZ-02 a missing response_type is invalid_request with state and no code", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(web({ state: "s", response_type: null })), WEB_CALLBACK, "invalid_request", "s");
  });

  it.each(["token", "id_token", "code id_token", "code token"])("BCP-14 response_type=%s is unsupported_response_type", async (responseType) => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(web({ state: "s", response_type: responseType })), WEB_CALLBACK, "unsupported_response_type", "s");
  });

  it.each(["fragment", "form_post", "jwt"])("response_mode=%s is invalid_request (query only)", async (mode) => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(web({ state: "s", response_mode: mode })), WEB_CALLBACK, "invalid_request", "s");
  });

  it("response_mode=query is accepted", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = spa({ response_mode: "query" });
    expectCodeRedirect(await fx.get(params), SPA_CALLBACK, params.state!);
  });

  it("a client without ept:authorization is unauthorized_client", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(forClient("no-authz-endpoint", { state: "s" })), "https://no-authz-endpoint.example.test/cb", "unauthorized_client", "s");
  });

  it("a client without gt:authorization_code is unauthorized_client", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(forClient("no-code-grant", { state: "s" })), "https://no-code-grant.example.test/cb", "unauthorized_client", "s");
  });

  it("a client without the rst:code response-type permission is unauthorized_client", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(forClient("no-code-response", { state: "s" })), "https://no-code-response.example.test/cb", "unauthorized_client", "s");
  });

  it("an unknown scope is invalid_scope", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(web({ state: "s", scope: "openid nonexistent" })), WEB_CALLBACK, "invalid_scope", "s");
  });

  it("a scope the client holds no scp: permission for is invalid_scope", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(web({ state: "s", scope: "openid admin" })), WEB_CALLBACK, "invalid_scope", "s");
  });

  it("a scope with control characters is invalid_scope", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(web({ state: "s", scope: "openid\tprofile" })), WEB_CALLBACK, "invalid_scope", "s");
  });

  it("offline_access without gt:refresh_token is invalid_scope", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(spa({ state: "s", scope: "openid offline_access" })), SPA_CALLBACK, "invalid_scope", "s");
  });

  it("offline_access with gt:refresh_token and scp:offline_access is accepted", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const response = await fx.get(web({ scope: "openid offline_access" }));
    expectPage(response, "consent");
  });

  it("PK-06 no code_challenge is invalid_request (PKCE is required for every client)", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(spa({ state: "s", code_challenge: null, code_challenge_method: null })), SPA_CALLBACK, "invalid_request", "s");
    expectErrorRedirect(await fx.get(web({ state: "s", code_challenge: null, code_challenge_method: null })), WEB_CALLBACK, "invalid_request", "s");
  });

  it("PK-04 / BCP-04 no downgrade: a request without code_challenge gets no code, so there is never a code a bare code_verifier could redeem", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(spa({ state: "s", code_challenge: null, code_challenge_method: null, prompt: "none" })), SPA_CALLBACK, "invalid_request", "s");
    expectErrorRedirect(await fx.get(web({ state: "s", code_challenge: null, code_challenge_method: null })), WEB_CALLBACK, "invalid_request", "s");
    expect(fx.codes.codes.size).toBe(0);
    expect(fx.interactions.interactions.size).toBe(0);
  });

  it("AZ-16 a claims request parameter is accepted and ignored (claims_parameter_supported is false): the code is issued", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const claims = JSON.stringify({ userinfo: { name: { essential: true } }, id_token: { email: null } });
    const code = expectCodeRedirect(await fx.get(spa({ scope: "openid profile", state: "s", claims })), SPA_CALLBACK, "s");
    expect(code).toBeTruthy();
    // Only the scopes decide what is released; the code carries no extra claims for name or email.
    expect([...fx.codes.codes.values()][0]!.scopes).toEqual(["openid", "profile"]);
  });

  it("PK-05 code_challenge_method=plain, an unknown method, or none (plain by default) is invalid_request", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    for (const method of ["plain", "S512", "s256", null]) {
      expectErrorRedirect(await fx.get(spa({ state: "s", code_challenge_method: method })), SPA_CALLBACK, "invalid_request", "s");
    }
  });

  it("PK-07 code_challenge_method without code_challenge is invalid_request", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const location = expectErrorRedirect(await fx.get(spa({ state: "s", code_challenge: null })), SPA_CALLBACK, "invalid_request", "s");
    expect(location.searchParams.get("error_description")).toContain("code_challenge");
  });

  it.each([
    ["42 characters", PKCE.challenge.slice(0, 42)],
    ["44 characters", PKCE.challenge + "A"],
    ["128 characters", "A".repeat(128)],
    ["base64 padding", PKCE.challenge.slice(0, 42) + "="],
    ["standard base64 characters", "+/" + PKCE.challenge.slice(2)],
    ["a verifier-like value with dots", "a.b~" + PKCE.challenge.slice(4)],
  ])("PK-07 a malformed S256 challenge (%s) is invalid_request", async (_name, challenge) => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(spa({ state: "s", code_challenge: challenge })), SPA_CALLBACK, "invalid_request", "s");
  });

  it.each(["bogus", "none login", "login none", "none consent", "none select_account", "LOGIN"])(
    "AZ-20 prompt=%s is invalid_request",
    async (prompt) => {
      const fx = createAuthorizeFixture();
      fx.signIn();
      expectErrorRedirect(await fx.get(spa({ state: "s", prompt })), SPA_CALLBACK, "invalid_request", "s");
    },
  );

  it.each(["-1", "abc", "1.5", "1e3", " 10", "99999999999", String(10 * 365 * 24 * 3600 + 1)])(
    "AZ-20 max_age=%s is invalid_request",
    async (maxAge) => {
      const fx = createAuthorizeFixture();
      fx.signIn();
      expectErrorRedirect(await fx.get(spa({ state: "s", max_age: maxAge })), SPA_CALLBACK, "invalid_request", "s");
    },
  );

  it("AZ-03 error_description stays within the allowed characters even when it quotes the request", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const cases: Array<Record<string, string>> = [
      { response_type: 'tök"en\\' },
      { prompt: "lögin" },
      { code_challenge_method: 'S256"\u00e9' },
      { scope: "openid\tprofile" },
    ];
    for (const overrides of cases) {
      const response = await fx.get(spa({ state: "s", ...overrides }));
      const error = redirectLocation(response).searchParams.get("error")!;
      expectErrorRedirect(response, SPA_CALLBACK, error, "s");
    }
  });

  it("AZ-21 / BCP-11 / BCP-12 an error redirect carries iss and a 128-character state byte for byte", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expect(STATE_128).toHaveLength(128);
    const location = expectErrorRedirect(await fx.get(spa({ state: STATE_128, response_type: "token" })), SPA_CALLBACK, "unsupported_response_type", STATE_128);
    expect(location.searchParams.get("state")).toBe(STATE_128);
  });

  it("an error redirect without state has no state parameter", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(spa({ state: null, response_type: "token" })), SPA_CALLBACK, "unsupported_response_type", null);
  });

  it("AZ-17 an error redirect keeps the registered query", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const location = expectErrorRedirect(
      await fx.get(codeRequestParams("query-app", QUERY_CALLBACK, { state: "s", response_type: "token" })),
      QUERY_CALLBACK,
      "unsupported_response_type",
      "s",
    );
    expect(location.searchParams.get("dummy1")).toBe("lorem");
    expect(location.searchParams.get("dummy2")).toBe("ipsum");
  });

  it("no error creates a code or an interaction", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await fx.get(spa({ response_type: "token" }));
    await fx.get(spa({ prompt: "bogus" }));
    await fx.get(spa({ code_challenge: null }));
    expect(fx.codes.codes.size).toBe(0);
    expect(fx.interactions.interactions.size).toBe(0);
  });
});

describe("authorize: the code", () => {
  it("AZ-01 / BCP-13 redirects with a 256-bit code, the state and iss", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = spa();
    const code = expectCodeRedirect(await fx.get(params), SPA_CALLBACK, params.state!);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(Buffer.from(code, "base64url").length).toBeGreaterThanOrEqual(32);
  });

  it("BCP-13 codes are distinct from one request to the next", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const codes = new Set<string>();
    for (let i = 0; i < 20; i++) codes.add(codeFrom(await fx.get(spa())));
    expect(codes.size).toBe(20);
  });

  it("BCP-12 a 128-character state, and one with reserved characters, come back byte for byte", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    for (const state of [STATE_128, "a b+c&d=e?f#g/h%20i", "ünïcödé ✓"]) {
      const location = redirectLocation(await fx.get(spa({ state })));
      expect(location.searchParams.get("state")).toBe(state);
      expect(location.searchParams.get("code")).toBeTruthy();
    }
  });

  it("the code store holds only the code's SHA-256, never the code", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const code = codeFrom(await fx.get(spa()));
    expect([...fx.codes.codes.keys()]).toEqual([hashOpaqueValue(code)]);
    expect(JSON.stringify([...fx.codes.codes.values()])).not.toContain(code);
  });

  it("a code lives at most 60 seconds, even when the client asks for more", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const spaRow = await fx.clientRow("spa");
    spaRow.authorizationCodeLifetime = 600;
    const row = storedCode(fx, codeFrom(await fx.get(spa())));
    expect(AUTHORIZATION_CODE_MAX_LIFETIME).toBeLessThanOrEqual(60);
    expect(row.expiresAt.getTime() - fx.clock.now()).toBe(60_000);
  });

  it("a shorter client code lifetime is honoured", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    (await fx.clientRow("spa")).authorizationCodeLifetime = 30;
    const row = storedCode(fx, codeFrom(await fx.get(spa())));
    expect(row.expiresAt.getTime() - fx.clock.now()).toBe(30_000);
  });

  it("the code is bound to client, user, scopes, redirect_uri, challenge, nonce, auth_time and session", async () => {
    const fx = createAuthorizeFixture();
    fx.clock.advance(-120);
    const session = fx.signIn();
    fx.clock.advance(120);
    const params = spa({ scope: "openid profile orders:read", nonce: "n-0S6_WzA2Mj" });
    const row = storedCode(fx, codeFrom(await fx.get(params)));
    const spaRow = await fx.clientRow("spa");
    expect(row.applicationId).toBe(spaRow.id);
    expect(row.subject).toBe(fx.user.id);
    expect(row.scopes).toEqual(["openid", "profile", "orders:read"]);
    expect(row.audiences).toEqual(["https://orders.example.test"]);
    expect(row.authorizationId).toBe(fx.authorizations.authorizations[0]!.id);
    expect(row.binding).toMatchObject({
      redirectUri: SPA_CALLBACK,
      redirectUriProvided: true,
      codeChallenge: PKCE.challenge,
      codeChallengeMethod: "S256",
      nonce: "n-0S6_WzA2Mj",
      authTime: Math.floor(session.authTime.getTime() / 1000),
      sessionId: session.sessionId,
      amr: ["pwd"],
      accessTokenClaims: { preferred_username: "alice" },
      // profile's claims for the ID token (IT-05: orders:read releases none).
      idTokenClaims: { name: "Alice Example", preferred_username: "alice", updated_at: Math.floor(fx.user.updatedAt.getTime() / 1000) },
    });
  });

  it("AZ-13 a code is issued without a nonce", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = spa({ nonce: null });
    const row = storedCode(fx, expectCodeRedirect(await fx.get(params), SPA_CALLBACK, params.state!));
    expect(row.binding.nonce).toBeNull();
  });

  it("AZ-17 a registered redirect URI with a query keeps it in the callback", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = codeRequestParams("query-app", QUERY_CALLBACK);
    const location = redirectLocation(await fx.get(params));
    expect(location.origin + location.pathname).toBe("https://query.example.test/cb");
    expect(location.searchParams.get("dummy1")).toBe("lorem");
    expect(location.searchParams.get("dummy2")).toBe("ipsum");
    expect(location.searchParams.get("code")).toBeTruthy();
    expect(location.searchParams.get("state")).toBe(params.state);
    expect(location.searchParams.get("iss")).toBe(ISSUER);
  });

  it("without redirect_uri, a client with one registered URI is sent there, and the code records that it was omitted", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = spa({ redirect_uri: null });
    const row = storedCode(fx, expectCodeRedirect(await fx.get(params), SPA_CALLBACK, params.state!));
    expect(row.binding.redirectUri).toBe(SPA_CALLBACK);
    expect(row.binding.redirectUriProvided).toBe(false);
  });

  it("a client with several redirect URIs may pick either", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    for (const uri of MULTI_CALLBACKS) {
      const params = codeRequestParams("multi-app", uri);
      expectCodeRedirect(await fx.get(params), uri, params.state!);
    }
  });

  it("AZ-08 unknown parameters are ignored", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = spa({ extra: "foobar", claims: '{"userinfo":{"name":{"essential":true}}}' });
    expectCodeRedirect(await fx.get(params), SPA_CALLBACK, params.state!);
  });

  it("AZ-09 scopes in reverse order and reordered parameters succeed", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = spa({ scope: "orders:read profile openid" });
    const reordered = Object.entries(params).reverse().filter((entry): entry is [string, string] => entry[1] !== null);
    const row = storedCode(fx, expectCodeRedirect(await fx.get(reordered), SPA_CALLBACK, params.state!));
    expect(row.scopes).toEqual(["orders:read", "profile", "openid"]);
  });

  it("AZ-10 the request can be a form POST", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = spa();
    expectCodeRedirect(await fx.post(params), SPA_CALLBACK, params.state!);
  });

  it("AZ-10 a POST without a session goes to the login page like a GET", async () => {
    const fx = createAuthorizeFixture();
    expectPage(await fx.post(spa()), "login");
  });

  it("AZ-11 / AZ-12 display, ui_locales, claims_locales and acr_values are accepted and ignored", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const extras: Array<Record<string, string>> = [
      { display: "page" },
      { display: "popup" },
      { ui_locales: "se" },
      { claims_locales: "se" },
      { acr_values: "urn:mace:incommon:iap:silver" },
    ];
    for (const extra of extras) {
      const params = spa(extra);
      expectCodeRedirect(await fx.get(params), SPA_CALLBACK, params.state!);
    }
  });

  it("BCP-10 no CORS headers even with an Origin header", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const response = await fx.get(spa(), { Origin: "https://spa.example.test" });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("authorize: signing in", () => {
  it("SE-01 prompt=none without a session is login_required with a 128-character state", async () => {
    const fx = createAuthorizeFixture();
    expectErrorRedirect(await fx.get(spa({ state: STATE_128, prompt: "none" })), SPA_CALLBACK, "login_required", STATE_128);
    expect(fx.interactions.interactions.size).toBe(0);
  });

  it("without a session the user is sent to the login page with the request sealed into the URL, nothing stored", async () => {
    const fx = createAuthorizeFixture();
    const params = spa({ scope: "openid profile" });
    const id = expectPage(await fx.get(params), "login");
    expect(fx.interactions.interactions.size).toBe(0);
    const stored = fx.openSealed(id)!;
    expect(stored.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stored.applicationId).toBe((await fx.clientRow("spa")).id);
    expect(stored.request).toMatchObject({
      clientId: "spa",
      redirectUri: SPA_CALLBACK,
      scopes: ["openid", "profile"],
      state: params.state,
      nonce: params.nonce,
      codeChallenge: PKCE.challenge,
    });
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBe(INTERACTION_LIFETIME * 1000);
  });

  it("AZ-11 login_hint is passed on to the login page", async () => {
    const fx = createAuthorizeFixture();
    const location = redirectLocation(await fx.get(spa({ login_hint: "alice@example.com" })));
    expect(location.searchParams.get("login_hint")).toBe("alice@example.com");
  });

  it("after signing in, resuming the interaction issues the code for the original request", async () => {
    const fx = createAuthorizeFixture();
    const params = spa({ scope: "openid profile" });
    const id = expectPage(await fx.get(params), "login");
    fx.clock.advance(5);
    const session = fx.signIn();
    fx.clock.advance(1);
    const code = expectCodeRedirect(await fx.resume(id), SPA_CALLBACK, params.state!);
    expect(storedCode(fx, code).binding.sessionId).toBe(session.sessionId);
    expect(fx.interactions.interactions.size).toBe(0);
    // Single-use: the sealed request cannot be resumed again.
    expect(fx.interactions.consumed.has(fx.openSealed(id)!.id)).toBe(true);
    await expectErrorPage(await fx.resume(id));
    expect(fx.codes.codes.size).toBe(1);
  });

  it("resuming while still signed out goes back to the login page with the same interaction", async () => {
    const fx = createAuthorizeFixture();
    const id = expectPage(await fx.get(spa({ login_hint: "alice" })), "login");
    const location = redirectLocation(await fx.resume(id));
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("interaction")).toBe(id);
    expect(location.searchParams.get("login_hint")).toBe("alice");
    expect(fx.interactions.interactions.size).toBe(0);
  });

  it("a disabled user's session counts as signed out", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    fx.user.enabled = false;
    expectPage(await fx.get(spa()), "login");
    expectErrorRedirect(await fx.get(spa({ state: "s", prompt: "none" })), SPA_CALLBACK, "login_required", "s");
    expect(fx.codes.codes.size).toBe(0);
  });

  it("a session whose user was deleted counts as signed out", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    fx.users.users.delete(fx.user.id);
    expectPage(await fx.get(spa()), "login");
  });

  it("SE-02 prompt=none with a session and consent succeeds silently with the same auth_time", async () => {
    const fx = createAuthorizeFixture();
    const session = fx.signIn();
    const first = storedCode(fx, codeFrom(await fx.get(spa())));
    fx.clock.advance(10);
    const params = spa({ prompt: "none" });
    const second = storedCode(fx, expectCodeRedirect(await fx.get(params), SPA_CALLBACK, params.state!));
    expect(second.subject).toBe(first.subject);
    expect(second.binding.authTime).toBe(first.binding.authTime);
    expect(second.binding.authTime).toBe(Math.floor(session.authTime.getTime() / 1000));
  });

  it("SE-04 prompt=login with a session asks for the password again, then issues a code with the new auth_time", async () => {
    const fx = createAuthorizeFixture();
    const first = fx.signIn();
    fx.clock.advance(2);
    const params = spa({ prompt: "login" });
    const id = expectPage(await fx.get(params), "login");
    // Coming back without signing in again is not enough.
    fx.clock.advance(1);
    expect(expectPage(await fx.resume(id), "login")).toBe(id);
    fx.clock.advance(1);
    const second = fx.signIn();
    fx.clock.advance(1);
    const row = storedCode(fx, expectCodeRedirect(await fx.resume(id), SPA_CALLBACK, params.state!));
    expect(row.binding.authTime).toBe(Math.floor(second.authTime.getTime() / 1000));
    expect(row.binding.authTime).toBeGreaterThan(Math.floor(first.authTime.getTime() / 1000));
  });

  it("SE-04 prompt=login: a sign-in at the very millisecond the interaction was created counts", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    fx.clock.advance(1);
    const params = spa({ prompt: "login" });
    const id = expectPage(await fx.get(params), "login");
    fx.signIn();
    expectCodeRedirect(await fx.resume(id), SPA_CALLBACK, params.state!);
  });

  it("SE-05 max_age exceeded sends the user to the login page; after signing in a code is issued", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    fx.clock.advance(2);
    const params = spa({ max_age: "1" });
    const id = expectPage(await fx.get(params), "login");
    const second = fx.signIn();
    fx.clock.advance(0.2);
    const row = storedCode(fx, expectCodeRedirect(await fx.resume(id), SPA_CALLBACK, params.state!));
    expect(row.binding.authTime).toBe(Math.floor(second.authTime.getTime() / 1000));
  });

  it("SE-05 max_age exceeded with prompt=none is login_required", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    fx.clock.advance(2);
    expectErrorRedirect(await fx.get(spa({ state: "s", max_age: "1", prompt: "none" })), SPA_CALLBACK, "login_required", "s");
  });

  it("SE-06 a max_age that is not exceeded needs no new sign-in", async () => {
    const fx = createAuthorizeFixture();
    const session = fx.signIn();
    fx.clock.advance(60);
    const first = storedCode(fx, codeFrom(await fx.get(spa({ max_age: "15000" }))));
    fx.clock.advance(1);
    const second = storedCode(fx, codeFrom(await fx.get(spa({ max_age: "10000" }))));
    expect(first.binding.authTime).toBe(Math.floor(session.authTime.getTime() / 1000));
    expect(second.binding.authTime).toBe(first.binding.authTime);
  });

  it("SE-07 max_age=0 always asks for login, and the sign-in it asked for is then enough", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    fx.clock.advance(1);
    const params = spa({ max_age: "0" });
    const id = expectPage(await fx.get(params), "login");
    fx.clock.advance(3);
    const second = fx.signIn();
    // The browser follows the login page's redirect a moment later.
    fx.clock.advance(0.05);
    const row = storedCode(fx, expectCodeRedirect(await fx.resume(id), SPA_CALLBACK, params.state!));
    expect(row.binding.authTime).toBe(Math.floor(second.authTime.getTime() / 1000));
  });

  it("SE-05 max_age: a sign-in during the interaction counts even if the user is slow to come back", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    fx.clock.advance(120);
    const params = spa({ max_age: "60" });
    const id = expectPage(await fx.get(params), "login");
    fx.clock.advance(30);
    fx.signIn();
    fx.clock.advance(61);
    expectCodeRedirect(await fx.resume(id), SPA_CALLBACK, params.state!);
  });
});

describe("authorize: consent types", () => {
  it("explicit: the first request goes to the consent page with the signed-in user on the interaction", async () => {
    const fx = createAuthorizeFixture();
    const { id } = await reachConsentScreen(fx, { scope: "openid profile" });
    const stored = fx.interactions.interactions.get(id)!;
    expect(stored.userId).toBe(fx.user.id);
    expect(stored.consent).toBeNull();
    expect(fx.codes.codes.size).toBe(0);
  });

  it("explicit: after the login page, the resume goes on to the consent page with the same interaction", async () => {
    const fx = createAuthorizeFixture();
    const params = web();
    const sealed = expectPage(await fx.get(params), "login");
    fx.clock.advance(3);
    fx.signIn();
    // The user is known now: the sealed request becomes a row under the seal's own id.
    const id = expectPage(await fx.resume(sealed), "consent");
    const opened = fx.openSealed(sealed)!;
    expect(id).toBe(opened.id);
    const stored = fx.interactions.interactions.get(id)!;
    expect(stored.userId).toBe(fx.user.id);
    expect(stored.createdAt).toEqual(opened.createdAt);
    expect(stored.request.state).toBe(params.state);
    // A reload of the resume URL goes on with that row rather than making another.
    expect(expectPage(await fx.resume(sealed), "consent")).toBe(id);
    expect(fx.interactions.interactions.size).toBe(1);
    // Once the consent is used, the seal is spent too.
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid"] });
    codeFrom(await fx.resume(id));
    await expectErrorPage(await fx.resume(sealed));
    expect(fx.codes.codes.size).toBe(1);
  });

  it("explicit: a permanent authorization covering the scopes issues a code without asking", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const webRow = await fx.clientRow("web-app");
    const saved = await fx.authorizations.savePermanentAuthorization(fx.user.id, webRow.id, ["openid", "profile", "email"]);
    const params = web({ scope: "email openid" });
    const row = storedCode(fx, expectCodeRedirect(await fx.get(params), WEB_CALLBACK, params.state!));
    expect(row.authorizationId).toBe(saved.id);
    expect(row.scopes).toEqual(["email", "openid"]);
  });

  it("explicit: an authorization that covers only part of the scopes asks again", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await fx.authorizations.savePermanentAuthorization(fx.user.id, (await fx.clientRow("web-app")).id, ["openid"]);
    expectPage(await fx.get(web({ scope: "openid profile" })), "consent");
  });

  it("explicit: another user's authorization does not count", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await fx.authorizations.savePermanentAuthorization(fx.otherUser.id, (await fx.clientRow("web-app")).id, ["openid"]);
    expectPage(await fx.get(web()), "consent");
  });

  it("explicit: prompt=consent shows the consent page even with a covering authorization", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await fx.authorizations.savePermanentAuthorization(fx.user.id, (await fx.clientRow("web-app")).id, ["openid"]);
    expectPage(await fx.get(web({ prompt: "consent" })), "consent");
  });

  it("explicit: prompt=none without consent is consent_required", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(web({ state: "s", prompt: "none" })), WEB_CALLBACK, "consent_required", "s");
    expect(fx.interactions.interactions.size).toBe(0);
  });

  it("explicit: prompt=none with a covering authorization issues a code", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await fx.authorizations.savePermanentAuthorization(fx.user.id, (await fx.clientRow("web-app")).id, ["openid"]);
    const params = web({ prompt: "none" });
    expectCodeRedirect(await fx.get(params), WEB_CALLBACK, params.state!);
  });

  it("implicit: a code is issued at once and a permanent authorization is saved", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = spa({ scope: "openid profile" });
    const row = storedCode(fx, expectCodeRedirect(await fx.get(params), SPA_CALLBACK, params.state!));
    const saved = await fx.authorizations.findPermanentAuthorization(fx.user.id, (await fx.clientRow("spa")).id);
    expect(saved).not.toBeNull();
    expect(saved!.scopes).toEqual(["openid", "profile"]);
    expect(row.authorizationId).toBe(saved!.id);
  });

  it("implicit: a second request reuses the saved authorization", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await fx.get(spa({ scope: "openid profile" }));
    const row = storedCode(fx, codeFrom(await fx.get(spa({ scope: "profile" }))));
    expect(fx.authorizations.authorizations).toHaveLength(1);
    expect(row.authorizationId).toBe(fx.authorizations.authorizations[0]!.id);
  });

  it("external: without an authorization the request is consent_required", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(forClient("external-app", { state: "s" })), "https://external-app.example.test/cb", "consent_required", "s");
    expect(fx.interactions.interactions.size).toBe(0);
    expect(fx.authorizations.authorizations).toHaveLength(0);
  });

  it("external: with an authorization an administrator made, a code is issued", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const row = await fx.clientRow("external-app");
    const saved = await fx.authorizations.savePermanentAuthorization(fx.user.id, row.id, ["openid", "profile"]);
    const params = forClient("external-app", { scope: "openid profile" });
    const code = expectCodeRedirect(await fx.get(params), "https://external-app.example.test/cb", params.state!);
    expect(storedCode(fx, code).authorizationId).toBe(saved.id);
  });

  it("systematic: the consent page is shown every time, even with an authorization", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await fx.authorizations.savePermanentAuthorization(fx.user.id, (await fx.clientRow("systematic-app")).id, ["openid"]);
    expectPage(await fx.get(forClient("systematic-app")), "consent");
  });

  it("systematic: prompt=none is consent_required", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    expectErrorRedirect(await fx.get(forClient("systematic-app", { state: "s", prompt: "none" })), "https://systematic-app.example.test/cb", "consent_required", "s");
  });
});

describe("authorize: resuming an interaction", () => {
  it("an unknown interaction id gives an error page", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await expectErrorPage(await fx.resume("A".repeat(43)));
  });

  it.each(["short", "A".repeat(44), "A".repeat(42) + "!"])("a malformed interaction id (%s) gives an error page", async (id) => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await expectErrorPage(await fx.resume(id));
  });

  it("an expired interaction gives an error page", async () => {
    const fx = createAuthorizeFixture();
    const id = expectPage(await fx.get(spa()), "login");
    fx.clock.advance(INTERACTION_LIFETIME + 1);
    fx.signIn();
    await expectErrorPage(await fx.resume(id));
    expect(fx.codes.codes.size).toBe(0);
  });

  it("consent granted on the consent page issues a code with only the granted scopes", async () => {
    const fx = createAuthorizeFixture();
    const { id, params } = await reachConsentScreen(fx, { scope: "openid profile email orders:read" });
    const outcome = await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid", "email"] });
    expect(outcome).toEqual({ status: "recorded", location: `${ISSUER}/connect/authorize?interaction=${id}` });
    const row = storedCode(fx, expectCodeRedirect(await fx.resume(id), WEB_CALLBACK, params.state!));
    expect(row.scopes).toEqual(["openid", "email"]);
    expect(row.audiences).toEqual([]);
    expect(row.binding.accessTokenClaims).toEqual({ email: "alice@example.com", email_verified: true });
    // The ID token gets only what the user granted: email, not profile.
    expect(row.binding.idTokenClaims).toEqual({ email: "alice@example.com", email_verified: true });
    const saved = await fx.authorizations.findPermanentAuthorization(fx.user.id, (await fx.clientRow("web-app")).id);
    expect(saved!.scopes).toEqual(["openid", "email"]);
    expect(row.authorizationId).toBe(saved!.id);
  });

  it("after explicit consent, the next request issues a code without asking", async () => {
    const fx = createAuthorizeFixture();
    const { id } = await reachConsentScreen(fx, { scope: "openid profile" });
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid", "profile"] });
    codeFrom(await fx.resume(id));
    const params = web({ scope: "profile openid", prompt: "none" });
    expectCodeRedirect(await fx.get(params), WEB_CALLBACK, params.state!);
  });

  it("systematic consent ties the code to an ad-hoc authorization", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const params = forClient("systematic-app", { scope: "openid profile" });
    const id = expectPage(await fx.get(params), "consent");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["profile"] });
    const row = storedCode(fx, expectCodeRedirect(await fx.resume(id), "https://systematic-app.example.test/cb", params.state!));
    const authorization = fx.authorizations.authorizations.find((a) => a.id === row.authorizationId)!;
    expect(authorization.type).toBe("ad-hoc");
    expect(authorization.scopes).toEqual(["openid", "profile"]);
    expect(await fx.authorizations.findPermanentAuthorization(fx.user.id, (await fx.clientRow("systematic-app")).id)).toBeNull();
  });

  it("consent denied is access_denied back to the client, with state and iss", async () => {
    const fx = createAuthorizeFixture();
    const { id, params } = await reachConsentScreen(fx);
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "deny" });
    expectErrorRedirect(await fx.resume(id), WEB_CALLBACK, "access_denied", params.state!);
    expect(fx.codes.codes.size).toBe(0);
    expect(fx.authorizations.authorizations).toHaveLength(0);
  });

  it("the interaction is consumed: a second resume gives an error page", async () => {
    const fx = createAuthorizeFixture();
    const { id } = await reachConsentScreen(fx);
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid"] });
    codeFrom(await fx.resume(id));
    await expectErrorPage(await fx.resume(id));
    expect(fx.codes.codes.size).toBe(1);
  });

  it("a denied interaction is consumed too", async () => {
    const fx = createAuthorizeFixture();
    const { id } = await reachConsentScreen(fx);
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "deny" });
    await fx.resume(id);
    await expectErrorPage(await fx.resume(id));
  });

  it("resuming before deciding shows the consent page again", async () => {
    const fx = createAuthorizeFixture();
    const { id } = await reachConsentScreen(fx);
    expect(expectPage(await fx.resume(id), "consent")).toBe(id);
  });

  it("another user's consent decision is not used for the signed-in user", async () => {
    const fx = createAuthorizeFixture();
    const { id } = await reachConsentScreen(fx);
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid"] });
    fx.signIn(fx.otherUser);
    expect(expectPage(await fx.resume(id), "consent")).toBe(id);
    const stored = fx.interactions.interactions.get(id)!;
    expect(stored.userId).toBe(fx.otherUser.id);
    expect(stored.consent).toBeNull();
    expect(fx.codes.codes.size).toBe(0);
  });

  it("a signed-out user coming back from the consent page is sent to log in", async () => {
    const fx = createAuthorizeFixture();
    const { id } = await reachConsentScreen(fx);
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid"] });
    fx.signOut();
    expect(expectPage(await fx.resume(id), "login")).toBe(id);
  });

  it("a client disabled meanwhile gives an error page", async () => {
    const fx = createAuthorizeFixture();
    const { id } = await reachConsentScreen(fx);
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid"] });
    (await fx.clientRow("web-app")).enabled = false;
    await expectErrorPage(await fx.resume(id));
  });

  it("a scope permission withdrawn meanwhile is an error redirect, not a server error", async () => {
    const fx = createAuthorizeFixture();
    const { id, params } = await reachConsentScreen(fx, { scope: "openid profile" });
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid", "profile"] });
    const row = await fx.clientRow("web-app");
    row.permissions = row.permissions.filter((permission) => permission !== "scp:profile");
    expectErrorRedirect(await fx.resume(id), WEB_CALLBACK, "invalid_scope", params.state!);
  });

  it("the resume reads the session of the resuming request", async () => {
    const fx = createAuthorizeFixture();
    const id = expectPage(await fx.get(spa()), "login");
    fx.signIn();
    await fx.resume(id);
    expect(new URL(fx.sessionReads.at(-1)!.url).searchParams.get("interaction")).toBe(id);
  });

  it("an interaction id alongside other parameters is not a resume", async () => {
    const fx = createAuthorizeFixture();
    const id = expectPage(await fx.get(spa()), "login");
    fx.signIn();
    await expectErrorPage(await fx.get({ interaction: id, state: "x" }));
    expect(fx.codes.codes.size).toBe(0);
    // Still usable as it is.
    codeFrom(await fx.resume(id));
  });
});
