// CORS on token, userinfo and revocation (lib/oauth/cors.ts): only origins of
// registered redirect URIs, never "*". Endpoint-level cases are in
// authorizationCodeGrant.test.ts, revocation.test.ts and userinfo.test.ts.
import { describe, expect, it } from "vitest";
import { RegisteredOriginCache, clientRegistersOrigin, redirectUriOrigin, withClientCors } from "@/lib/oauth/cors";

describe("the origin of a redirect URI", () => {
  it.each([
    ["https://app.example.test/callback", "https://app.example.test"],
    ["https://APP.Example.test:443/cb?x=1", "https://app.example.test"],
    ["https://app.example.test:8443/cb", "https://app.example.test:8443"],
    ["http://localhost:5173/callback", "http://localhost:5173"],
    ["http://127.0.0.1/callback", "http://127.0.0.1"],
    ["http://[::1]:8400/cb", "http://[::1]:8400"],
    ["com.example.app:/callback", null],
    ["https://oauth.pstmn.io/v1/callback", "https://oauth.pstmn.io"],
    ["not a uri", null],
  ])("%s -> %s", (uri, origin) => {
    expect(redirectUriOrigin(uri)).toBe(origin);
  });

  it("a client registers an origin by scheme, host and port exactly: no loopback port allowance, no suffix match", () => {
    const client = { redirectUris: ["https://app.example.test/cb", "http://127.0.0.1/callback"] };
    expect(clientRegistersOrigin(client, "https://app.example.test")).toBe(true);
    expect(clientRegistersOrigin(client, "http://app.example.test")).toBe(false);
    expect(clientRegistersOrigin(client, "https://app.example.test:444")).toBe(false);
    expect(clientRegistersOrigin(client, "https://evil.app.example.test")).toBe(false);
    expect(clientRegistersOrigin(client, "http://127.0.0.1:8080")).toBe(false);
  });
});

describe("the registered origins of all enabled clients (preflights), cached per process", () => {
  function source(uris: string[]) {
    const state = { uris, loads: 0 };
    return { state, listEnabledRedirectUris: async () => (state.loads++, [...state.uris]) };
  }

  it("answers from one load, reloads for an unknown origin at most every minReloadMs, and in full after maxAgeMs", async () => {
    let now = 0;
    const src = source(["https://a.example.test/cb"]);
    const cache = new RegisteredOriginCache(src, { now: () => now, minReloadMs: 2_000, maxAgeMs: 60_000 });
    expect(await cache.isRegisteredOrigin("https://a.example.test")).toBe(true);
    expect(await cache.isRegisteredOrigin("https://a.example.test")).toBe(true);
    expect(src.state.loads).toBe(1);
    // Unknown origins within minReloadMs: no reload (random origins cannot hammer the database).
    for (let i = 0; i < 50; i++) expect(await cache.isRegisteredOrigin(`https://r${i}.example.test`)).toBe(false);
    expect(src.state.loads).toBe(1);
    // A client registered meanwhile: found on the next miss after minReloadMs.
    src.state.uris.push("https://b.example.test/cb");
    now = 2_001;
    expect(await cache.isRegisteredOrigin("https://b.example.test")).toBe(true);
    expect(src.state.loads).toBe(2);
    // A removed one goes with the next full reload.
    src.state.uris = ["https://b.example.test/cb"];
    now = 70_000;
    expect(await cache.isRegisteredOrigin("https://a.example.test")).toBe(false);
    expect(src.state.loads).toBe(3);
  });

  it("concurrent misses share one load", async () => {
    const src = source(["https://a.example.test/cb"]);
    const cache = new RegisteredOriginCache(src);
    await Promise.all(Array.from({ length: 10 }, () => cache.isRegisteredOrigin("https://a.example.test")));
    expect(src.state.loads).toBe(1);
  });

  it("a failed load fails the request and the next one tries again", async () => {
    let fail = true;
    const cache = new RegisteredOriginCache({
      listEnabledRedirectUris: async () => {
        if (fail) throw new Error("database down");
        return ["https://a.example.test/cb"];
      },
    });
    await expect(cache.isRegisteredOrigin("https://a.example.test")).rejects.toThrow("database down");
    fail = false;
    expect(await cache.isRegisteredOrigin("https://a.example.test")).toBe(true);
  });
});

describe("withClientCors", () => {
  const origins = new RegisteredOriginCache({ listEnabledRedirectUris: async () => ["https://a.example.test/cb", "https://b.example.test/cb"] });
  const endpoint = (identified: boolean, status = 200, headers: Record<string, string> = {}) =>
    withClientCors(
      async (_request, identity) => {
        if (identified) identity.client = { redirectUris: ["https://a.example.test/cb"] };
        return new Response("{}", { status, headers });
      },
      { origins },
      { methods: ["POST"], exposeHeaders: ["Retry-After"] },
    );
  const call = (handler: (request: Request) => Promise<Response>, origin?: string, method = "POST") =>
    handler(new Request("https://id.example.test/connect/token", { method, headers: origin ? { Origin: origin } : {} }));

  it("never answers *: the identified client's own origin, or nothing", async () => {
    const own = await call(endpoint(true), "https://a.example.test");
    expect(own.headers.get("access-control-allow-origin")).toBe("https://a.example.test");
    expect(own.headers.get("access-control-expose-headers")).toBe("Retry-After");
    // b is registered, but by another client.
    const other = await call(endpoint(true), "https://b.example.test");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(other.headers.get("vary")).toBe("Origin");
    expect((await call(endpoint(true))).headers.get("access-control-allow-origin")).toBeNull();
    expect((await call(endpoint(true))).headers.get("vary")).toBeNull();
  });

  it("a refusal before any client was identified is readable from registered origins only; a success never is", async () => {
    expect((await call(endpoint(false, 400), "https://b.example.test")).headers.get("access-control-allow-origin")).toBe("https://b.example.test");
    expect((await call(endpoint(false, 400), "https://evil.example.test")).headers.get("access-control-allow-origin")).toBeNull();
    expect((await call(endpoint(false, 200), "https://b.example.test")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("an opaque or malformed Origin is never allowed", async () => {
    for (const origin of ["null", "https://a.example.test/", "https://a.example.test/cb", "file://", "a.example.test"]) {
      expect((await call(endpoint(true), origin)).headers.get("access-control-allow-origin")).toBeNull();
      expect((await call(endpoint(true), origin, "OPTIONS")).headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("keeps an existing Vary and adds Origin once", async () => {
    const response = await call(endpoint(true, 200, { Vary: "Accept-Encoding" }), "https://a.example.test");
    expect(response.headers.get("vary")).toBe("Accept-Encoding, Origin");
  });

  it("OPTIONS without Origin is a plain 204 with Allow (not a CORS preflight)", async () => {
    const response = await call(endpoint(true), undefined, "OPTIONS");
    expect(response.status).toBe(204);
    expect(response.headers.get("allow")).toBe("POST, OPTIONS");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a store failure: the preflight is a 503 JSON error, an already decided refusal just stays unreadable", async () => {
    const failing = withClientCors(async () => new Response("{}", { status: 400 }), {
      origins: { isRegisteredOrigin: async () => { throw new Error("database down"); } },
    }, { methods: ["POST"] });
    const preflight = await call(failing, "https://a.example.test", "OPTIONS");
    expect(preflight.status).toBe(503);
    expect(((await preflight.json()) as { error: string }).error).toBe("temporarily_unavailable");
    const refusal = await call(failing, "https://a.example.test");
    expect(refusal.status).toBe(400);
    expect(refusal.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("without a registered-origin source nothing is allowed at the preflight", async () => {
    const bare = withClientCors(async () => new Response(null), {}, { methods: ["POST"] });
    expect((await call(bare, "https://a.example.test", "OPTIONS")).status).toBe(403);
  });
});
