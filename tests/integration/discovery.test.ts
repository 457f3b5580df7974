// Discovery (OIDC Discovery 1.0, RFC 8414) and the JWK Set, over real HTTP
// against the built server. CONFORMANCE.md section 1.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { importJWK } from "jose";
import { sharedSeededServer } from "../helpers/sharedServer";
import {
  ERROR_CHARACTERS,
  JWKS_PATH,
  OAUTH_METADATA_PATH,
  OPENID_CONFIGURATION_PATH,
  TOKEN_PATH,
  getJson,
  type PublicJwkSet,
} from "../helpers/oauth";

let suite: Awaited<ReturnType<typeof sharedSeededServer>>;
let base: string;

beforeAll(async () => {
  suite = await sharedSeededServer();
  base = suite.server.url;
});

afterAll(async () => {
  await suite?.stop();
});

const WELL_KNOWN = [OPENID_CONFIGURATION_PATH, OAUTH_METADATA_PATH] as const;

/** Members that only a private or symmetric JWK carries (RFC 7518 §6). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

const isLoopback = (url: URL) => ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);

/** https, or http on a loopback host (the test server's issuer is http://localhost:port). */
function expectSecureUrl(value: unknown, name: string) {
  expect(typeof value, name).toBe("string");
  const url = new URL(value as string);
  expect(url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url)), `${name}: ${value}`).toBe(true);
  expect(url.hash, `${name} has no fragment`).toBe("");
}

describe.each(WELL_KNOWN)("metadata document %s", (suffix) => {
  let metadata: Record<string, unknown>;
  let response: Response;

  beforeAll(async () => {
    ({ response, body: metadata } = await getJson(base + suffix));
  });

  test("DISC-01: 200 with a JSON content type", () => {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
  });

  test("DISC-01: issuer equals the discovery URL minus the well-known suffix, exactly", () => {
    const discoveryUrl = base + suffix;
    expect(metadata.issuer).toBe(discoveryUrl.slice(0, -suffix.length));
    const issuer = new URL(metadata.issuer as string);
    expect(issuer.search).toBe("");
    expect(issuer.hash).toBe("");
    expect((metadata.issuer as string).includes("?") || (metadata.issuer as string).includes("#")).toBe(false);
    // https everywhere except a loopback development issuer (validateIssuer's rule).
    expectSecureUrl(metadata.issuer, "issuer");
  });

  test("DISC-02: token_endpoint and jwks_uri are present, under the issuer, and secure", () => {
    expect(metadata.token_endpoint).toBe(`${metadata.issuer}${TOKEN_PATH}`);
    expect(metadata.jwks_uri).toBe(`${metadata.issuer}${JWKS_PATH}`);
    for (const [name, value] of Object.entries(metadata)) {
      if (name.endsWith("_endpoint") || name === "jwks_uri" || name.endsWith("_uri")) expectSecureUrl(value, name);
    }
  });

  test("DISC-02: every advertised endpoint exists (nothing is advertised that is not implemented)", async () => {
    const urls = Object.entries(metadata).filter(([name]) => name.endsWith("_endpoint") || name === "jwks_uri");
    expect(urls.length).toBeGreaterThanOrEqual(2);
    for (const [name, value] of urls) {
      const probe = await fetch(value as string, { redirect: "manual" });
      await probe.arrayBuffer();
      expect(probe.status, `${name} ${value}`).not.toBe(404);
      expect(probe.status, `${name} ${value}`).toBeLessThan(500);
    }
  });

  test("DISC-02: subject types, signing algorithms and scopes", () => {
    expect(metadata.subject_types_supported).toEqual(expect.arrayContaining(["public"]));
    expect(metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(["RS256"]));
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(["openid"]));
    // The seeded demo API scope is listed too; scope names are valid scope tokens.
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(["api", "profile", "email", "offline_access"]));
    for (const scope of metadata.scopes_supported as string[]) expect(scope).toMatch(/^[\x21\x23-\x5B\x5D-\x7E]+$/);
  });

  test("DISC-02: every *_supported member is a non-empty array of distinct strings", () => {
    const supported = Object.entries(metadata).filter(([name]) => name.endsWith("_supported"));
    expect(supported.length).toBeGreaterThan(0);
    for (const [name, value] of supported) {
      if (typeof value === "boolean") continue; // e.g. claims_parameter_supported
      expect(Array.isArray(value), name).toBe(true);
      const values = value as unknown[];
      expect(values.length, name).toBeGreaterThan(0);
      for (const item of values) expect(typeof item, name).toBe("string");
      expect(new Set(values).size, `${name} has no duplicates`).toBe(values.length);
    }
  });

  test("DISC-02: grant_types_supported lists only the implemented grants", () => {
    expect(metadata.grant_types_supported).toEqual(["authorization_code", "client_credentials", "refresh_token"]);
  });

  test("DISC-02 / DISC-05: the code flow is advertised with iss in authorization responses", () => {
    expect(metadata.authorization_endpoint).toBe(`${base}/connect/authorize`);
    expect(metadata.response_types_supported).toEqual(["code"]);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });

  test("DISC-02 / DISC-05: code_challenge_methods_supported is exactly [S256]", () => {
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
  });

  test("CA-01: both client_secret_basic and client_secret_post are advertised", () => {
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(["client_secret_basic", "client_secret_post"]),
    );
    // No method is advertised that the token endpoint cannot check.
    for (const method of metadata.token_endpoint_auth_methods_supported as string[]) {
      expect(["client_secret_basic", "client_secret_post", "none"]).toContain(method);
    }
  });

  test("DISC-02: locale members, if present, hold well-formed BCP 47 tags", () => {
    for (const name of ["ui_locales_supported", "claims_locales_supported"]) {
      const value = metadata[name];
      if (value === undefined) continue;
      for (const tag of value as string[]) expect(tag).toMatch(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/);
    }
  });

  test("HEAD answers 200 with the same content type and no body", async () => {
    const head = await fetch(base + suffix, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toMatch(/^application\/json\b/);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
});

test("DISC-01: both well-known documents agree on issuer, endpoints and capabilities", async () => {
  const { body: oidc } = await getJson(base + OPENID_CONFIGURATION_PATH);
  const { body: oauth } = await getJson(base + OAUTH_METADATA_PATH);
  for (const name of [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "grant_types_supported",
    "token_endpoint_auth_methods_supported",
    "code_challenge_methods_supported",
    "scopes_supported",
  ]) {
    expect(oauth[name], name).toEqual(oidc[name]);
  }
});

describe("JWK Set (jwks_uri)", () => {
  let jwks: PublicJwkSet;
  let response: Response;

  beforeAll(async () => {
    const { body: metadata } = await getJson(base + OPENID_CONFIGURATION_PATH);
    ({ response, body: jwks } = await getJson<PublicJwkSet>(metadata.jwks_uri as string));
  });

  test("DISC-03: served with a JWK Set (or JSON) content type", () => {
    expect(response.headers.get("content-type")).toMatch(/^application\/(jwk-set\+json|json)\b/);
  });

  test("DISC-03: a valid JWK Set: an object with a non-empty keys array of objects with kty", () => {
    expect(Array.isArray(jwks.keys)).toBe(true);
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(typeof key).toBe("object");
      expect(typeof key.kty).toBe("string");
    }
  });

  test("DISC-03: every key has a kid, and the kids are distinct", () => {
    const kids = jwks.keys.map((key) => key.kid);
    for (const kid of kids) {
      expect(typeof kid).toBe("string");
      expect((kid as string).length).toBeGreaterThan(0);
    }
    expect(new Set(kids).size).toBe(kids.length);
  });

  test("DISC-03: no private or symmetric key material", () => {
    for (const key of jwks.keys) {
      expect(key.kty).not.toBe("oct");
      for (const member of PRIVATE_MEMBERS) expect(key, `${key.kid} must not carry "${member}"`).not.toHaveProperty(member);
    }
  });

  test("DISC-03: an RSA key for RS256 and an EC P-256 key for ES256, both signature keys", () => {
    const rsa = jwks.keys.find((key) => key.kty === "RSA" && key.alg === "RS256");
    const ec = jwks.keys.find((key) => key.kty === "EC" && key.alg === "ES256");
    expect(rsa, JSON.stringify(jwks)).toBeDefined();
    expect(ec, JSON.stringify(jwks)).toBeDefined();
    expect(rsa).toMatchObject({ n: expect.any(String), e: expect.any(String) });
    expect(ec).toMatchObject({ crv: "P-256", x: expect.any(String), y: expect.any(String) });
    for (const key of jwks.keys) if (key.use !== undefined) expect(key.use).toBe("sig");
    // RS256 needs at least a 2048-bit modulus (RFC 7518 §3.3).
    expect(Buffer.from(rsa!.n as string, "base64url").length * 8).toBeGreaterThanOrEqual(2048);
  });

  test("DISC-03: every key parses as a public key for its algorithm", async () => {
    for (const key of jwks.keys) {
      const imported = (await importJWK(key, key.alg as string)) as CryptoKey;
      expect(imported.type).toBe("public");
    }
  });

  test("HEAD answers 200 with no body", async () => {
    const head = await fetch(base + JWKS_PATH, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
});

describe("methods other than GET and HEAD", () => {
  const cases = [
    ...[OPENID_CONFIGURATION_PATH, OAUTH_METADATA_PATH, JWKS_PATH].map((path) => ["POST", path] as const),
    ["PUT", OPENID_CONFIGURATION_PATH] as const,
    ["DELETE", JWKS_PATH] as const,
  ];

  test.each(cases)("%s %s is refused with a JSON 405, never a 5xx", async (method, path) => {
    const response = await fetch(base + path, {
      method,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    const text = await response.text();
    expect(response.status, text).toBe(405);
    expect(response.headers.get("allow") ?? "").toMatch(/\bGET\b/);
    expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
    const body = JSON.parse(text) as { error: string; error_description: string };
    expect(body.error).toBe("invalid_request");
    expect(body.error).toMatch(ERROR_CHARACTERS);
    expect(body.error_description).toMatch(ERROR_CHARACTERS);
  });
});

describe.each([OPENID_CONFIGURATION_PATH, OAUTH_METADATA_PATH, JWKS_PATH])("%s as a public document on the fast lane", (path) => {
  test("DISC-01 / DISC-03: a strong ETag, the exact Content-Length, the fast lane's security headers", async () => {
    const response = await fetch(base + path);
    const body = Buffer.from(await response.arrayBuffer());
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(response.headers.get("content-length")).toBe(String(body.length));
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("cache-control")).toBe("public, max-age=60");
    // Unchanged data, unchanged bytes and tag.
    const again = await fetch(base + path);
    expect(again.headers.get("etag")).toBe(response.headers.get("etag"));
    expect(Buffer.from(await again.arrayBuffer()).equals(body)).toBe(true);
  });

  test("If-None-Match with the current ETag (or its weak form) answers 304 without a body; another tag gets the document", async () => {
    const etag = (await fetch(base + path)).headers.get("etag")!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"stale", ${etag}`]) {
      const notModified = await fetch(base + path, { headers: { "If-None-Match": ifNoneMatch } });
      expect(notModified.status, ifNoneMatch).toBe(304);
      expect(notModified.headers.get("etag")).toBe(etag);
      expect((await notModified.arrayBuffer()).byteLength).toBe(0);
    }
    const stale = await fetch(base + path, { headers: { "If-None-Match": '"stale"' } });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  test("HEAD: the GET's headers and length, no body", async () => {
    const get = await fetch(base + path);
    const length = (await get.arrayBuffer()).byteLength;
    const head = await fetch(base + path, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(get.headers.get("etag"));
    expect(head.headers.get("content-length")).toBe(String(length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
});
