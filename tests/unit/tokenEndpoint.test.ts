import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createJwksEndpoint } from "@/lib/oauth/jwks";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import type { ClientRecord } from "@/lib/oauth/ports";
import { ensureSigningKeys, KeyRing } from "@/lib/oauth/signingKeys";
import { createTokenEndpoint, SUPPORTED_GRANT_TYPES } from "@/lib/oauth/token";
import {
  InMemoryClientStore,
  InMemoryScopeStore,
  InMemorySigningKeyStore,
  codeStores,
  InMemoryAuditLog,
  InMemoryTokenStore,
  TEST_SECRET,
  makeClient,
  makeScope,
  testClientAddress,
  testConfig,
  tokenRequest,
} from "./fakes";

const SECRET = "service-secret-0123456789";
const ORDERS = "https://orders.example.test";
const AUDIT = "https://audit.example.test";
const config = testConfig();

const encryption = new KeyEncryption(TEST_SECRET);
const keyStore = new InMemorySigningKeyStore();
let keys: KeyRing;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  await ensureSigningKeys(keyStore, encryption);
  keys = new KeyRing(keyStore, encryption);
  const response = await createJwksEndpoint(keys)(new Request(`${config.issuer}/.well-known/jwks.json`));
  jwks = createLocalJWKSet((await response.json()) as JSONWebKeySet);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const CC = ["ept:token", "gt:client_credentials"];

function setup(extraClients: ClientRecord[] = []) {
  const clients = new InMemoryClientStore([
    makeClient({ clientId: "service-a", secret: SECRET, permissions: [...CC, "scp:orders:read", "scp:orders:write", "scp:misc"] }),
    makeClient({ clientId: "service-es", secret: SECRET, permissions: [...CC, "scp:orders:read"], accessTokenSigningAlg: "ES256", accessTokenLifetime: 120 }),
    makeClient({ clientId: "no-token-endpoint", secret: SECRET, permissions: ["gt:client_credentials", "scp:orders:read"] }),
    makeClient({ clientId: "no-cc-grant", secret: SECRET, permissions: ["ept:token", "gt:authorization_code", "scp:orders:read"] }),
    makeClient({ clientId: "spa", clientType: "public", permissions: [...CC, "scp:orders:read"] }),
    ...extraClients,
  ]);
  const scopes = new InMemoryScopeStore([
    makeScope("openid"),
    makeScope("offline_access"),
    makeScope("orders:read", [ORDERS]),
    makeScope("orders:write", [ORDERS, AUDIT]),
    makeScope("misc"),
    makeScope("billing", ["https://billing.example.test"]),
  ]);
  const tokens = new InMemoryTokenStore();
  const audit = new InMemoryAuditLog();
  const endpoint = createTokenEndpoint({
    config,
    keys,
    tokens,
    scopes,
    clients,
    ...codeStores(),
    audit,
    clientAddress: testClientAddress,
  });
  return { endpoint, clients, scopes, tokens, audit };
}

/** TK-09: the shape every token endpoint error must have. */
async function expectOAuthError(response: Response, status: number, code: string): Promise<{ error: string; error_description: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("cache-control")).toBe("no-store");
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(code);
  expect(body.error).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
  expect(typeof body.error_description).toBe("string");
  expect(body.error_description.length).toBeGreaterThan(0);
  expect(body.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
  expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
  return body;
}

const cc = (extra: Record<string, string> = {}) => ({ grant_type: "client_credentials", ...extra });

describe("token endpoint: client_credentials success", () => {
  it("CC-01 issues a Bearer access token with no-store and no refresh or id token", async () => {
    const { endpoint } = setup();
    const response = await endpoint(tokenRequest(cc({ scope: "orders:read" }), { basic: ["service-a", SECRET] }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("pragma")).toBe("no-cache");
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "scope", "token_type"]);
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBe(3600);
    expect(body.scope).toBe("orders:read");
    expect(body).not.toHaveProperty("refresh_token");
    expect(body).not.toHaveProperty("id_token");
  });

  it("CC-01 the access token is an RFC 9068 JWT verifiable against the JWKS", async () => {
    const { endpoint, clients } = setup();
    const before = Math.floor(Date.now() / 1000);
    const response = await endpoint(tokenRequest(cc({ scope: "orders:read" }), { basic: ["service-a", SECRET] }));
    const body = (await response.json()) as { access_token: string; expires_in: number };
    const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
      issuer: config.issuer,
      audience: ORDERS,
      typ: "at+jwt",
    });
    expect(protectedHeader.typ).toBe("at+jwt");
    expect(protectedHeader.alg).toBe("RS256");
    expect(protectedHeader.kid).toBe(keyStore.keys.find((key) => key.alg === "RS256")!.kid);
    expect(payload.iss).toBe(config.issuer);
    expect(payload.sub).toBe("service-a");
    expect(payload.aud).toBe(ORDERS);
    expect(payload.client_id).toBe("service-a");
    expect(payload.scope).toBe("orders:read");
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(payload.exp).toBe(payload.iat! + 3600);
    expect(body.expires_in).toBe(payload.exp! - payload.iat!);
    // client_credentials: the subject is the client, never a user id (CC-05 relies on this).
    expect(payload.sub).not.toBe((await clients.findClientByClientId("service-a"))!.id);
  });

  it("CC-01 records the token by jti with subject, scopes, audiences and lifetime", async () => {
    const { endpoint, tokens, clients } = setup();
    const response = await endpoint(tokenRequest(cc({ scope: "orders:write orders:read" }), { basic: ["service-a", SECRET] }));
    const body = (await response.json()) as { access_token: string };
    const { payload } = await jwtVerify(body.access_token, jwks);
    expect(tokens.accessTokens).toHaveLength(1);
    const row = tokens.accessTokens[0]!;
    expect(row.jti).toBe(payload.jti);
    expect(row.subject).toBe("service-a");
    expect(row.applicationId).toBe(clients.clients.get("service-a")!.id);
    expect(row.scopes).toEqual(["orders:write", "orders:read"]);
    expect(row.audiences).toEqual([ORDERS, AUDIT]);
    expect(row.createdAt.getTime()).toBe(payload.iat! * 1000);
    expect(row.expiresAt.getTime()).toBe(payload.exp! * 1000);
    expect(row.authorizationId ?? null).toBeNull();
  });

  it("several resources give an aud array, in scope order, without duplicates", async () => {
    const { endpoint } = setup();
    const response = await endpoint(tokenRequest(cc({ scope: "orders:write orders:read" }), { basic: ["service-a", SECRET] }));
    const { payload } = await jwtVerify(((await response.json()) as { access_token: string }).access_token, jwks);
    expect(payload.aud).toEqual([ORDERS, AUDIT]);
    expect(payload.scope).toBe("orders:write orders:read");
  });

  it("a scope without resources gives the default audience", async () => {
    const { endpoint, tokens } = setup();
    const response = await endpoint(tokenRequest(cc({ scope: "misc" }), { basic: ["service-a", SECRET] }));
    const { payload } = await jwtVerify(((await response.json()) as { access_token: string }).access_token, jwks);
    expect(payload.aud).toBe(config.defaultAudience);
    expect(tokens.accessTokens[0]!.audiences).toEqual([config.defaultAudience]);
  });

  it("CC-01 without a scope parameter: default audience, no scope claim, and no empty scope member", async () => {
    const { endpoint } = setup();
    const response = await endpoint(tokenRequest(cc(), { basic: ["service-a", SECRET] }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    // RFC 6749 §3.3: a scope value is 1*scope-token; "" is not a valid scope, so the member is omitted.
    expect(body).not.toHaveProperty("scope");
    const { payload } = await jwtVerify(body.access_token as string, jwks);
    expect(payload.aud).toBe(config.defaultAudience);
    expect(payload).not.toHaveProperty("scope");
  });

  it("CA-01 client_secret_post works as well", async () => {
    const { endpoint } = setup();
    const response = await endpoint(tokenRequest(cc({ scope: "orders:read", client_id: "service-a", client_secret: SECRET })));
    expect(response.status).toBe(200);
  });

  it("respects the client's accessTokenSigningAlg (ES256) and accessTokenLifetime", async () => {
    const { endpoint } = setup();
    const response = await endpoint(tokenRequest(cc({ scope: "orders:read" }), { basic: ["service-es", SECRET] }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    const header = decodeProtectedHeader(body.access_token);
    expect(header.alg).toBe("ES256");
    expect(header.kid).toBe(keyStore.keys.find((key) => key.alg === "ES256")!.kid);
    const { payload } = await jwtVerify(body.access_token, jwks, { algorithms: ["ES256"] });
    expect(body.expires_in).toBe(120);
    expect(payload.exp).toBe(payload.iat! + 120);
  });

  it("each token gets its own jti", async () => {
    const { endpoint, tokens } = setup();
    for (let i = 0; i < 3; i++) await endpoint(tokenRequest(cc({ scope: "orders:read" }), { basic: ["service-a", SECRET] }));
    expect(new Set(tokens.accessTokens.map((row) => row.jti)).size).toBe(3);
  });
});

describe("token endpoint: refusals", () => {
  it("GET is 405 with Allow: POST", async () => {
    const { endpoint } = setup();
    const response = await endpoint(new Request(`${config.issuer}/connect/token?grant_type=client_credentials`));
    await expectOAuthError(response, 405, "invalid_request");
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("TK-08 a missing grant_type is invalid_request", async () => {
    const { endpoint } = setup();
    const body = await expectOAuthError(await endpoint(tokenRequest({ scope: "orders:read" }, { basic: ["service-a", SECRET] })), 400, "invalid_request");
    expect(body.error_description).toContain("grant_type");
  });

  it.each(["urn:example:unknown", "authorization_code_x", "toString", "__proto__", "constructor"])(
    "TK-08 an unknown grant_type (%s) is unsupported_grant_type",
    async (grantType) => {
      const { endpoint } = setup();
      await expectOAuthError(
        await endpoint(tokenRequest({ grant_type: grantType }, { basic: ["service-a", SECRET] })),
        400,
        "unsupported_grant_type",
      );
    },
  );

  it("BCP-06 grant_type=password is unsupported_grant_type", async () => {
    const { endpoint, tokens } = setup();
    const response = await endpoint(
      tokenRequest({ grant_type: "password", username: "alice", password: "pw" }, { basic: ["service-a", SECRET] }),
    );
    await expectOAuthError(response, 400, "unsupported_grant_type");
    expect(SUPPORTED_GRANT_TYPES).not.toContain("password");
    expect(tokens.accessTokens).toEqual([]);
  });

  it("TK-08 a client without ept:token is unauthorized_client", async () => {
    const { endpoint } = setup();
    await expectOAuthError(
      await endpoint(tokenRequest(cc({ scope: "orders:read" }), { basic: ["no-token-endpoint", SECRET] })),
      400,
      "unauthorized_client",
    );
  });

  it("TK-08 a client without gt:client_credentials is unauthorized_client", async () => {
    const { endpoint, tokens } = setup();
    const body = await expectOAuthError(
      await endpoint(tokenRequest(cc({ scope: "orders:read" }), { basic: ["no-cc-grant", SECRET] })),
      400,
      "unauthorized_client",
    );
    expect(body.error_description).toContain("client_credentials");
    expect(tokens.accessTokens).toEqual([]);
  });

  it("CC-04 a public client is refused with unauthorized_client", async () => {
    const { endpoint, tokens } = setup();
    await expectOAuthError(await endpoint(tokenRequest(cc({ scope: "orders:read", client_id: "spa" }))), 400, "unauthorized_client");
    expect(tokens.accessTokens).toEqual([]);
  });

  it.each(["openid", "offline_access", "orders:read openid"])("a user scope (%s) is invalid_scope with client_credentials", async (scope) => {
    const clients = [makeClient({ clientId: "broad", secret: SECRET, permissions: [...CC, "scp:openid", "scp:offline_access", "scp:orders:read"] })];
    const { endpoint } = setup(clients);
    await expectOAuthError(await endpoint(tokenRequest(cc({ scope }), { basic: ["broad", SECRET] })), 400, "invalid_scope");
  });

  it("CC-02 a scope outside the client's permissions is invalid_scope", async () => {
    const { endpoint, tokens } = setup();
    const body = await expectOAuthError(
      await endpoint(tokenRequest(cc({ scope: "orders:read billing" }), { basic: ["service-a", SECRET] })),
      400,
      "invalid_scope",
    );
    expect(body.error_description).toContain("billing");
    expect(tokens.accessTokens).toEqual([]);
  });

  it("CC-02 an unknown scope is invalid_scope", async () => {
    const { endpoint } = setup();
    await expectOAuthError(await endpoint(tokenRequest(cc({ scope: "nope" }), { basic: ["service-a", SECRET] })), 400, "invalid_scope");
  });

  it.each(["orders:read\u0001", "orders:read\tmisc", "orders:read\r\nmisc"])("CC-03 control characters in scope (%j) are invalid_scope", async (scope) => {
    const { endpoint } = setup();
    await expectOAuthError(await endpoint(tokenRequest(cc({ scope }), { basic: ["service-a", SECRET] })), 400, "invalid_scope");
  });

  it("CA-02 a wrong secret with Basic is 401 invalid_client with WWW-Authenticate", async () => {
    const { endpoint } = setup();
    const response = await endpoint(tokenRequest(cc({ scope: "orders:read" }), { basic: ["service-a", "wrong"] }));
    await expectOAuthError(response, 401, "invalid_client");
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic /);
  });

  it("a wrong secret in the body is 401 invalid_client without WWW-Authenticate", async () => {
    const { endpoint } = setup();
    const response = await endpoint(tokenRequest(cc({ client_id: "service-a", client_secret: "wrong" })));
    await expectOAuthError(response, 401, "invalid_client");
    expect(response.headers.get("www-authenticate")).toBeNull();
  });

  it("CA-03 Basic and client_secret together is invalid_request", async () => {
    const { endpoint } = setup();
    await expectOAuthError(
      await endpoint(tokenRequest(cc({ client_secret: SECRET }), { basic: ["service-a", SECRET] })),
      400,
      "invalid_request",
    );
  });

  it("AZ-19 a repeated parameter is invalid_request", async () => {
    const { endpoint } = setup();
    await expectOAuthError(
      await endpoint(tokenRequest("grant_type=client_credentials&scope=orders:read&scope=misc", { basic: ["service-a", SECRET] })),
      400,
      "invalid_request",
    );
  });

  it("a JSON body is invalid_request", async () => {
    const { endpoint } = setup();
    await expectOAuthError(
      await endpoint(
        new Request(`${config.issuer}/connect/token`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(cc()),
        }),
      ),
      400,
      "invalid_request",
    );
  });

  it("TK-09 a description with quotes and backslashes is sanitised", async () => {
    const { endpoint } = setup();
    // The grant type is echoed in the description; its quote and backslash must not reach the wire.
    await expectOAuthError(
      await endpoint(tokenRequest({ grant_type: 'x"y\\z\u00e9' }, { basic: ["service-a", SECRET] })),
      400,
      "unsupported_grant_type",
    );
  });

  it("TK-09 an exception in a store is a 500 server_error without internals", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { endpoint, clients } = setup();
    const failure = new Error("connect ECONNREFUSED 10.0.0.5:5432 password=hunter2");
    clients.failWith = failure;
    const response = await endpoint(tokenRequest(cc({ scope: "orders:read" }), { basic: ["service-a", SECRET] }));
    const text = await response.clone().text();
    await expectOAuthError(response, 500, "server_error");
    expect(text).not.toContain("ECONNREFUSED");
    expect(text).not.toContain("hunter2");
    expect(text).not.toMatch(/\bat .*\.ts:\d+/);
    expect(log).toHaveBeenCalled();
    expect(log.mock.calls.flat()).toContain(failure);
  });

  it("a failure to record the token is a 500 server_error and no token is returned", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { endpoint, tokens } = setup();
    tokens.failWith = new Error("disk full");
    const response = await endpoint(tokenRequest(cc({ scope: "orders:read" }), { basic: ["service-a", SECRET] }));
    const body = await expectOAuthError(response, 500, "server_error");
    expect(body).not.toHaveProperty("access_token");
  });
});
