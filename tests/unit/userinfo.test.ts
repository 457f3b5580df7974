// GET/POST /connect/userinfo (OIDC Core §5.3, RFC 6750). CONFORMANCE.md section 6 (UI-01..UI-04).
import { beforeAll, describe, expect, it } from "vitest";
import { RegisteredOriginCache } from "@/lib/oauth/cors";
import { createUserinfoEndpoint } from "@/lib/oauth/userinfo";
import {
  InMemoryClientStore,
  InMemoryScopeStore,
  InMemoryUserStore,
  authorizationScopes,
  createTokenFixture,
  makeClient,
  makeUser,
  type TokenFixture,
} from "./fakes";

const URL_ = "https://id.example.test/connect/userinfo";
const ERROR_CHARS = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

let fx: TokenFixture;
let endpoint: (request: Request) => Promise<Response>;
let users: InMemoryUserStore;
let scopes: InMemoryScopeStore;
const WEB_ORIGIN = "https://app.example.test";
const client = makeClient({ clientId: "web-app", redirectUris: [`${WEB_ORIGIN}/callback`] });
const alice = makeUser({ updatedAt: new Date("2026-03-04T05:06:07Z") });
const bob = makeUser({ username: "bob", email: null, emailVerified: false, name: "" });

beforeAll(async () => {
  fx = await createTokenFixture();
  users = new InMemoryUserStore([alice, bob]);
  scopes = new InMemoryScopeStore(authorizationScopes());
  fx.tokens.redirectUrisOf.set(client.id, client.redirectUris);
  const origins = new RegisteredOriginCache(new InMemoryClientStore([client]));
  endpoint = createUserinfoEndpoint({ config: fx.config, keys: fx.keys, tokens: fx.tokens, scopes, users, now: fx.clock.now, origins });
});

async function tokenFor(user = alice, scopeNames = ["openid", "profile", "email"]) {
  return (await fx.issue({ client, subject: user.id, scopes: scopeNames, grantId: crypto.randomUUID() })).accessToken;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function get(headers: Record<string, string> = {}, url = URL_) {
  return endpoint(new Request(url, { headers }));
}

function post(body: Record<string, string> | string | null, headers: Record<string, string> = {}) {
  const hasBody = body !== null;
  return endpoint(
    new Request(URL_, {
      method: "POST",
      headers: hasBody ? { "Content-Type": "application/x-www-form-urlencoded", ...headers } : headers,
      body: hasBody ? (typeof body === "string" ? body : new URLSearchParams(body).toString()) : undefined,
    }),
  );
}

/** Parses a WWW-Authenticate Bearer challenge into its attributes. */
function challenge(response: Response): Record<string, string> {
  const header = response.headers.get("www-authenticate") ?? "";
  expect(header).toMatch(/^Bearer /);
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]));
}

async function expectBearerError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("cache-control")).toMatch(/no-store/);
  expect(response.headers.get("access-control-allow-origin")).toBeNull(); // no Origin sent; never "*"
  const attributes = challenge(response);
  expect(attributes).toMatchObject({ realm: "gatehouse", error });
  expect(attributes.error_description).toMatch(ERROR_CHARS);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  expect(body.error_description).toMatch(ERROR_CHARS);
  return { attributes, body };
}

async function expectClaims(response: Response) {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("cache-control")).toMatch(/no-store/);
  expect(response.headers.get("access-control-allow-origin")).toBeNull(); // no Origin sent; never "*"
  return JSON.parse(text) as Record<string, unknown>;
}

describe("UI-01..UI-03: the three ways to present a token", () => {
  it("UI-01: GET with the Bearer header gives sub and the claims of profile and email", async () => {
    const claims = await expectClaims(await get(bearer(await tokenFor())));
    expect(claims).toEqual({
      sub: alice.id,
      name: "Alice Example",
      preferred_username: "alice",
      updated_at: Math.floor(alice.updatedAt.getTime() / 1000),
      email: "alice@example.com",
      email_verified: true,
    });
    expect(Number.isInteger(claims.updated_at)).toBe(true);
  });

  it("UI-02: POST with the Bearer header and no body", async () => {
    const claims = await expectClaims(await post(null, bearer(await tokenFor())));
    expect(claims.sub).toBe(alice.id);
  });

  it("UI-02: POST with the Bearer header and an unrelated form body", async () => {
    const claims = await expectClaims(await post({ foo: "bar" }, bearer(await tokenFor())));
    expect(claims.sub).toBe(alice.id);
  });

  it("UI-03: POST with access_token in the form body", async () => {
    const claims = await expectClaims(await post({ access_token: await tokenFor() }));
    expect(claims).toMatchObject({ sub: alice.id, email: "alice@example.com" });
  });

  it("the scheme name is case-insensitive (RFC 7235 §2.1)", async () => {
    const claims = await expectClaims(await get({ Authorization: `bearer ${await tokenFor()}` }));
    expect(claims.sub).toBe(alice.id);
  });
});

describe("claims follow the token's scopes", () => {
  it("openid alone releases sub only", async () => {
    expect(await expectClaims(await get(bearer(await tokenFor(alice, ["openid"]))))).toEqual({ sub: alice.id });
  });

  it("openid email releases email and email_verified, not the profile", async () => {
    expect(await expectClaims(await get(bearer(await tokenFor(alice, ["openid", "email"]))))).toEqual({
      sub: alice.id,
      email: "alice@example.com",
      email_verified: true,
    });
  });

  it("claims the user does not have are left out, not sent as null", async () => {
    const claims = await expectClaims(await get(bearer(await tokenFor(bob))));
    expect(claims).toEqual({ sub: bob.id, preferred_username: "bob", updated_at: expect.any(Number) });
  });

  it("scopes without claims, or unknown to the store, add nothing", async () => {
    const claims = await expectClaims(await get(bearer(await tokenFor(alice, ["openid", "orders:read", "offline_access", "gone"]))));
    expect(claims).toEqual({ sub: alice.id });
  });
});

describe("UI-04: refusals", () => {
  it("UI-04: no token gives 401 with a bare Bearer challenge: no error attribute and no error body", async () => {
    for (const response of [await get(), await post(null), await post({ other: "x" })]) {
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse"');
      expect(response.headers.get("cache-control")).toMatch(/no-store/);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(await response.text()).toBe("");
    }
  });

  it("UI-04: an invalid token gives 401 invalid_token", async () => {
    await expectBearerError(await get(bearer("not-a-token")), 401, "invalid_token");
    await expectBearerError(await post({ access_token: "a.b.c" }), 401, "invalid_token");
  });

  it("UI-04: a token from another server gives 401 invalid_token", async () => {
    const other = await createTokenFixture({}, "another");
    const foreign = await other.issue({ client, subject: alice.id, scopes: ["openid"], grantId: crypto.randomUUID() });
    const { body } = await expectBearerError(await get(bearer(foreign.accessToken)), 401, "invalid_token");
    expect(body.error_description).toMatch(/not issued by this server/);
  });

  it("UI-04: an expired token gives 401 invalid_token saying so", async () => {
    const issued = await fx.issue({ client, subject: alice.id, scopes: ["openid"], grantId: crypto.randomUUID(), now: fx.clock.now() - 7200_000 });
    const { attributes } = await expectBearerError(await get(bearer(issued.accessToken)), 401, "invalid_token");
    expect(attributes.error_description).toMatch(/expired/);
  });

  it("RV-01: a revoked token gives 401 invalid_token", async () => {
    const issued = await fx.issue({ client, subject: alice.id, scopes: ["openid"], grantId: crypto.randomUUID() });
    await fx.tokens.revokeToken(fx.tokens.byJti(issued.jti)!.id);
    const { body } = await expectBearerError(await get(bearer(issued.accessToken)), 401, "invalid_token");
    expect(body.error_description).toMatch(/revoked/);
  });

  it("TK-04: a token whose code was replayed (grant root revoked) gives 401 invalid_token", async () => {
    const code = fx.tokens.addOpaqueToken({ kind: "authorization_code", valueHash: "replayed-code", applicationId: client.id, grantId: "self", status: "redeemed" });
    const issued = await fx.issue({ client, subject: alice.id, scopes: ["openid"], grantId: code.id });
    await expectClaims(await get(bearer(issued.accessToken)));
    await fx.tokens.revokeGrant(code.id);
    await expectBearerError(await get(bearer(issued.accessToken)), 401, "invalid_token");
  });

  it("UI-04: the token in both the header and the body gives 400 invalid_request", async () => {
    const token = await tokenFor();
    const { body } = await expectBearerError(await post({ access_token: token }, bearer(token)), 400, "invalid_request");
    expect(body.error_description).toMatch(/twice/);
  });

  it("UI-04: a token in the URL query gives 400 invalid_request, alone or with the header", async () => {
    const token = await tokenFor();
    await expectBearerError(await get(bearer(token), `${URL_}?access_token=${token}`), 400, "invalid_request");
    await expectBearerError(await get({}, `${URL_}?access_token=${token}`), 400, "invalid_request");
  });

  it.each([
    ["Bearer with no token", "Bearer"],
    ["Bearer with two tokens", "Bearer abc def"],
    ["Bearer with a character outside b64token", "Bearer abc,def"],
    ["another scheme", "Basic d2ViLWFwcDpzZWNyZXQ="],
    ["no scheme", "eyJhbGciOiJSUzI1NiJ9.e30.sig"],
  ])("UI-04: a malformed Authorization header (%s) gives 400 invalid_request", async (_label, header) => {
    await expectBearerError(await get({ Authorization: header }), 400, "invalid_request");
  });

  it("UI-04: access_token repeated in the body gives 400 invalid_request with a Bearer challenge", async () => {
    const token = await tokenFor();
    await expectBearerError(await post(`access_token=${token}&access_token=${token}`), 400, "invalid_request");
  });

  it("a body in another content type, without the header, gives 400 invalid_request", async () => {
    const response = await endpoint(
      new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ access_token: await tokenFor() }) }),
    );
    await expectBearerError(response, 400, "invalid_request");
  });

  it("UI-04: a token without the openid scope gives 403 insufficient_scope naming openid", async () => {
    const { attributes } = await expectBearerError(await get(bearer(await tokenFor(alice, ["profile", "email"]))), 403, "insufficient_scope");
    expect(attributes.scope).toBe("openid");
  });

  it("CC-05: a client_credentials token (subject is a client) gives 401 invalid_token", async () => {
    const service = makeClient({ clientId: "service-a" });
    const issued = await fx.issue({ client: service, subject: "service-a", scopes: ["orders:read"] });
    const { body } = await expectBearerError(await get(bearer(issued.accessToken)), 401, "invalid_token");
    expect(body.error_description).toMatch(/client_credentials/);
  });

  it("a token for a user who was deleted or disabled gives 401 invalid_token", async () => {
    const carol = makeUser({ username: "carol" });
    users.users.set(carol.id, carol);
    const token = await tokenFor(carol);
    await expectClaims(await get(bearer(token)));
    users.users.set(carol.id, { ...carol, enabled: false });
    await expectBearerError(await get(bearer(token)), 401, "invalid_token");
    users.users.delete(carol.id);
    await expectBearerError(await get(bearer(token)), 401, "invalid_token");
  });
});

describe("HTTP surface", () => {
  it("answers a CORS preflight from a registered redirect URI's origin with 204, that origin (never *) and the Authorization header", async () => {
    const response = await endpoint(new Request(URL_, { method: "OPTIONS", headers: { Origin: WEB_ORIGIN } }));
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(WEB_ORIGIN);
    expect(response.headers.get("access-control-allow-methods")).toMatch(/GET/);
    expect(response.headers.get("access-control-allow-methods")).toMatch(/POST/);
    expect(response.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    const refused = await endpoint(new Request(URL_, { method: "OPTIONS", headers: { Origin: "https://evil.example.test" } }));
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("the answer carries the token's client's origin and exposes the challenge; another origin gets nothing", async () => {
    const token = await tokenFor();
    const ok = await get({ ...bearer(token), Origin: WEB_ORIGIN });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(WEB_ORIGIN);
    expect(ok.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/);
    expect(ok.headers.get("vary")).toMatch(/Origin/);
    const elsewhere = await get({ ...bearer(token), Origin: "https://evil.example.test" });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.headers.get("access-control-allow-origin")).toBeNull();
    // A refusal before any client is known: readable from a registered origin only.
    const challenged = await get({ Origin: WEB_ORIGIN });
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get("access-control-allow-origin")).toBe(WEB_ORIGIN);
    expect((await get({ Origin: "https://evil.example.test" })).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("other methods are 405 with Allow", async () => {
    const response = await endpoint(new Request(URL_, { method: "PUT", headers: bearer(await tokenFor()) }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
  });

  it("a store failure is a generic 500 server_error, never a stack trace", async () => {
    const token = await tokenFor();
    fx.tokens.failWith = new Error("database down at 10.0.0.5");
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const response = await get(bearer(token));
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toMatch(/10\.0\.0\.5|at /);
      expect(JSON.parse(text).error).toBe("server_error");
    } finally {
      fx.tokens.failWith = null;
      console.error = original;
    }
    expect(errors).toHaveLength(1);
  });
});
