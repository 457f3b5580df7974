import { describe, expect, it } from "vitest";
import { buildServerMetadata, createDiscoveryEndpoint } from "@/lib/oauth/discovery";
import { InMemoryScopeStore, makeScope, testConfig } from "./fakes";

const WELL_KNOWN = "/.well-known/openid-configuration";

function setup(issuer = "https://id.example.test") {
  const config = testConfig({ issuer });
  const scopes = new InMemoryScopeStore([makeScope("openid"), makeScope("orders:read", ["https://orders.example.test"]), makeScope("email")]);
  return { config, scopes, endpoint: createDiscoveryEndpoint({ config, scopes }) };
}

async function metadata(issuer = "https://id.example.test") {
  const { endpoint } = setup(issuer);
  const response = await endpoint(new Request(issuer + WELL_KNOWN));
  return { response, body: (await response.json()) as Record<string, unknown> };
}

describe("discovery", () => {
  it("DISC-01 200 JSON; issuer equals the discovery URL minus the well-known suffix", async () => {
    const { response, body } = await metadata();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const discoveryUrl = "https://id.example.test" + WELL_KNOWN;
    expect(body.issuer).toBe(discoveryUrl.slice(0, -WELL_KNOWN.length));
  });

  it("DISC-02 endpoints derive from the issuer (also with a path) and use https", async () => {
    const { body } = await metadata("https://id.example.test/tenant-a");
    expect(body.issuer).toBe("https://id.example.test/tenant-a");
    expect(body.token_endpoint).toBe("https://id.example.test/tenant-a/connect/token");
    expect(body.jwks_uri).toBe("https://id.example.test/tenant-a/.well-known/jwks.json");
    for (const [name, value] of Object.entries(body)) {
      if (name.endsWith("_endpoint") || name === "jwks_uri") expect(new URL(value as string).protocol).toBe("https:");
    }
  });

  it("DISC-02 / DISC-05 lists only what is implemented: code flow with S256 PKCE, client credentials, iss in responses", async () => {
    const { body } = await metadata();
    expect(body.authorization_endpoint).toBe("https://id.example.test/connect/authorize");
    expect(body.response_types_supported).toEqual(["code"]);
    expect(body.response_modes_supported).toEqual(["query"]);
    expect(body.grant_types_supported).toEqual(["authorization_code", "client_credentials", "refresh_token"]);
    expect(body.code_challenge_methods_supported).toEqual(["S256"]);
    expect(body.authorization_response_iss_parameter_supported).toBe(true);
    expect(body.request_parameter_supported).toBe(false);
    expect(body.request_uri_parameter_supported).toBe(false);
    expect(body.token_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post", "none"]);
    expect(body.subject_types_supported).toEqual(["public"]);
    expect(body.id_token_signing_alg_values_supported).toContain("RS256");
    expect(body.access_token_signing_alg_values_supported).toEqual(["RS256", "ES256"]);
  });

  it("DISC-02 claims_supported lists what an ID token can carry; the claims parameter is not supported", async () => {
    const { body } = await metadata();
    expect(body.claims_supported).toEqual([
      "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "amr",
      "name", "preferred_username", "updated_at", "email", "email_verified",
    ]);
    expect(body.claims_parameter_supported).toBe(false);
    expect(body.id_token_signing_alg_values_supported).toEqual(["RS256", "ES256"]);
  });

  it("IT-03 alg none is not advertised for ID tokens, access tokens or request objects (so it is never issued)", async () => {
    const { body } = await metadata();
    for (const key of ["id_token_signing_alg_values_supported", "access_token_signing_alg_values_supported"]) {
      expect(body[key], key).not.toContain("none");
    }
    expect(body).not.toHaveProperty("request_object_signing_alg_values_supported");
    expect(body.request_parameter_supported ?? false).toBe(false);
  });

  it("DISC-02 scopes_supported comes from the scope store and includes openid", async () => {
    const { body } = await metadata();
    expect(body.scopes_supported).toEqual(["email", "openid", "orders:read"]);
  });

  it("BCP-10 allows CORS and short caching", async () => {
    const { response } = await metadata();
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("cache-control")).toMatch(/max-age=\d+/);
  });

  it("HEAD answers 200 with headers and no body", async () => {
    const { endpoint } = setup();
    const response = await endpoint(new Request("https://id.example.test" + WELL_KNOWN, { method: "HEAD" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(await response.text()).toBe("");
  });

  it("POST is 405 with Allow", async () => {
    const { endpoint } = setup();
    const response = await endpoint(new Request("https://id.example.test" + WELL_KNOWN, { method: "POST" }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("caches the scope list briefly, then sees new scopes", async () => {
    const config = testConfig();
    const scopes = new InMemoryScopeStore([makeScope("openid")]);
    const endpoint = createDiscoveryEndpoint({ config, scopes, cacheMs: 0 });
    const first = (await (await endpoint(new Request(config.issuer + WELL_KNOWN))).json()) as { scopes_supported: string[] };
    expect(first.scopes_supported).toEqual(["openid"]);
    scopes.scopes.set("api", makeScope("api"));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = (await (await endpoint(new Request(config.issuer + WELL_KNOWN))).json()) as { scopes_supported: string[] };
    expect(second.scopes_supported).toEqual(["api", "openid"]);
  });

  it("a failing scope store is a 500 JSON error, not a crash", async () => {
    const config = testConfig();
    const scopes = new InMemoryScopeStore();
    scopes.failWith = new Error("database down");
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const response = await createDiscoveryEndpoint({ config, scopes })(new Request(config.issuer + WELL_KNOWN));
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: string }).error).toBe("server_error");
    } finally {
      console.error = original;
    }
    expect(errors).toHaveLength(1);
  });

  it("buildServerMetadata uses the issuer exactly as configured", () => {
    const body = buildServerMetadata(testConfig({ issuer: "http://localhost:3000" }), []);
    expect(body.issuer).toBe("http://localhost:3000");
    expect(body.token_endpoint).toBe("http://localhost:3000/connect/token");
  });
});
