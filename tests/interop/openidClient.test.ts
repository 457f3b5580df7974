// Interoperability: openid-client v6 (panva), a certified relying-party
// library, runs the authorization code flow with PKCE against the built
// server. It discovers the metadata, builds the authorization URL, and checks
// the authorization response itself (state, and iss per RFC 9207) before it
// redeems the code. The browser part (sign-in, consent) is driven over HTTP.
// With the openid scope the library also validates the ID token (iss, aud,
// exp, iat, nonce, auth_time; with enableNonRepudiationChecks its signature
// against jwks_uri too).
// A native app listens on a loopback port the system gives it and has the
// library redeem the code that arrives there (RFC 8252 §7.3).
// CONFORMANCE.md AZ-01, AZ-13, AZ-21 / BCP-11, PK-01, TK-01, IT-01, IT-02, BCP-01, DISC (issuer match).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as client from "openid-client";
import { DEMO_POSTMAN, DEMO_SPA, DEMO_USER } from "../helpers/codeFlow";
import { JWKS_PATH, verifyAccessToken } from "../helpers/oauth";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { registerClient, type RelyingPartyClient } from "../helpers/relyingPartyClient";
import { createSeededStore, runCli, startServer, TEST_ADMIN_PASSWORD, type RunningServer, type TestStore } from "../helpers/server";

/** A public native app registered with a loopback IP redirect URI and no port (RFC 8252 §7.3). */
const NATIVE_APP: RelyingPartyClient = {
  clientId: "native-cli",
  displayName: "Native CLI",
  redirectUris: ["http://127.0.0.1/callback"],
  postLogoutRedirectUris: [],
  scopes: ["profile", "offline_access"],
};

let store: TestStore;
let server: RunningServer | undefined;
let base: string;
let alice: string;

beforeAll(async () => {
  // A copy of the session's seeded template (seeded here without one), so the client row can go in before the server holds the store.
  const seeded = await createSeededStore();
  if (!seeded.seeded) await runCli(seeded, ["seed-demo"]);
  store = seeded;
  await registerClient(store, NATIVE_APP);
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

/** The relying party's side: discovery, then an authorization URL with PKCE and state. */
async function startFlow(config: client.Configuration, redirectUri: string, scope: string) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: codeChallenge,
    code_challenge_method: "S256",
    state,
  });
  return { codeVerifier, state, url };
}

describe("openid-client v6", () => {
  test("DISC: discovery succeeds and the issuer matches the server", async () => {
    const config = await client.discovery(new URL(base), DEMO_SPA.clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(base);
    expect(metadata.authorization_endpoint).toBe(`${base}/connect/authorize`);
    expect(metadata.supportsPKCE()).toBe(true);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });

  test("AZ-01 / AZ-21 / PK-01: the public spa (client.None) completes the code flow; state and iss are checked by the library", async () => {
    const config = await client.discovery(new URL(base), DEMO_SPA.clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const flow = await startFlow(config, DEMO_SPA.redirectUri, "profile api");
    expect(flow.url.origin + flow.url.pathname).toBe(`${base}/connect/authorize`);

    const callback = await completeAuthorization(base, alice, flow.url.toString());
    expect(callback.searchParams.get("iss")).toBe(base);

    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state });
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
    expect(tokens.scope).toBe("profile api");
    expect(tokens.expiresIn()).toBeGreaterThan(0);
    const { payload } = await verifyAccessToken(tokens.access_token, base + JWKS_PATH, { issuer: base, audience: "urn:gatehouse:api" });
    expect(payload).toMatchObject({ client_id: "spa", scope: "profile api", preferred_username: DEMO_USER.username });
  });

  test("TK-01: the confidential postman (client.ClientSecretBasic) completes the code flow", async () => {
    const config = await client.discovery(
      new URL(base),
      DEMO_POSTMAN.clientId,
      undefined,
      client.ClientSecretBasic(DEMO_POSTMAN.secret),
      { execute: [client.allowInsecureRequests] },
    );
    const flow = await startFlow(config, DEMO_POSTMAN.redirectUri, "api");
    const callback = await completeAuthorization(base, alice, flow.url.toString());
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state });
    expect(tokens.scope).toBe("api");
    const { payload } = await verifyAccessToken(tokens.access_token, base + JWKS_PATH, { issuer: base, audience: "urn:gatehouse:api" });
    expect(payload).toMatchObject({ client_id: "postman", preferred_username: DEMO_USER.username });
  });

  test("IT-01 / IT-02: the spa runs openid profile email with a nonce; the library validates the ID token, signature included", async () => {
    const config = await client.discovery(new URL(base), DEMO_SPA.clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    });
    expect(config.serverMetadata().id_token_signing_alg_values_supported).toContain("RS256");
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: DEMO_SPA.redirectUri,
      scope: "openid profile email",
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    const callback = await completeAuthorization(base, alice, url.toString());
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce });
    expect(tokens.id_token).toBeTypeOf("string");
    const claims = tokens.claims()!;
    expect(claims).toBeDefined();
    expect(claims.iss).toBe(base);
    expect(claims.aud).toBe(DEMO_SPA.clientId);
    expect(claims.nonce).toBe(nonce);
    expect(claims.sub).toBeTypeOf("string");
    expect(claims).toMatchObject({ name: "Alice Example", preferred_username: DEMO_USER.username, email: DEMO_USER.email, email_verified: true });
    // No scope names a resource: the access token's audience is the default (the issuer).
    const { payload } = await verifyAccessToken(tokens.access_token, base + JWKS_PATH, { issuer: base, audience: base });
    expect(claims.sub).toBe(payload.sub);
  });

  test("TK-01 / IT-01: postman (client_secret_basic) with openid, a nonce and max_age: the library checks nonce and auth_time", async () => {
    const config = await client.discovery(
      new URL(base),
      DEMO_POSTMAN.clientId,
      undefined,
      client.ClientSecretBasic(DEMO_POSTMAN.secret),
      { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
    );
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: DEMO_POSTMAN.redirectUri,
      scope: "openid profile email api",
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
      max_age: "3600",
    });
    const callback = await completeAuthorization(base, alice, url.toString());
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, maxAge: 3600 });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ aud: DEMO_POSTMAN.clientId, nonce, email: DEMO_USER.email });
    expect(claims.auth_time).toBeTypeOf("number");
    const { payload } = await verifyAccessToken(tokens.access_token, base + JWKS_PATH, { issuer: base, audience: "urn:gatehouse:api" });
    expect(claims.sub).toBe(payload.sub);
  });

  test("AZ-13: openid without a nonce: the library expects an ID token without one, and gets it", async () => {
    const config = await client.discovery(new URL(base), DEMO_SPA.clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const flow = await startFlow(config, DEMO_SPA.redirectUri, "openid");
    const callback = await completeAuthorization(base, alice, flow.url.toString());
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, idTokenExpected: true });
    const claims = tokens.claims()!;
    expect(claims.sub).toBeTypeOf("string");
    expect(claims).not.toHaveProperty("nonce");
    expect(claims).not.toHaveProperty("email");
  });

  test("AZ-21 / BCP-11: an error response (consent_required for prompt=none) passes the library's iss check and surfaces as an OAuth error", async () => {
    // admin has consented to nothing: prompt=none ends in consent_required, which the library raises.
    const { cookie: admin } = await signInOverHttp(base, "admin", TEST_ADMIN_PASSWORD);
    const config = await client.discovery(new URL(base), DEMO_SPA.clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: DEMO_SPA.redirectUri,
      scope: "api",
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      prompt: "none",
    });
    const callback = await completeAuthorization(base, admin, url.toString());
    await expect(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state })).rejects.toMatchObject({
      error: "consent_required",
    });
  });

  test.each([
    ["the public spa (client.None)", DEMO_SPA.clientId, DEMO_SPA.redirectUri, () => client.None()],
    ["postman (client.ClientSecretBasic)", DEMO_POSTMAN.clientId, DEMO_POSTMAN.redirectUri, () => client.ClientSecretBasic(DEMO_POSTMAN.secret)],
  ])("RT-01 / RT-04: %s refreshes after openid offline_access; the library validates the new ID token; the old refresh token is refused", async (_label, clientId, redirectUri, auth) => {
    const config = await client.discovery(new URL(base), clientId, undefined, auth(), {
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    });
    expect(config.serverMetadata().grant_types_supported).toContain("refresh_token");
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: "openid offline_access profile",
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
      prompt: "consent",
    });
    const callback = await completeAuthorization(base, alice, url.toString());
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce });
    expect(tokens.refresh_token).toBeTypeOf("string");
    const original = tokens.claims()!;
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTypeOf("string");
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const claims = refreshed.claims()!;
    expect(claims).toBeDefined();
    expect(claims.iss).toBe(original.iss);
    expect(claims.sub).toBe(original.sub);
    expect(claims.aud).toBe(clientId);
    expect(claims.auth_time).toBe(original.auth_time);
    expect(claims.iat).toBeGreaterThan(original.iat);
    expect(claims).not.toHaveProperty("nonce");

    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
  });

  test("a replayed callback (code reuse) is refused by the server with invalid_grant", async () => {
    const config = await client.discovery(new URL(base), DEMO_SPA.clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const flow = await startFlow(config, DEMO_SPA.redirectUri, "api");
    const callback = await completeAuthorization(base, alice, flow.url.toString());
    await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state });
    await expect(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state })).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  test("BCP-01: a native app listening on a port of its choosing (RFC 8252 §7.3) gets the code there and the library redeems it", async () => {
    const config = await client.discovery(new URL(base), NATIVE_APP.clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    });
    // The app's loopback listener, on whatever port is free, as a CLI or desktop app would open it.
    const received: URL[] = [];
    const listener = http.createServer((request, response) => {
      received.push(new URL(request.url!, `http://127.0.0.1:${(listener.address() as AddressInfo).port}`));
      response.writeHead(200, { "content-type": "text/plain" }).end("You can close this window.");
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    try {
      const port = (listener.address() as AddressInfo).port;
      const redirectUri = `http://127.0.0.1:${port}/callback`;
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: "openid profile offline_access",
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
        state,
        nonce,
      });
      const callback = await completeAuthorization(base, alice, url.toString());
      expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
      // The browser delivers the redirect to the app's listener.
      expect((await fetch(callback)).status).toBe(200);
      expect(received).toHaveLength(1);

      const tokens = await client.authorizationCodeGrant(config, received[0]!, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce });
      expect(tokens.claims()).toMatchObject({ aud: NATIVE_APP.clientId, nonce, preferred_username: DEMO_USER.username });
      expect(tokens.refresh_token).toBeTypeOf("string");
      expect((await client.refreshTokenGrant(config, tokens.refresh_token!)).access_token).toBeTypeOf("string");

      // Only the port may vary: another path on the same listener is refused with an error page, no redirect.
      const elsewhere = client.buildAuthorizationUrl(config, {
        redirect_uri: `http://127.0.0.1:${port}/other`,
        scope: "openid",
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
        state,
      });
      const refused = await fetch(elsewhere, { redirect: "manual", headers: { cookie: alice } });
      expect(refused.status).toBe(400);
      expect(refused.headers.get("location")).toBeNull();
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});
