// Interoperability: @auth/core (Auth.js, on oauth4webapi by panva) as the
// relying party, with Gatehouse as its OIDC provider, against the built server.
// Auth.js runs in-process: each of its routes is a Request handed to Auth()
// at a fake RP origin; only the browser's part at Gatehouse (sign-in and
// consent) is replaced by completeAuthorization over HTTP. Auth.js discovers
// the metadata, builds the authorization request (PKCE S256, state, nonce),
// checks the authorization response (state, iss per RFC 9207), redeems the
// code with client_secret_basic and validates the ID token's claims (iss, aud,
// exp, iat, nonce, azp) before it sets its session cookie.
//
// Plain http: @auth/core 0.41.3 passes oauth4webapi's allowInsecureRequests
// itself on every request it makes (discovery, token, userinfo; see
// lib/actions/callback/oauth/callback.js and signin/authorization-url.js), so
// no configuration is needed for an http://localhost issuer. The [customFetch]
// hook (an @auth/core export) is used only to observe those requests.
//
// Auth.js does not check the ID token's signature (OIDC Core §3.1.3.7 lets a
// client that got it straight from the token endpoint over TLS skip that):
// the tests verify it against our JWKS themselves.
// CONFORMANCE.md AZ-01, AZ-21 / BCP-11, PK-01, TK-01, IT-01, IT-02, UI-01, RT-01, RT-04, LO-01.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Auth, customFetch, type AuthConfig } from "@auth/core";
import type { OAuthConfig, OIDCConfig } from "@auth/core/providers";
import * as oauth from "oauth4webapi";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { DEMO_USER } from "../helpers/codeFlow";
import { JWKS_PATH, verifyAccessToken } from "../helpers/oauth";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { registerClient, type RelyingPartyClient } from "../helpers/relyingPartyClient";
import { createSeededStore, runCli, startServer, type RunningServer, type TestStore } from "../helpers/server";

/** The relying party's origin: never contacted, Auth() is called in-process. */
const RP = "http://rp.localhost:3999";
const OIDC_PROVIDER = "gatehouse";
const OAUTH_PROVIDER = "gatehouse-oauth";
const RP_CLIENT: RelyingPartyClient & { secret: string } = {
  clientId: "authjs-rp",
  secret: randomBytes(32).toString("base64url"),
  displayName: "Auth.js relying party",
  redirectUris: [`${RP}/auth/callback/${OIDC_PROVIDER}`, `${RP}/auth/callback/${OAUTH_PROVIDER}`],
  postLogoutRedirectUris: [`${RP}/signed-out`],
  scopes: ["profile", "email", "offline_access"],
};
const ALICE_NAME = "Alice Example"; // lib/db/seed.ts

let store: TestStore;
let server: RunningServer | undefined;
let base: string;
let alice: string;

beforeAll(async () => {
  // A copy of the session's seeded template (seeded here without one), so the client row can go in before the server holds the store.
  const seeded = await createSeededStore();
  if (!seeded.seeded) await runCli(seeded, ["seed-demo"]);
  store = seeded;
  await registerClient(store, RP_CLIENT);
  server = await startServer(store);
  base = server.url;
  const { cookie, response } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
  expect(response.status).toBe(303);
  alice = cookie;
});
afterAll(async () => {
  await server?.stop();
  await store?.cleanup();
});

/** A browser's cookie store for the RP origin, fed from Set-Cookie headers. */
class CookieJar {
  readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, val = ""] = attribute.split("=").map((part) => part.trim());
        if (key!.toLowerCase() === "max-age") return Number(val) <= 0;
        if (key!.toLowerCase() === "expires") return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  names(): string[] {
    return [...this.cookies.keys()].sort();
  }
}

interface RecordedRequest {
  providerId: string;
  url: string;
  method: string;
  authorization: string | null;
}

/** What the RP's callbacks saw: the profile Auth.js built, per sign-in and per sign-out. */
interface Observed {
  requests: RecordedRequest[];
  signIns: Array<{ providerId: string; profile: Record<string, unknown> | undefined; accountType: string | undefined }>;
  signOutTokens: Array<Record<string, unknown> | null>;
  errors: unknown[];
  /** Auth.js's debug log: (message, metadata), e.g. the OAuth error of a failed callback. */
  debug: Array<[string, unknown]>;
}

/** The part of the session the RP exposes at /auth/session in these tests. */
interface RpSession {
  user?: { name?: string | null; email?: string | null };
  expires: string;
  gatehouse: {
    provider: string;
    profileSub: string;
    accessToken: string;
    refreshToken?: string;
    idToken?: string;
    expiresAt?: number;
    scope?: string;
  };
}

function recordingFetch(observed: Observed, providerId: string) {
  return (...args: Parameters<typeof fetch>): Promise<Response> => {
    const [input, init] = args;
    const url = input instanceof Request ? input.url : input.toString();
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    observed.requests.push({ providerId, url, method: init?.method ?? "GET", authorization: headers.get("authorization") });
    return fetch(...args);
  };
}

/** Auth.js configured with Gatehouse twice: as an OIDC provider (discovery) and as a plain OAuth 2 provider (userinfo for the profile). */
function authConfig(observed: Observed): AuthConfig {
  const oidc: OIDCConfig<Record<string, unknown>> = {
    id: OIDC_PROVIDER,
    name: "Gatehouse",
    type: "oidc",
    issuer: base,
    clientId: RP_CLIENT.clientId,
    clientSecret: RP_CLIENT.secret,
    checks: ["pkce", "state", "nonce"],
    authorization: { params: { scope: "openid profile email offline_access" } },
    [customFetch]: recordingFetch(observed, OIDC_PROVIDER),
  };
  // type "oauth": no discovery and no ID token processing; the profile comes from
  // the userinfo endpoint, which Auth.js calls itself with the access token.
  const plain: OAuthConfig<Record<string, unknown>> = {
    id: OAUTH_PROVIDER,
    name: "Gatehouse (OAuth 2)",
    type: "oauth",
    issuer: base, // lets oauth4webapi check the iss parameter of the authorization response (RFC 9207)
    clientId: RP_CLIENT.clientId,
    clientSecret: RP_CLIENT.secret,
    checks: ["pkce", "state"],
    authorization: { url: `${base}/connect/authorize`, params: { scope: "openid profile email" } },
    token: `${base}/connect/token`,
    userinfo: `${base}/connect/userinfo`,
    [customFetch]: recordingFetch(observed, OAUTH_PROVIDER),
  };
  return {
    basePath: "/auth",
    trustHost: true,
    secret: randomBytes(32).toString("hex"),
    providers: [oidc, plain],
    session: { strategy: "jwt" },
    logger: {
      error: (error) => observed.errors.push(error),
      warn: () => {},
      debug: (message, metadata) => observed.debug.push([message, metadata]),
    },
    callbacks: {
      jwt({ token, account, profile }) {
        if (account) {
          observed.signIns.push({ providerId: account.provider, profile: profile as Record<string, unknown> | undefined, accountType: account.type });
          token.gatehouse = {
            provider: account.provider,
            profileSub: profile?.sub,
            accessToken: account.access_token,
            refreshToken: account.refresh_token,
            idToken: account.id_token,
            expiresAt: account.expires_at,
            scope: account.scope,
          };
        }
        return token;
      },
      session({ session, token }) {
        return { ...session, gatehouse: token.gatehouse } as typeof session;
      },
    },
    events: {
      signOut(message) {
        observed.signOutTokens.push("token" in message ? (message.token as Record<string, unknown> | null) : null);
      },
    },
  };
}

/** One relying party: its Auth.js config and a browser's cookie jar for its origin. */
class RelyingParty {
  readonly observed: Observed = { requests: [], signIns: [], signOutTokens: [], errors: [], debug: [] };
  readonly config = authConfig(this.observed);
  readonly jar = new CookieJar();

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header();
    if (cookie) headers.set("cookie", cookie);
    const response = await Auth(new Request(new URL(path, RP), { ...init, headers }), this.config);
    this.jar.store(response);
    return response;
  }

  async csrfToken(): Promise<string> {
    const response = await this.request("/auth/csrf");
    expect(response.status).toBe(200);
    const { csrfToken } = (await response.json()) as { csrfToken: string };
    expect(csrfToken).toMatch(/^[0-9a-f]{64}$/);
    return csrfToken;
  }

  async session(): Promise<RpSession | null> {
    const response = await this.request("/auth/session");
    expect(response.status).toBe(200);
    return (await response.json()) as RpSession | null;
  }

  /** POST /auth/signin/{provider}: returns the authorization URL Auth.js redirects the browser to. */
  async startSignIn(providerId: string): Promise<URL> {
    const csrfToken = await this.csrfToken();
    const response = await this.request(`/auth/signin/${providerId}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${RP}/dashboard` }),
    });
    expect(response.status, `sign-in answered ${response.status}; errors: ${this.errorSummary()}`).toBe(302);
    return new URL(response.headers.get("location")!);
  }

  /** GET the callback Gatehouse redirected to; Auth.js redeems the code there. */
  async callback(callback: URL): Promise<Response> {
    expect(callback.origin + callback.pathname).toMatch(new RegExp(`^${RP}/auth/callback/`));
    return this.request(callback.pathname + callback.search);
  }

  errorSummary(): string {
    return this.observed.errors.map((error) => (error instanceof Error ? `${error.name}: ${error.message} ${String(error.cause ?? "")}` : String(error))).join(" | ");
  }
}

/** The whole sign-in: Auth.js → Gatehouse (as the signed-in browser `cookie`) → Auth.js callback → session. */
async function signIn(providerId: string, cookie = alice) {
  const rp = new RelyingParty();
  const authorizeUrl = await rp.startSignIn(providerId);
  const callback = await completeAuthorization(base, cookie, authorizeUrl.toString());
  const response = await rp.callback(callback);
  expect(response.status, `callback answered ${response.status}; errors: ${rp.errorSummary()}`).toBe(302);
  expect(response.headers.get("location"), rp.errorSummary()).toBe(`${RP}/dashboard`);
  expect(rp.observed.errors).toEqual([]);
  const session = await rp.session();
  expect(session).not.toBeNull();
  return { rp, authorizeUrl, callback, session: session! };
}

async function userinfo(accessToken: string): Promise<Response> {
  return fetch(`${base}/connect/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
}

function verifyIdToken(idToken: string) {
  const jwks = createRemoteJWKSet(new URL(base + JWKS_PATH), { cacheMaxAge: 0, cooldownDuration: 0 });
  return jwtVerify(idToken, jwks, { issuer: base, audience: RP_CLIENT.clientId, algorithms: ["RS256", "ES256"] });
}

describe("@auth/core 0.41.3 as the relying party", () => {
  test("AZ-01 / AZ-21 / PK-01 / TK-01 / IT-01 / IT-02: sign-in completes; the session is alice's and the profile's sub is the ID token's", async () => {
    const { rp, authorizeUrl, callback, session } = await signIn(OIDC_PROVIDER);

    // The authorization request Auth.js built from our discovery document.
    expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(`${base}/connect/authorize`);
    const request = authorizeUrl.searchParams;
    expect(request.get("client_id")).toBe(RP_CLIENT.clientId);
    expect(request.get("redirect_uri")).toBe(`${RP}/auth/callback/${OIDC_PROVIDER}`);
    expect(request.get("response_type")).toBe("code");
    expect(request.get("scope")).toBe("openid profile email offline_access");
    expect(request.get("code_challenge_method")).toBe("S256");
    expect(request.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const nonce = request.get("nonce");
    expect(nonce).toBeTruthy();
    expect(request.get("state")).toBeTruthy();
    // Our authorization response: code, state echoed, iss (which oauth4webapi compared with the issuer).
    expect(callback.searchParams.get("code")).toBeTruthy();
    expect(callback.searchParams.get("state")).toBe(request.get("state"));
    expect(callback.searchParams.get("iss")).toBe(base);
    // Auth.js discovered us, then redeemed the code at our token endpoint with client_secret_basic.
    const calls = rp.observed.requests.map((call) => `${call.method} ${call.url}`);
    expect(calls).toContain(`GET ${base}/.well-known/openid-configuration`);
    const tokenCall = rp.observed.requests.find((call) => call.url === `${base}/connect/token`);
    expect(tokenCall?.method).toBe("POST");
    expect(tokenCall?.authorization).toMatch(/^Basic /);
    // The PKCE, state and nonce cookies were consumed by the callback; the session cookie remains.
    expect(rp.jar.names().some((name) => name.startsWith("authjs.session-token"))).toBe(true);
    expect(rp.jar.names().filter((name) => /pkce|state|nonce/.test(name))).toEqual([]);

    // Alice, from our claims.
    expect(session.user).toMatchObject({ name: ALICE_NAME, email: DEMO_USER.email });
    expect(session.gatehouse.provider).toBe(OIDC_PROVIDER);

    // The ID token Auth.js validated: its signature checks out against our JWKS, the nonce is the one
    // Auth.js sent, and the profile Auth.js handed to the jwt callback carries the same sub.
    expect(rp.observed.signIns).toHaveLength(1);
    const profile = rp.observed.signIns[0]!.profile!;
    const idToken = session.gatehouse.idToken!;
    expect(idToken).toBeTypeOf("string");
    const { payload, protectedHeader } = await verifyIdToken(idToken);
    expect(protectedHeader.kid).toBeTypeOf("string");
    expect(payload.nonce).toBe(nonce);
    expect(payload.sub).toBeTypeOf("string");
    expect(profile.sub).toBe(payload.sub);
    expect(session.gatehouse.profileSub).toBe(payload.sub);
    expect(profile).toMatchObject({ iss: base, aud: RP_CLIENT.clientId, name: ALICE_NAME, email: DEMO_USER.email, preferred_username: DEMO_USER.username });
  });

  test("UI-01 / RT-01: the access token Auth.js received works at our userinfo endpoint, and offline_access brought a refresh token", async () => {
    const { session } = await signIn(OIDC_PROVIDER);
    const { accessToken, refreshToken, idToken, expiresAt, scope } = session.gatehouse;
    expect(refreshToken).toBeTypeOf("string");
    expect(refreshToken!.length).toBeGreaterThanOrEqual(32);
    expect(scope?.split(" ").sort()).toEqual(["email", "offline_access", "openid", "profile"]);
    expect(expiresAt).toBeGreaterThan(Math.floor(Date.now() / 1000));

    const { payload } = await verifyAccessToken(accessToken, base + JWKS_PATH, { issuer: base, audience: base });
    expect(payload.client_id).toBe(RP_CLIENT.clientId);

    const response = await userinfo(accessToken);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const claims = (await response.json()) as Record<string, unknown>;
    expect(claims.sub).toBe(decodeJwt(idToken!).sub);
    expect(claims).toMatchObject({ name: ALICE_NAME, email: DEMO_USER.email, preferred_username: DEMO_USER.username });
  });

  test("RT-01 / RT-04: oauth4webapi refreshes the refresh token Auth.js stored; it rotates, and replaying the old one is refused and revokes the grant", async () => {
    const { session } = await signIn(OIDC_PROVIDER);
    const original = session.gatehouse;
    const originalClaims = decodeJwt(original.idToken!);
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const issuer = new URL(base);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    const client: oauth.Client = { client_id: RP_CLIENT.clientId };
    const clientAuth = oauth.ClientSecretBasic(RP_CLIENT.secret);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, original.refreshToken!, insecure);
    const refreshed = await oauth.processRefreshTokenResponse(as, client, response);
    expect(refreshed.token_type).toBe("bearer");
    expect(refreshed.refresh_token).toBeTypeOf("string");
    expect(refreshed.refresh_token).not.toBe(original.refreshToken);
    expect(refreshed.access_token).not.toBe(original.accessToken);
    // The new ID token: claims checked by oauth4webapi (iss, aud, exp, iat), its signature here against jwks_uri.
    await oauth.validateApplicationLevelSignature(as, response, insecure);
    const claims = oauth.getValidatedIdTokenClaims(refreshed)!;
    expect(claims).toBeDefined();
    expect(claims.sub).toBe(originalClaims.sub);
    expect(claims.aud).toBe(RP_CLIENT.clientId);
    expect(claims.iat).toBeGreaterThan(originalClaims.iat!);
    expect(await userinfo(refreshed.access_token).then((r) => r.status)).toBe(200);

    // Replaying the rotated token: invalid_grant, and the whole grant goes (RT-04).
    const replay = await oauth.refreshTokenGrantRequest(as, client, clientAuth, original.refreshToken!, insecure);
    await expect(oauth.processRefreshTokenResponse(as, client, replay)).rejects.toMatchObject({ error: "invalid_grant" });
    const afterReplay = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token!, insecure);
    await expect(oauth.processRefreshTokenResponse(as, client, afterReplay)).rejects.toMatchObject({ error: "invalid_grant" });
    expect(await userinfo(refreshed.access_token).then((r) => r.status)).toBe(401);
    expect(await userinfo(original.accessToken).then((r) => r.status)).toBe(401);
  });

  test("UI-01 / AZ-21: a type \"oauth\" provider (no discovery, no ID token processing) gets alice's profile from our userinfo endpoint", async () => {
    const { rp, callback, session } = await signIn(OAUTH_PROVIDER);
    expect(callback.searchParams.get("iss")).toBe(base);
    expect(session.gatehouse.provider).toBe(OAUTH_PROVIDER);
    expect(rp.observed.signIns).toEqual([expect.objectContaining({ providerId: OAUTH_PROVIDER, accountType: "oauth" })]);

    // Auth.js itself called userinfo with the access token it had just redeemed, and no discovery.
    const calls = rp.observed.requests.map((call) => `${call.method} ${call.url}`);
    expect(calls).toEqual([`POST ${base}/connect/token`, `GET ${base}/connect/userinfo`]);
    expect(rp.observed.requests[1]!.authorization).toBe(`Bearer ${session.gatehouse.accessToken}`);

    // The profile is userinfo's answer, so it equals what the same token gets from userinfo now.
    const profile = rp.observed.signIns[0]!.profile!;
    expect(profile).not.toHaveProperty("iss"); // not ID token claims
    const response = await userinfo(session.gatehouse.accessToken);
    expect(response.status).toBe(200);
    expect(profile).toEqual(await response.json());
    expect(profile).toMatchObject({ name: ALICE_NAME, email: DEMO_USER.email });
    expect(session.user).toMatchObject({ name: ALICE_NAME, email: DEMO_USER.email });
    // The ID token that came along (scope openid) names the same subject.
    expect(profile.sub).toBe(decodeJwt(session.gatehouse.idToken!).sub);
  });

  test("LO-01: sign-out at Auth.js ends its session; RP-initiated logout at Gatehouse with its id_token_hint redirects back with state", async () => {
    // A Gatehouse session of its own: this test ends it.
    const { cookie, response: signedIn } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
    expect(signedIn.status).toBe(303);
    const { rp, session } = await signIn(OIDC_PROVIDER, cookie);
    const idToken = session.gatehouse.idToken!;
    expect(decodeJwt(idToken).sid).toBeTypeOf("string");

    // Auth.js: POST /auth/signout with the CSRF token clears the session cookie.
    const csrfToken = await rp.csrfToken();
    const signOut = await rp.request("/auth/signout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${RP}/` }),
    });
    expect(signOut.status).toBe(302);
    expect(rp.jar.names().filter((name) => name.startsWith("authjs.session-token"))).toEqual([]);
    expect(await rp.session()).toBeNull();
    // The signOut event handed the RP its token, ID token included: what it needs for the hint.
    expect(rp.observed.signOutTokens).toHaveLength(1);
    const token = rp.observed.signOutTokens[0] as { gatehouse?: { idToken?: string } } | null;
    expect(token?.gatehouse?.idToken).toBe(idToken);

    // Then the RP sends the browser to our end_session_endpoint.
    const metadata = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as { end_session_endpoint: string };
    const state = randomBytes(16).toString("base64url");
    const logoutUrl = new URL(metadata.end_session_endpoint);
    logoutUrl.searchParams.set("id_token_hint", token!.gatehouse!.idToken!);
    logoutUrl.searchParams.set("post_logout_redirect_uri", RP_CLIENT.postLogoutRedirectUris[0]!);
    logoutUrl.searchParams.set("state", state);
    const logout = await fetch(logoutUrl, { redirect: "manual", headers: { cookie } });
    expect(logout.status).toBe(303);
    expect(logout.headers.get("location")).toBe(`${RP_CLIENT.postLogoutRedirectUris[0]}?state=${state}`);

    // The Gatehouse session is over: a prompt=none sign-in through Auth.js comes back with login_required.
    const rp2 = new RelyingParty();
    const authorizeUrl = await rp2.startSignIn(OIDC_PROVIDER);
    authorizeUrl.searchParams.set("prompt", "none");
    const callback = await completeAuthorization(base, cookie, authorizeUrl.toString());
    expect(callback.searchParams.get("error")).toBe("login_required");
    expect(callback.searchParams.get("state")).toBe(authorizeUrl.searchParams.get("state"));
    const failed = await rp2.callback(callback);
    expect(failed.status).toBe(302);
    expect(failed.headers.get("location")).toBe(`${RP}/auth/signin?error=OAuthCallbackError`);
    expect(rp2.observed.errors.map((error) => (error as Error).name)).toEqual(["OAuthCallbackError"]);
    // oauth4webapi accepted the error response (state and iss checked) and Auth.js logged the OAuth error.
    expect(rp2.observed.debug).toContainEqual(["OAuthCallbackError", expect.objectContaining({ providerId: OIDC_PROVIDER, error: "login_required", iss: base })]);
    expect(rp2.observed.requests.some((call) => call.url === `${base}/connect/token`)).toBe(false);
    expect(await rp2.session()).toBeNull();
  });
});
