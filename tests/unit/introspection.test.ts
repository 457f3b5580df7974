// POST /connect/introspect (RFC 7662). CONFORMANCE.md section 10 (IR-01..IR-04) and CC-05.
import { beforeAll, describe, expect, it } from "vitest";
import { createIntrospectionEndpoint } from "@/lib/oauth/introspect";
import { hashOpaqueValue } from "@/lib/oauth/secrets";
import {
  InMemoryClientStore,
  clientFormRequest,
  createTokenFixture,
  makeClient,
  type TokenFixture,
} from "./fakes";

const PATH = "/connect/introspect";
const SECRET = "rs-secret-0123456789";
const USER = "0d9e3c8a-1b2f-4e5d-8c7b-6a5f4e3d2c1b";

let fx: TokenFixture;
let endpoint: (request: Request) => Promise<Response>;

const webApp = makeClient({ clientId: "web-app", secret: SECRET, permissions: ["ept:token", "ept:introspection", "gt:authorization_code"] });
const otherApp = makeClient({ clientId: "other-app", secret: SECRET, permissions: ["ept:token", "ept:introspection"] });
const noPermission = makeClient({ clientId: "no-introspection", secret: SECRET, permissions: ["ept:token"] });
const spa = makeClient({ clientId: "spa", clientType: "public", permissions: ["ept:token", "ept:introspection", "ept:revocation"] });
/** A resource server registered under its resource identifier, which tokens name as their audience. */
const ordersApi = makeClient({ clientId: "https://orders.example.test", secret: SECRET, permissions: ["ept:introspection"] });
const service = makeClient({ clientId: "service-a", secret: SECRET, permissions: ["ept:token", "ept:introspection", "gt:client_credentials"] });

beforeAll(async () => {
  fx = await createTokenFixture();
  const clients = new InMemoryClientStore([webApp, otherApp, noPermission, spa, ordersApi, service]);
  endpoint = createIntrospectionEndpoint({ config: fx.config, keys: fx.keys, tokens: fx.tokens, clients, now: fx.clock.now });
});

const userToken = (overrides: { audiences?: string[]; scopes?: string[]; grantId?: string } = {}) =>
  fx.issue({ client: webApp, subject: USER, scopes: ["openid", "profile"], grantId: crypto.randomUUID(), ...overrides });

function introspect(body: Record<string, string>, as: [string, string] | null = ["web-app", SECRET]) {
  return endpoint(clientFormRequest(PATH, body, as ? { basic: as } : {}));
}

async function expectInactive(response: Response) {
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toMatch(/no-store/);
  expect(await response.text()).toBe('{"active":false}');
}

async function expectError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("cache-control")).toMatch(/no-store/);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  expect(body.error_description.length).toBeGreaterThan(0);
  return body;
}

describe("IR-01: a live access token", () => {
  it("IR-01: the client it was issued to gets active:true with the RFC 7662 members; no-store", async () => {
    const issued = await userToken();
    const response = await introspect({ token: issued.accessToken });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toMatch(/no-store/);
    const body = await response.json();
    const iat = Math.floor(fx.clock.now() / 1000);
    expect(body).toEqual({
      active: true,
      client_id: "web-app",
      scope: "openid profile",
      sub: USER,
      iss: fx.config.issuer,
      exp: iat + 3600,
      iat,
      token_type: "Bearer",
      aud: fx.config.defaultAudience,
      jti: issued.jti,
    });
  });

  it("IR-01: client_secret_post works as well as Basic", async () => {
    const issued = await userToken();
    const response = await endpoint(clientFormRequest(PATH, { token: issued.accessToken, client_id: "web-app", client_secret: SECRET }));
    expect((await response.json()).active).toBe(true);
  });

  it("a token with several audiences reports them all", async () => {
    const issued = await userToken({ audiences: ["https://orders.example.test", "https://audit.example.test"] });
    const body = await (await introspect({ token: issued.accessToken })).json();
    expect(body.aud).toEqual(["https://orders.example.test", "https://audit.example.test"]);
  });

  it("a resource server named in the token's audience may introspect it too", async () => {
    const issued = await userToken({ audiences: ["https://orders.example.test"] });
    const body = await (await introspect({ token: issued.accessToken }, ["https://orders.example.test", SECRET])).json();
    expect(body).toMatchObject({ active: true, client_id: "web-app", sub: USER });
  });

  it("CC-05: a client_credentials token shows sub = client_id, which no user id can be mistaken for", async () => {
    const issued = await fx.issue({ client: service, subject: "service-a", scopes: ["orders:read"] });
    const body = await (await introspect({ token: issued.accessToken }, ["service-a", SECRET])).json();
    expect(body).toMatchObject({ active: true, client_id: "service-a", sub: "service-a", scope: "orders:read" });
    expect(body.sub).not.toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("a token with no scope has no scope member", async () => {
    const issued = await fx.issue({ client: service, subject: "service-a", scopes: [] });
    const body = await (await introspect({ token: issued.accessToken }, ["service-a", SECRET])).json();
    expect(body.active).toBe(true);
    expect(body).not.toHaveProperty("scope");
  });
});

describe("IR-01: a refresh token (opaque, looked up by its hash)", () => {
  function refreshToken(overrides: { applicationId?: string; status?: "valid" | "redeemed" | "revoked"; expiresAt?: Date } = {}) {
    const value = `rt-${crypto.randomUUID()}`;
    const root = fx.tokens.addOpaqueToken({ kind: "authorization_code", valueHash: hashOpaqueValue(`code-${value}`), applicationId: webApp.id, grantId: "self", status: "redeemed" });
    const createdAt = new Date(fx.clock.now() - 60_000);
    const row = fx.tokens.addOpaqueToken({
      kind: "refresh_token",
      valueHash: hashOpaqueValue(value),
      applicationId: overrides.applicationId ?? webApp.id,
      subject: USER,
      grantId: root.id,
      scopes: ["openid", "offline_access"],
      status: overrides.status ?? "valid",
      createdAt,
      expiresAt: overrides.expiresAt ?? new Date(fx.clock.now() + 86_400_000),
    });
    return { value, row, root, createdAt };
  }

  it("IR-01 / RT-01: the client it was issued to sees it active, with scope, sub, exp, iat and token_type refresh_token", async () => {
    const { value, row, createdAt } = refreshToken();
    const response = await introspect({ token: value, token_type_hint: "refresh_token" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      active: true,
      client_id: "web-app",
      scope: "openid offline_access",
      sub: USER,
      iss: fx.config.issuer,
      exp: Math.floor(row.expiresAt.getTime() / 1000),
      iat: Math.floor(createdAt.getTime() / 1000),
      token_type: "refresh_token",
    });
  });

  it("IR-02 / RT-02: a rotated (redeemed), revoked or expired refresh token is inactive", async () => {
    await expectInactive(await introspect({ token: refreshToken({ status: "redeemed" }).value }));
    await expectInactive(await introspect({ token: refreshToken({ status: "revoked" }).value }));
    await expectInactive(await introspect({ token: refreshToken({ expiresAt: new Date(fx.clock.now() - 1000) }).value }));
  });

  it("IR-02 / RT-04: a refresh token whose grant was revoked (reuse detected) is inactive", async () => {
    const { value, root } = refreshToken();
    expect((await (await introspect({ token: value })).json()).active).toBe(true);
    await fx.tokens.revokeGrant(root.id);
    await expectInactive(await introspect({ token: value }));
  });

  it("IR-02: another client's refresh token is inactive for the caller, and for a resource server", async () => {
    const { value } = refreshToken({ applicationId: otherApp.id });
    await expectInactive(await introspect({ token: value }));
    await expectInactive(await introspect({ token: value }, ["https://orders.example.test", SECRET]));
    expect((await (await introspect({ token: value }, ["other-app", SECRET])).json()).active).toBe(true);
  });

  it("IR-02: a refresh token of a disabled client is inactive", async () => {
    const { value } = refreshToken();
    fx.tokens.disabledApplications.add(webApp.id);
    try {
      await expectInactive(await introspect({ token: value }));
    } finally {
      fx.tokens.disabledApplications.delete(webApp.id);
    }
  });
});

describe("IR-02: everything else is exactly {\"active\":false}", () => {
  it.each([
    ["garbage", "garbage"],
    ["a JWT-shaped string", "a.b.c"],
    ["an opaque value", "2YotnFZFEjr1zCsicMWpAA"],
  ])("IR-02: %s", async (_label, token) => {
    await expectInactive(await introspect({ token }));
  });

  it("IR-02: an expired token", async () => {
    const issued = await fx.issue({ client: webApp, subject: USER, scopes: ["openid"], grantId: crypto.randomUUID(), now: fx.clock.now() - 7200_000 });
    await expectInactive(await introspect({ token: issued.accessToken }));
  });

  it("IR-02 / RV-01: a revoked token", async () => {
    const issued = await userToken();
    await fx.tokens.revokeToken(fx.tokens.byJti(issued.jti)!.id);
    await expectInactive(await introspect({ token: issued.accessToken }));
  });

  it("IR-02 / TK-04: a token whose grant was revoked by a code replay", async () => {
    const code = fx.tokens.addOpaqueToken({ kind: "authorization_code", valueHash: "ir-code", applicationId: webApp.id, grantId: "self", status: "redeemed" });
    const issued = await userToken({ grantId: code.id });
    expect((await (await introspect({ token: issued.accessToken })).json()).active).toBe(true);
    await fx.tokens.revokeGrant(code.id);
    await expectInactive(await introspect({ token: issued.accessToken }));
  });

  it("IR-02: a consumed authorization code (its value) is not an active token", async () => {
    fx.tokens.addOpaqueToken({ kind: "authorization_code", valueHash: "whatever", applicationId: webApp.id, grantId: "self", status: "redeemed" });
    await expectInactive(await introspect({ token: "SplxlOBeZQQYbYS6WxSbIA" }));
  });

  it("IR-02: another client's token (the caller is neither its client nor its audience)", async () => {
    const issued = await userToken();
    await expectInactive(await introspect({ token: issued.accessToken }, ["other-app", SECRET]));
  });

  it("IR-02: a token signed by another server", async () => {
    const other = await createTokenFixture({}, "another");
    const issued = await other.issue({ client: webApp, subject: USER, scopes: ["openid"], grantId: crypto.randomUUID() });
    await expectInactive(await introspect({ token: issued.accessToken }));
  });
});

describe("IR-03: client authentication and the token parameter", () => {
  it("IR-03: no client authentication gives 401 invalid_client", async () => {
    const issued = await userToken();
    await expectError(await introspect({ token: issued.accessToken }, null), 401, "invalid_client");
  });

  it("IR-03: a wrong secret gives 401 invalid_client with a Basic challenge", async () => {
    const issued = await userToken();
    const response = await introspect({ token: issued.accessToken }, ["web-app", "wrong"]);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic/);
    await expectError(response, 401, "invalid_client");
  });

  it("IR-03: a missing token parameter gives 400 invalid_request", async () => {
    const body = await expectError(await introspect({}), 400, "invalid_request");
    expect(body.error_description).toMatch(/token/);
  });

  it("IR-02 / IR-03: a public client cannot introspect at all (401 invalid_client), not even its own tokens", async () => {
    const issued = await fx.issue({ client: spa, subject: USER, scopes: ["openid"], grantId: crypto.randomUUID() });
    const response = await endpoint(clientFormRequest(PATH, { token: issued.accessToken, client_id: "spa" }));
    const body = await expectError(response, 401, "invalid_client");
    expect(body.error_description).toMatch(/public client/);
  });

  it("a confidential client without ept:introspection gives 400 unauthorized_client", async () => {
    const issued = await userToken();
    await expectError(await introspect({ token: issued.accessToken }, ["no-introspection", SECRET]), 400, "unauthorized_client");
  });

  it("a body that is not a form gives 400 invalid_request", async () => {
    const response = await endpoint(
      clientFormRequest(PATH, JSON.stringify({ token: "x" }), { basic: ["web-app", SECRET], headers: { "Content-Type": "application/json" } }),
    );
    await expectError(response, 400, "invalid_request");
  });

  it("GET is 405 with Allow: POST", async () => {
    const response = await endpoint(new Request(`https://id.example.test${PATH}`));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });
});

describe("IR-04: token_type_hint is only a hint", () => {
  it.each(["access_token", "refresh_token", "id_token", "unknown_hint"])("IR-04: hint %s still finds the access token", async (hint) => {
    const issued = await userToken();
    const body = await (await introspect({ token: issued.accessToken, token_type_hint: hint })).json();
    expect(body).toMatchObject({ active: true, jti: issued.jti });
  });
});
