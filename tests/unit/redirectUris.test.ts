// Redirect URI matching (lib/oauth/redirectUris.ts): exact strings, except the
// port of a native app's loopback IP redirect URI (RFC 8252 §7.3), through the
// matcher alone, then through /connect/authorize and /connect/token together.
// Row ids refer to shared/CONFORMANCE.md.
import { describe, expect, it } from "vitest";
import { isRegisteredRedirectUri } from "@/lib/oauth/redirectUris";
import { ensureSigningKeys, KeyRing } from "@/lib/oauth/signingKeys";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import {
  InMemorySigningKeyStore,
  LOOPBACK_WEB_CALLBACK,
  NATIVE_CALLBACKS,
  PKCE,
  TEST_SECRET,
  WEB_SECRET,
  codeRequestParams,
  createAuthorizeFixture,
  redirectLocation,
  tokenRequest,
  tokenEndpointFor,
} from "./fakes";

const nativeApp = { clientType: "public" as const, redirectUris: NATIVE_CALLBACKS };
const loopbackWeb = { clientType: "confidential" as const, redirectUris: [LOOPBACK_WEB_CALLBACK] };

describe("isRegisteredRedirectUri", () => {
  it.each([
    ["the registered string itself", "http://127.0.0.1/callback"],
    ["a port where none was registered", "http://127.0.0.1:51004/callback"],
    ["the highest port", "http://127.0.0.1:65535/callback"],
    ["another port than the registered one, IPv6", "http://[::1]:61000/cb"],
    ["no port where one was registered, IPv6", "http://[::1]/cb"],
  ])("BCP-01 a public client's loopback IP redirect URI matches with %s", (_name, uri) => {
    expect(isRegisteredRedirectUri(nativeApp, uri)).toBe(true);
  });

  it.each([
    ["another path", "http://127.0.0.1:51004/callback/other"],
    ["a trailing slash", "http://127.0.0.1:51004/callback/"],
    ["an added query", "http://127.0.0.1:51004/callback?x=1"],
    ["a fragment", "http://127.0.0.1:51004/callback#x"],
    ["the other loopback address", "http://[::1]:51004/callback"],
    ["localhost instead of the IP literal (RFC 8252 §8.3)", "http://localhost:51004/callback"],
    ["https", "https://127.0.0.1:51004/callback"],
    ["another 127/8 address", "http://127.0.0.2:51004/callback"],
    ["port 0", "http://127.0.0.1:0/callback"],
    ["a port above 65535", "http://127.0.0.1:65536/callback"],
    ["a non-numeric port", "http://127.0.0.1:80a/callback"],
    ["user info that moves the host", "http://127.0.0.1:51004@evil.example/callback"],
    ["a backslash after the port", "http://127.0.0.1:51004\\@evil.example/callback"],
    ["a percent-encoded path", "http://127.0.0.1:51004/%63allback"],
    ["an upper-case scheme", "HTTP://127.0.0.1:51004/callback"],
  ])("BCP-01 a loopback redirect URI with %s does not match", (_name, uri) => {
    expect(isRegisteredRedirectUri(nativeApp, uri)).toBe(false);
  });

  it("BCP-01 a confidential client's loopback URI is compared exactly, port included", () => {
    expect(isRegisteredRedirectUri(loopbackWeb, LOOPBACK_WEB_CALLBACK)).toBe(true);
    expect(isRegisteredRedirectUri(loopbackWeb, "http://127.0.0.1:3001/callback")).toBe(false);
  });

  it("BCP-01 a public client's https and localhost URIs are compared exactly", () => {
    const client = { clientType: "public" as const, redirectUris: ["https://app.example.test/cb", "http://localhost:5173/cb"] };
    expect(isRegisteredRedirectUri(client, "https://app.example.test/cb")).toBe(true);
    expect(isRegisteredRedirectUri(client, "https://app.example.test:8443/cb")).toBe(false);
    expect(isRegisteredRedirectUri(client, "http://localhost:5174/cb")).toBe(false);
  });
});

describe("BCP-01 / RFC 8252 §7.3 at the endpoints", () => {
  async function setup() {
    const fx = createAuthorizeFixture();
    const keyStore = new InMemorySigningKeyStore();
    const encryption = new KeyEncryption(TEST_SECRET);
    await ensureSigningKeys(keyStore, encryption);
    const token = tokenEndpointFor(fx, new KeyRing(keyStore, encryption));
    fx.signIn();
    return { ...fx, token };
  }

  it("a native app on a port of its choosing gets its code at that port, and redeems it with the same redirect_uri", async () => {
    const s = await setup();
    const requested = "http://127.0.0.1:49152/callback";
    const location = redirectLocation(await s.get(codeRequestParams("native-app", requested, { state: "st" })));
    expect(`${location.origin}${location.pathname}`).toBe(requested);
    expect(location.searchParams.get("state")).toBe("st");
    expect(location.searchParams.get("iss")).toBe(s.config.issuer);
    const code = location.searchParams.get("code")!;

    // The code is bound to the URI the request used: the registered one, or another port, is refused (TK-05).
    const redeem = (redirectUri: string) =>
      s.token(tokenRequest({ grant_type: "authorization_code", client_id: "native-app", code, redirect_uri: redirectUri, code_verifier: PKCE.verifier }));
    const other = await redeem("http://127.0.0.1:49153/callback");
    expect(other.status).toBe(400);
    expect((await other.json()).error).toBe("invalid_grant");
  });

  it("the same redirect_uri at the token endpoint succeeds", async () => {
    const s = await setup();
    const requested = "http://[::1]:50000/cb";
    const code = redirectLocation(await s.get(codeRequestParams("native-app", requested))).searchParams.get("code")!;
    const response = await s.token(tokenRequest({ grant_type: "authorization_code", client_id: "native-app", code, redirect_uri: requested, code_verifier: PKCE.verifier }));
    expect(response.status).toBe(200);
  });

  it("errors go back to the port the app is listening on, with state and iss", async () => {
    const s = await setup();
    const location = redirectLocation(await s.get(codeRequestParams("native-app", "http://127.0.0.1:49200/callback", { code_challenge_method: "plain", state: "e1" })));
    expect(`${location.origin}${location.pathname}`).toBe("http://127.0.0.1:49200/callback");
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("state")).toBe("e1");
  });

  it.each([
    ["another path on a loopback port", "native-app", "http://127.0.0.1:49152/other"],
    ["localhost on another port", "native-app", "http://localhost:49152/callback"],
    ["a confidential client's loopback URI on another port", "loopback-web", "http://127.0.0.1:3001/callback"],
  ])("%s gives an error page, never a redirect", async (_name, clientId, redirectUri) => {
    const s = await setup();
    const response = await s.get(codeRequestParams(clientId, redirectUri));
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("Unregistered redirect URI");
  });

  it("the confidential loopback client still gets its code on the exact registered URI", async () => {
    const s = await setup();
    const location = redirectLocation(await s.get(codeRequestParams("loopback-web", LOOPBACK_WEB_CALLBACK)));
    expect(location.searchParams.get("code")).toBeTruthy();
    const response = await s.token(
      tokenRequest({ grant_type: "authorization_code", code: location.searchParams.get("code")!, redirect_uri: LOOPBACK_WEB_CALLBACK, code_verifier: PKCE.verifier }, { basic: ["loopback-web", WEB_SECRET] }),
    );
    expect(response.status).toBe(200);
  });
});
