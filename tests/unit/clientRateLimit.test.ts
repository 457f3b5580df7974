// Limits on clients at the token, introspection and revocation endpoints
// (lib/oauth/clientRateLimit.ts, lib/server/clientRateLimiter.ts): failed
// authentications per (client_id, address) with a growing lockout, per
// client_id without locking the client out where it works from, and
// authenticated requests per client. 429 + Retry-After (RFC 6585 §4).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClientLimits, ClientRateLimiter } from "@/lib/oauth/clientRateLimit";
import { createIntrospectionEndpoint } from "@/lib/oauth/introspect";
import { createRevocationEndpoint } from "@/lib/oauth/revoke";
import { createTokenEndpoint } from "@/lib/oauth/token";
import { createClientRateLimiter } from "@/lib/server/clientRateLimiter";
import {
  InMemoryAuditLog,
  codeStores,
  InMemoryClientStore,
  InMemoryScopeStore,
  InMemoryTokenStore,
  TEST_ADDRESS_HEADER,
  clientFormRequest,
  createTokenFixture,
  makeClient,
  makeScope,
  testClientAddress,
  tokenRequest,
} from "./fakes";

const SECRET = "service-secret-0123456789";
const LIMITS: ClientLimits = { requests: { points: 0, seconds: 1 }, failuresPerAddress: 3, failuresPerClient: 0 };

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-12-07T00:00:00Z"), toFake: ["Date", "setTimeout", "clearTimeout"] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("the limiter (rate-limiter-flexible in memory)", () => {
  const A = "203.0.113.1";
  const B = "203.0.113.2";

  async function fail(limiter: ClientRateLimiter, times: number, clientId = "service-a", address: string | null = A) {
    for (let i = 0; i < times; i++) await limiter.recordAuthenticationFailure(clientId, address);
  }

  it("locks a (client_id, address) out after its limit of failures a minute, and lets it try again after the lockout", async () => {
    const limiter = createClientRateLimiter(LIMITS);
    await fail(limiter, 3);
    expect(await limiter.checkAuthentication("service-a", A)).toBeNull();
    await fail(limiter, 1);
    expect(await limiter.checkAuthentication("service-a", A)).toEqual({ limit: "failures", retryAfterSeconds: 60 });
    // Another address, another client: unaffected.
    expect(await limiter.checkAuthentication("service-a", B)).toBeNull();
    expect(await limiter.checkAuthentication("service-b", A)).toBeNull();
    vi.advanceTimersByTime(30_000);
    expect(await limiter.checkAuthentication("service-a", A)).toEqual({ limit: "failures", retryAfterSeconds: 30 });
    vi.advanceTimersByTime(30_001);
    expect(await limiter.checkAuthentication("service-a", A)).toBeNull();
  });

  it("each further lockout within a day lasts twice as long", async () => {
    const limiter = createClientRateLimiter(LIMITS);
    const lockouts: number[] = [];
    for (let round = 0; round < 4; round++) {
      await fail(limiter, 4);
      const throttle = await limiter.checkAuthentication("service-a", A);
      lockouts.push(throttle!.retryAfterSeconds);
      vi.advanceTimersByTime(throttle!.retryAfterSeconds * 1000 + 1);
      expect(await limiter.checkAuthentication("service-a", A)).toBeNull();
    }
    expect(lockouts).toEqual([60, 120, 240, 480]);
  });

  it("concurrent failures behind the one that crossed the limit add no lockouts", async () => {
    const limiter = createClientRateLimiter(LIMITS);
    await Promise.all(Array.from({ length: 20 }, () => limiter.recordAuthenticationFailure("service-a", A)));
    expect(await limiter.checkAuthentication("service-a", A)).toEqual({ limit: "failures", retryAfterSeconds: 60 });
  });

  it("per client_id: beyond the limit from all addresses together, new addresses wait, the client's own address does not", async () => {
    const limiter = createClientRateLimiter({ ...LIMITS, failuresPerAddress: 100, failuresPerClient: 5 });
    expect(await limiter.admitAuthenticatedRequest("service-a", "198.51.100.7")).toBeNull(); // where the client works from
    for (let i = 0; i < 6; i++) await limiter.recordAuthenticationFailure("service-a", `192.0.2.${i}`);
    expect(await limiter.checkAuthentication("service-a", "192.0.2.200")).toMatchObject({ limit: "failures" });
    expect(await limiter.checkAuthentication("service-a", "198.51.100.7")).toBeNull();
    expect(await limiter.checkAuthentication("service-b", "192.0.2.200")).toBeNull();
    vi.advanceTimersByTime(60_001);
    expect(await limiter.checkAuthentication("service-a", "192.0.2.200")).toBeNull();
  });

  it("requests per client: the budget of a window, then 429 until the window ends", async () => {
    const limiter = createClientRateLimiter({ ...LIMITS, requests: { points: 3, seconds: 10 } });
    for (let i = 0; i < 3; i++) expect(await limiter.admitAuthenticatedRequest("service-a", A)).toBeNull();
    expect(await limiter.admitAuthenticatedRequest("service-a", B)).toEqual({ limit: "requests", retryAfterSeconds: 10 });
    expect(await limiter.admitAuthenticatedRequest("service-b", A)).toBeNull();
    vi.advanceTimersByTime(10_001);
    expect(await limiter.admitAuthenticatedRequest("service-a", A)).toBeNull();
  });

  it("0 disables a limit", async () => {
    const limiter = createClientRateLimiter({ requests: { points: 0, seconds: 1 }, failuresPerAddress: 0, failuresPerClient: 0 });
    await fail(limiter, 1000);
    expect(await limiter.checkAuthentication("service-a", A)).toBeNull();
    for (let i = 0; i < 1000; i++) expect(await limiter.admitAuthenticatedRequest("service-a", A)).toBeNull();
  });

  it("the default request budget lets a busy client through: 20,000 requests in two seconds", async () => {
    const limiter = createClientRateLimiter({ requests: { points: 10_000, seconds: 1 }, failuresPerAddress: 10, failuresPerClient: 100 });
    let refused = 0;
    for (let second = 0; second < 2; second++) {
      for (let i = 0; i < 10_000; i++) if (await limiter.admitAuthenticatedRequest("busy", A)) refused++;
      vi.advanceTimersByTime(1001);
    }
    expect(refused).toBe(0);
  });

  it("long client_ids and missing addresses are keyed without trouble", async () => {
    const limiter = createClientRateLimiter(LIMITS);
    await fail(limiter, 4, "x".repeat(70_000), null);
    expect(await limiter.checkAuthentication("x".repeat(70_000), null)).toMatchObject({ limit: "failures" });
  });
});

function tokenSetup(limits: ClientLimits) {
  const clients = new InMemoryClientStore([
    makeClient({ clientId: "service-a", secret: SECRET, permissions: ["ept:token", "gt:client_credentials", "scp:misc"] }),
  ]);
  const audit = new InMemoryAuditLog();
  return { clients, audit, limiterDeps: { limiter: createClientRateLimiter(limits) } };
}

const fromAddress = (address: string) => ({ [TEST_ADDRESS_HEADER]: address });

async function expectThrottled(response: Response, retryAfter: number) {
  expect(response.status).toBe(429);
  expect(response.headers.get("retry-after")).toBe(String(retryAfter));
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as Record<string, string>;
  expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
  expect(body.error).toBe("temporarily_unavailable");
  expect(body.error_description).toMatch(/retry after \d+ s/);
  return body;
}

describe("the token endpoint within the limits", () => {
  it("CA-02: failed authentications lock (client, address) out with 429 + Retry-After, the right secret included; recovery after the lockout", async () => {
    const { clients, audit, limiterDeps } = tokenSetup(LIMITS);
    const fx = await createTokenFixture();
    const token = createTokenEndpoint({
      config: fx.config,
      keys: fx.keys,
      tokens: new InMemoryTokenStore(),
      scopes: new InMemoryScopeStore([makeScope("misc")]),
      clients,
      ...codeStores(),
      audit,
      clientAddress: testClientAddress,
      ...limiterDeps,
    });
    const attempt = (secret: string, address = "203.0.113.9") =>
      token(tokenRequest({ grant_type: "client_credentials" }, { basic: ["service-a", secret], headers: fromAddress(address) }));

    for (let i = 0; i < 4; i++) expect((await attempt("wrong-secret")).status).toBe(401);
    const body = await expectThrottled(await attempt(SECRET), 60);
    expect(body.error_description).toContain("service-a");
    // The lockout is for that address only.
    expect((await attempt(SECRET, "198.51.100.1")).status).toBe(200);
    // Refusals that led to the lockout are on the audit log; the throttled answer is not written again.
    expect(audit.ofKind("token.refused").map((event) => event.reason)).toEqual(["invalid_client", "invalid_client", "invalid_client", "invalid_client"]);
    vi.advanceTimersByTime(60_001);
    expect((await attempt(SECRET)).status).toBe(200);
  });

  it("requests per client beyond the budget are 429 with Retry-After; the next window serves again", async () => {
    const { clients, audit, limiterDeps } = tokenSetup({ ...LIMITS, requests: { points: 2, seconds: 5 } });
    const fx = await createTokenFixture();
    const token = createTokenEndpoint({
      config: fx.config,
      keys: fx.keys,
      tokens: new InMemoryTokenStore(),
      scopes: new InMemoryScopeStore([makeScope("misc")]),
      clients,
      ...codeStores(),
      audit,
      ...limiterDeps,
    });
    const request = () => token(tokenRequest({ grant_type: "client_credentials" }, { basic: ["service-a", SECRET] }));
    expect((await request()).status).toBe(200);
    expect((await request()).status).toBe(200);
    await expectThrottled(await request(), 5);
    vi.advanceTimersByTime(5_001);
    expect((await request()).status).toBe(200);
  });
});

describe("introspection and revocation within the limits", () => {
  async function setup(limits: ClientLimits) {
    const fx = await createTokenFixture();
    const clients = new InMemoryClientStore([
      makeClient({ clientId: "web-app", secret: SECRET, permissions: ["ept:token", "ept:revocation", "ept:introspection"] }),
    ]);
    const limiter = createClientRateLimiter(limits);
    const bearer = { config: fx.config, keys: fx.keys, tokens: fx.tokens, clients, limiter, clientAddress: testClientAddress };
    return {
      introspect: createIntrospectionEndpoint(bearer),
      revoke: createRevocationEndpoint({ ...bearer, revocations: fx.tokens, audit: new InMemoryAuditLog() }),
    };
  }

  it("failed authentications at introspection and revocation count together and lock out at both", async () => {
    const { introspect, revoke } = await setup(LIMITS);
    const wrong = (path: string) => clientFormRequest(path, { token: "x" }, { basic: ["web-app", "wrong"], headers: fromAddress("203.0.113.5") });
    expect((await introspect(wrong("/connect/introspect"))).status).toBe(401);
    expect((await revoke(wrong("/connect/revoke"))).status).toBe(401);
    expect((await introspect(wrong("/connect/introspect"))).status).toBe(401);
    expect((await revoke(wrong("/connect/revoke"))).status).toBe(401);
    const right = (path: string) => clientFormRequest(path, { token: "x" }, { basic: ["web-app", SECRET], headers: fromAddress("203.0.113.5") });
    await expectThrottled(await introspect(right("/connect/introspect")), 60);
    await expectThrottled(await revoke(right("/connect/revoke")), 60);
    vi.advanceTimersByTime(60_001);
    expect((await introspect(right("/connect/introspect"))).status).toBe(200);
  });

  it("requests per client are limited at introspection and revocation", async () => {
    const { introspect, revoke } = await setup({ ...LIMITS, requests: { points: 1, seconds: 2 } });
    const request = (path: string) => clientFormRequest(path, { token: "x" }, { basic: ["web-app", SECRET] });
    expect((await introspect(request("/connect/introspect"))).status).toBe(200);
    await expectThrottled(await revoke(request("/connect/revoke")), 2);
    await expectThrottled(await introspect(request("/connect/introspect")), 2);
    vi.advanceTimersByTime(2_001);
    expect((await revoke(request("/connect/revoke"))).status).toBe(200);
  });
});
