// POST /connect/revoke (RFC 7009). CONFORMANCE.md section 10 (RV-01..RV-05).
import { beforeAll, describe, expect, it } from "vitest";
import { validateAccessToken } from "@/lib/oauth/bearer";
import { RegisteredOriginCache } from "@/lib/oauth/cors";
import { createIntrospectionEndpoint } from "@/lib/oauth/introspect";
import { REVOCATION_SCOPE, createRevocationEndpoint } from "@/lib/oauth/revoke";
import { hashOpaqueValue } from "@/lib/oauth/secrets";
import { createUserinfoEndpoint } from "@/lib/oauth/userinfo";
import {
  InMemoryAuditLog,
  InMemoryClientStore,
  InMemoryScopeStore,
  InMemoryUserStore,
  authorizationScopes,
  clientFormRequest,
  createTokenFixture,
  makeClient,
  makeUser,
  testClientAddress,
  type TokenFixture,
} from "./fakes";

const PATH = "/connect/revoke";
const SECRET = "web-secret-0123456789";

let fx: TokenFixture;
let revoke: (request: Request) => Promise<Response>;
let introspect: (request: Request) => Promise<Response>;
let userinfo: (request: Request) => Promise<Response>;
const audit = new InMemoryAuditLog();

const alice = makeUser();
const webApp = makeClient({ clientId: "web-app", secret: SECRET, permissions: ["ept:token", "ept:revocation", "ept:introspection"] });
const otherApp = makeClient({ clientId: "other-app", secret: SECRET, permissions: ["ept:token", "ept:revocation", "ept:introspection"] });
const SPA_ORIGIN = "https://spa.example.test";
const spa = makeClient({ clientId: "spa", clientType: "public", permissions: ["ept:token", "ept:revocation"], redirectUris: [`${SPA_ORIGIN}/cb`] });
const noPermission = makeClient({ clientId: "no-revocation", secret: SECRET, permissions: ["ept:token"] });

beforeAll(async () => {
  fx = await createTokenFixture();
  const clients = new InMemoryClientStore([webApp, otherApp, spa, noPermission]);
  const bearer = { config: fx.config, keys: fx.keys, tokens: fx.tokens, now: fx.clock.now };
  revoke = createRevocationEndpoint({
    ...bearer,
    clients,
    revocations: fx.tokens,
    audit,
    clientAddress: testClientAddress,
    origins: new RegisteredOriginCache(clients),
  });
  introspect = createIntrospectionEndpoint({ ...bearer, clients });
  userinfo = createUserinfoEndpoint({ ...bearer, scopes: new InMemoryScopeStore(authorizationScopes()), users: new InMemoryUserStore([alice]) });
});

const issueFor = (client = webApp, grantId: string = crypto.randomUUID()) =>
  fx.issue({ client, subject: alice.id, scopes: ["openid", "profile"], grantId });

function post(body: Record<string, string>, as: [string, string] | null = ["web-app", SECRET]) {
  return revoke(clientFormRequest(PATH, body, as ? { basic: as } : {}));
}

async function expectRevokeOk(response: Response) {
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toMatch(/no-store/);
  expect(await response.text()).toBe("");
}

async function expectError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  expect(body.error_description.length).toBeGreaterThan(0);
  return body;
}

const statusOf = (jti: string) => fx.tokens.byJti(jti)!.status;

async function isActive(token: string, as: [string, string] = ["web-app", SECRET]) {
  return ((await (await introspect(clientFormRequest("/connect/introspect", { token }, { basic: as }))).json()) as { active: boolean }).active;
}

describe("RV-01: revoking an access token", () => {
  it.each([
    ["no hint", {}],
    ["the right hint", { token_type_hint: "access_token" }],
    ["the wrong hint", { token_type_hint: "refresh_token" }],
    ["an unknown hint", { token_type_hint: "banana" }],
  ])("RV-01: with %s: 200 empty, then introspection says inactive and userinfo 401", async (_label, hint) => {
    const issued = await issueFor();
    expect(await isActive(issued.accessToken)).toBe(true);
    expect((await userinfo(new Request("https://id.example.test/connect/userinfo", { headers: { Authorization: `Bearer ${issued.accessToken}` } }))).status).toBe(200);

    await expectRevokeOk(await post({ token: issued.accessToken, ...hint }));

    expect(statusOf(issued.jti)).toBe("revoked");
    expect(await isActive(issued.accessToken)).toBe(false);
    const after = await userinfo(new Request("https://id.example.test/connect/userinfo", { headers: { Authorization: `Bearer ${issued.accessToken}` } }));
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
  });

  it("RV-01: only that token goes: another access token of the same grant stays active", async () => {
    const grantId = crypto.randomUUID();
    const first = await issueFor(webApp, grantId);
    const second = await issueFor(webApp, grantId);
    await expectRevokeOk(await post({ token: first.accessToken }));
    expect(statusOf(first.jti)).toBe("revoked");
    expect(statusOf(second.jti)).toBe("valid");
  });

  it("revoking twice is fine: 200 both times", async () => {
    const issued = await issueFor();
    await expectRevokeOk(await post({ token: issued.accessToken }));
    await expectRevokeOk(await post({ token: issued.accessToken }));
    expect(statusOf(issued.jti)).toBe("revoked");
  });

  it("client_secret_post works as well as Basic", async () => {
    const issued = await issueFor();
    await expectRevokeOk(await revoke(clientFormRequest(PATH, { token: issued.accessToken, client_id: "web-app", client_secret: SECRET })));
    expect(statusOf(issued.jti)).toBe("revoked");
  });

  it("a public client revokes its own token with client_id alone", async () => {
    const issued = await issueFor(spa);
    await expectRevokeOk(await revoke(clientFormRequest(PATH, { token: issued.accessToken, client_id: "spa" })));
    expect(statusOf(issued.jti)).toBe("revoked");
  });

  it("an expired token: 200, nothing to do", async () => {
    const issued = await fx.issue({ client: webApp, subject: alice.id, scopes: ["openid"], grantId: crypto.randomUUID(), now: fx.clock.now() - 7200_000 });
    await expectRevokeOk(await post({ token: issued.accessToken }));
  });
});

describe("RV-02: revoking a refresh token takes its grant along (RFC 7009 §2.1)", () => {
  it("RV-02: the refresh token, the grant root and every access token of the grant are revoked; other grants are not", async () => {
    const code = fx.tokens.addOpaqueToken({ kind: "authorization_code", valueHash: "rv2-code", applicationId: webApp.id, grantId: "self", status: "redeemed" });
    const refreshValue = "rt-opaque-value-0123456789";
    const refresh = fx.tokens.addOpaqueToken({ kind: "refresh_token", valueHash: hashOpaqueValue(refreshValue), applicationId: webApp.id, grantId: code.id });
    const access = await issueFor(webApp, code.id);
    const unrelated = await issueFor(webApp);

    await expectRevokeOk(await post({ token: refreshValue, token_type_hint: "refresh_token" }));

    expect(fx.tokens.rows.get(refresh.id)!.status).toBe("revoked");
    expect(fx.tokens.rows.get(code.id)!.status).toBe("revoked");
    expect(statusOf(access.jti)).toBe("revoked");
    expect(await isActive(access.accessToken)).toBe(false);
    expect(statusOf(unrelated.jti)).toBe("valid");
  });

  it("RV-02: with the access_token hint (wrong) it is found all the same", async () => {
    const value = "rt-opaque-value-hint";
    const refresh = fx.tokens.addOpaqueToken({ kind: "refresh_token", valueHash: hashOpaqueValue(value), applicationId: webApp.id, grantId: "self" });
    await expectRevokeOk(await post({ token: value, token_type_hint: "access_token" }));
    expect(fx.tokens.rows.get(refresh.id)!.status).toBe("revoked");
  });

  it("the policy: access tokens go alone, refresh tokens take the grant", () => {
    expect(REVOCATION_SCOPE).toEqual({ access_token: "token", refresh_token: "grant" });
  });
});

describe("RV-03 / RV-04: nothing to revoke still answers 200", () => {
  it.each([
    ["garbage", "garbage"],
    ["a JWT-shaped string", "a.b.c"],
    ["an unknown opaque value", "2YotnFZFEjr1zCsicMWpAA"],
  ])("RV-03: %s gives 200 with an empty body", async (_label, token) => {
    await expectRevokeOk(await post({ token }));
  });

  it("RV-03: a token signed by another server gives 200 and changes nothing here", async () => {
    const other = await createTokenFixture({}, "another");
    const issued = await other.issue({ client: webApp, subject: alice.id, scopes: ["openid"], grantId: crypto.randomUUID() });
    await expectRevokeOk(await post({ token: issued.accessToken }));
  });

  it("RV-04: another client's access token: 200, and it stays active", async () => {
    const issued = await issueFor(webApp);
    await expectRevokeOk(await post({ token: issued.accessToken }, ["other-app", SECRET]));
    expect(statusOf(issued.jti)).toBe("valid");
    expect(await isActive(issued.accessToken)).toBe(true);
  });

  it("RV-04: a public client cannot revoke a confidential client's token", async () => {
    const issued = await issueFor(webApp);
    await expectRevokeOk(await revoke(clientFormRequest(PATH, { token: issued.accessToken, client_id: "spa" })));
    expect(statusOf(issued.jti)).toBe("valid");
  });

  it("RV-04: another client's refresh token: 200, and its grant is untouched", async () => {
    const value = "rt-of-web-app";
    const refresh = fx.tokens.addOpaqueToken({ kind: "refresh_token", valueHash: hashOpaqueValue(value), applicationId: webApp.id, grantId: "self" });
    await expectRevokeOk(await post({ token: value }, ["other-app", SECRET]));
    expect(fx.tokens.rows.get(refresh.id)!.status).toBe("valid");
  });
});

describe("RV-05: refusals", () => {
  it("RV-05: a missing token gives 400 invalid_request", async () => {
    const body = await expectError(await post({}), 400, "invalid_request");
    expect(body.error_description).toMatch(/token/);
  });

  it("RV-05: no or bad client authentication gives 401 invalid_client, and revokes nothing", async () => {
    const issued = await issueFor();
    await expectError(await post({ token: issued.accessToken }, null), 401, "invalid_client");
    const wrong = await post({ token: issued.accessToken }, ["web-app", "wrong"]);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Basic/);
    await expectError(wrong, 401, "invalid_client");
    expect(statusOf(issued.jti)).toBe("valid");
  });

  it("RV-05: an authorization code (a type that cannot be revoked) gives 400 unsupported_token_type", async () => {
    const value = "an-authorization-code-value";
    const code = fx.tokens.addOpaqueToken({ kind: "authorization_code", valueHash: hashOpaqueValue(value), applicationId: webApp.id, grantId: "self" });
    await expectError(await post({ token: value }), 400, "unsupported_token_type");
    expect(fx.tokens.rows.get(code.id)!.status).toBe("valid");
    // Another client's code is simply not found.
    await expectRevokeOk(await post({ token: value }, ["other-app", SECRET]));
  });

  it("a client without ept:revocation gives 400 unauthorized_client", async () => {
    const issued = await fx.issue({ client: noPermission, subject: alice.id, scopes: ["openid"], grantId: crypto.randomUUID() });
    await expectError(await post({ token: issued.accessToken }, ["no-revocation", SECRET]), 400, "unauthorized_client");
    expect((await validateAccessToken({ config: fx.config, keys: fx.keys, tokens: fx.tokens }, issued.accessToken)).active).toBe(true);
  });

  it("GET is 405 with Allow: POST", async () => {
    const response = await revoke(new Request(`https://id.example.test${PATH}`));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });
});

describe("CORS", () => {
  it("a browser app can revoke from its redirect URI's origin: preflight 204 and its origin on the answer, never *", async () => {
    const preflight = await revoke(
      new Request(`https://id.example.test${PATH}`, { method: "OPTIONS", headers: { Origin: SPA_ORIGIN, "Access-Control-Request-Method": "POST" } }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(SPA_ORIGIN);
    expect(preflight.headers.get("access-control-allow-methods")).toMatch(/POST/);
    const issued = await issueFor(spa);
    const response = await revoke(clientFormRequest(PATH, { token: issued.accessToken, client_id: "spa" }, { headers: { Origin: SPA_ORIGIN } }));
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(SPA_ORIGIN);
    expect(response.headers.get("vary")).toMatch(/Origin/);
  });

  it("another origin is refused at the preflight and gets no Access-Control-Allow-Origin on the answer", async () => {
    const evil = "https://evil.example.test";
    const preflight = await revoke(new Request(`https://id.example.test${PATH}`, { method: "OPTIONS", headers: { Origin: evil } }));
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const issued = await issueFor(spa);
    const response = await revoke(clientFormRequest(PATH, { token: issued.accessToken, client_id: "spa" }, { headers: { Origin: evil } }));
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    // The web app registers no redirect URI at the SPA's origin: its answers are not readable there.
    const own = await issueFor(webApp);
    const webAnswer = await revoke(clientFormRequest(PATH, { token: own.accessToken }, { basic: ["web-app", SECRET], headers: { Origin: SPA_ORIGIN } }));
    expect(webAnswer.status).toBe(200);
    expect(webAnswer.headers.get("access-control-allow-origin")).toBeNull();
  });
});
